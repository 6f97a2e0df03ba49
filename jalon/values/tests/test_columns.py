"""The columnar read (Arrow through ADBC) gives what the row-by-row read gives.

ADBC reads committed data on a connection of its own, so the test runs `jalon` as a
command on a database of its own (a SQLite file, or a fresh PostgreSQL database), where
nothing is inside a test's transaction.
"""

import subprocess
import textwrap

from jalon.conftest import IMT_EXAMPLES, IMT_PLAN, IMT_VALUES
from jalon.core.tests.test_commands import JALON

SCRIPT = textwrap.dedent(
    """
    import datetime as dt
    from django.utils import timezone
    from jalon.engine.tests.test_incremental import same
    from jalon.plans.models import Plan
    from jalon.values import columns, evaluation
    from jalon.values.models import Value

    assert columns._adbc_ready(), "ADBC should read this database"
    # Every read below goes through Arrow: a read that fell back to rows (the reader
    # falls back quietly on a driver's error) fails the test.
    arrow_reads = []
    real_arrow, real_rows = columns._by_arrow, columns._by_rows

    def counted(*args, **kwargs):
        out = real_arrow(*args, **kwargs)
        arrow_reads.append(args[0])
        return out

    def refused(sql, params, fields, rows=None):
        assert rows is not None, "read row by row where columns were asked for: " + sql[:300]
        return real_rows(sql, params, fields, rows=rows)

    columns._by_arrow, columns._by_rows = counted, refused
    plan = Plan.objects.get(code="imt-2018-2022")
    moment = timezone.make_aware(dt.datetime(2020, 1, 1))
    runs = [{}, {"as_of": moment}, {"include_submitted": True}]
    by_arrow = [evaluation.evaluate_plan(plan, **options) for options in runs]
    queryset = Value.objects.filter(indicator__plan=plan).as_of(moment)
    fields = {"entity_id": "int", "period": "text", "number": "float", "member_id": "int"}
    arrow_columns = columns.fetch_columns(queryset, fields)
    assert len(arrow_reads) >= 4, arrow_reads  # the figures of each run, then the query
    columns._by_rows = real_rows
    columns._adbc_ready = lambda: False
    by_rows = [evaluation.evaluate_plan(plan, **options) for options in runs]
    row_columns = columns.fetch_columns(queryset, fields)
    for a, b in zip(by_arrow, by_rows):
        same(a.evaluation, b.evaluation)
        same(a.example, b.example)
        same(a.unapproved, b.unapproved)
    same(arrow_columns, row_columns)
    assert len(row_columns["number"]) > 100

    # A figure changed since: the columnar reader sees it at once (no stale read).
    from jalon.values.valuefile import store_values

    columns._adbc_ready = lambda: True
    columns._by_rows = refused
    lines = [
        "jalon: 1", "plan: imt-2018-2022", "source: press-release", "state: approved", "values:",
        "  - {indicator: students, entity: imt-mines-ales, period: 2021/22, value: 1501}",
    ]
    store_values(chr(10).join(lines), "fix.yaml")
    pe = evaluation.evaluate_plan(Plan.objects.get(code="imt-2018-2022"))
    result = pe.result("students")
    row = pe.tree.codes.index("imt-mines-ales")
    column = [p.code for p in result.periods].index("2021/22")
    assert result.figure[row, column] == 1501, result.figure[row, column]
    print("same", len(row_columns["number"]))
    """
)


def test_columnar_and_row_reads_agree(own_database):
    def run(*args):
        done = subprocess.run([*JALON, *args], env=own_database, timeout=300, capture_output=True)
        assert done.returncode == 0, done.stderr.decode()[-3000:]
        return done

    run("migrate", "-v0")
    run("plan", "load", str(IMT_PLAN))
    run("values", "load", str(IMT_VALUES))
    run("values", "load", str(IMT_EXAMPLES))
    out = run("shell", "-c", SCRIPT).stdout.decode()
    assert out.splitlines()[-1].startswith("same "), out
