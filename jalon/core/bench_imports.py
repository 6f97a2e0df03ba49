"""The import benchmark: 100k figures from CSV, XLSX and YAML (and on demand 1M from CSV),
against a bare insert.

The import is `import_figures`, what `jalon values import` and the import page run: read
the file, check every row against the plan, compare with the figures in force, write the
new revisions in one transaction. The reference, in the same process and database, is the
bare bulk insert of the same rows already made into tuples: one prepared statement over
every row (executemany) in SQLite, COPY in PostgreSQL. Each import is timed over several
runs (median) against the reference's best; the table is emptied, untimed, between runs.
"""

import os
import statistics
import time

from django.db import connection, transaction

from jalon.collection.sheets import import_figures
from jalon.core import synthetic
from jalon.plans.models import Plan
from jalon.plans.planfile import read_plan
from jalon.plans.planstore import store_plan
from jalon.values.models import Value
from jalon.values.valuefile import INSERTED, insert_rows, store_values

GOAL = 3.0
CASES = (  # (name, file kind, members, indicators, years): members × indicators × years rows
    ("1M figures from CSV", "csv", 1000, 10, 100),
    ("100k figures from CSV", "csv", 100, 10, 100),
    ("100k figures from XLSX", "xlsx", 100, 10, 100),
    ("100k figures from YAML", "yaml", 100, 10, 100),
)
BUILD = {
    "csv": synthetic.figures_csv,
    "xlsx": synthetic.figures_xlsx,
    "yaml": synthetic.figures_yaml,
}


def _plan(members: int, indicators: int) -> Plan:
    """Return the synthetic plan, loaded anew at the size asked, without figures."""
    Value.objects.filter(indicator__plan__code=synthetic.PLAN_CODE).delete()
    text = synthetic.plan_text(members, indicators)
    plan_file, located = read_plan(text, "synthetic.yaml")
    return store_plan(plan_file, located, text, "synthetic.yaml", actor_label="bench").plan


def _empty(plan: Plan) -> None:
    table = connection.ops.quote_name(Value._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE indicator_id IN"
            f" (SELECT id FROM plans_indicator WHERE plan_id = %s)",
            [plan.pk],
        )


def _reference_rows(plan: Plan) -> list[tuple]:
    """Return the rows the import wrote, as the tuples a bare insert takes."""
    return list(Value.objects.filter(indicator__plan=plan).values_list(*INSERTED))


def _bare_insert(rows: list[tuple]) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            insert_rows(rows)  # COPY
            return
        table = connection.ops.quote_name(Value._meta.db_table)
        columns = ", ".join(INSERTED)
        marks = ", ".join(["%s"] * len(INSERTED))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _prepared(rows: list[tuple]) -> list[tuple]:
    """Return the rows with their moments already in the database's form (SQLite text)."""
    if connection.vendor == "postgresql":
        return rows
    adapt = connection.ops.adapt_datetimefield_value
    cache: dict = {None: None}

    def once(moment):
        if moment not in cache:
            cache[moment] = adapt(moment)
        return cache[moment]

    return [(*r[:10], once(r[10]), once(r[11]), *r[12:]) for r in rows]


def run_case(name, kind, members, indicators, years, repeat, w) -> dict:
    """Time one import against the bare insert; print it; return its figures."""
    plan = _plan(members, indicators)
    data = BUILD[kind](members, indicators, years)
    count = members * indicators * years
    imports, references = [], []
    rows = None
    for _ in range(repeat):
        _empty(plan)
        start = time.perf_counter()
        if kind == "yaml":
            report = store_values(data.decode(), "bench.yaml", actor_label="bench")
        else:
            report = import_figures(f"bench.{kind}", data, plan, state="approved")
        imports.append(time.perf_counter() - start)
        assert report.counts["new"] == count, report.summary()
        if rows is None:
            rows = _prepared(_reference_rows(plan))
        _empty(plan)
        start = time.perf_counter()
        _bare_insert(rows)
        references.append(time.perf_counter() - start)
    _empty(plan)
    imported, reference = statistics.median(imports), min(references)
    ratio = imported / reference
    bare = "COPY" if connection.vendor == "postgresql" else "executemany"
    w(
        f"  {name:<24} {count:>9,} rows  import {imported:7.2f} s  bare {bare} {reference:6.2f} s"
        f"  = {ratio:5.2f} × bare   (goal: within {GOAL:g} × → {'met' if ratio <= GOAL else 'NOT met'})"
    )
    w(
        f"  {'':<24} file {len(data) / 2**20:6.1f} MB; import runs: {', '.join(f'{t:.2f}' for t in imports)} s"
    )
    size = f"{count // 1000}k_{kind}"
    return {f"import_{size}_s": imported, f"bare_{size}_s": reference, f"ratio_{size}": ratio}


def run(stdout, repeat: int = 3, *, million: bool = False) -> dict:
    """Time the imports on the current database; print and return the figures. The
    million is timed only if asked (``million``): `make bench` stays under ten minutes."""
    w = stdout.write
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    w(
        f"Imports on {connection.vendor} (import_figures: read, check, compare, write in one"
        f" transaction), medians of {repeat} runs against the bare insert's best"
        f"{' (one run of each for the million)' if million else ''}; machine load"
        f" (1, 5, 15 min): {load} on {os.cpu_count()} cores"
    )
    out = {}
    for case in CASES:
        count = case[2] * case[3] * case[4]
        if count >= 1_000_000 and not million:
            continue
        out |= run_case(*case, repeat=1 if count >= 1_000_000 else repeat, w=w)
    return out
