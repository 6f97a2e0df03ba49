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
    plan = Plan.objects.get(code="imt-2018-2022")
    moment = timezone.make_aware(dt.datetime(2020, 1, 1))
    runs = [{}, {"as_of": moment}, {"include_submitted": True}]
    by_arrow = [evaluation.evaluate_plan(plan, **options) for options in runs]
    queryset = Value.objects.filter(indicator__plan=plan).as_of(moment)
    fields = {"entity_id": "int", "period": "text", "number": "float", "member_id": "int"}
    arrow_columns = columns.fetch_columns(queryset, fields)
    columns._adbc_ready = lambda: False
    by_rows = [evaluation.evaluate_plan(plan, **options) for options in runs]
    row_columns = columns.fetch_columns(queryset, fields)
    for a, b in zip(by_arrow, by_rows):
        same(a.evaluation, b.evaluation)
        same(a.example, b.example)
        same(a.unapproved, b.unapproved)
    same(arrow_columns, row_columns)
    assert len(row_columns["number"]) > 100
    print("same", len(row_columns["number"]))
    """
)


def test_columnar_and_row_reads_agree(own_database):
    def run(*args):
        return subprocess.run(
            [*JALON, *args], env=own_database, check=True, timeout=300, capture_output=True
        )

    run("migrate", "-v0")
    run("plan", "load", str(IMT_PLAN))
    run("values", "load", str(IMT_VALUES))
    run("values", "load", str(IMT_EXAMPLES))
    out = run("shell", "-c", SCRIPT).stdout.decode()
    assert out.splitlines()[-1].startswith("same "), out
