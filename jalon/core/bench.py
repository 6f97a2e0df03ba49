"""The benchmark: a synthetic federation of about a million figures, evaluated in full.

1,000 entities in three levels (1 root, 30 regions, 969 schools), 100 indicators, 10
yearly periods; every school reports every indicator every year, and every entity has a
primary target for every indicator. Times are measured in this process and printed with
their ratio to a reference: the bare consolidation written directly as one Polars query
over the same figures.
"""

import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from jalon.engine.evaluate import evaluate
from jalon.organisation.models import Entity
from jalon.plans.models import Axis, Indicator, Plan, Source, Target
from jalon.values import columns
from jalon.values.evaluation import read_figures, read_input, read_structure
from jalon.values.models import Value

REGIONS, SCHOOLS, INDICATORS, YEARS = 30, 969, 100, list(range(2013, 2023))
PLAN = "bench"


def timed(run: Callable, repeat: int = 3, *, best: bool = False) -> tuple[float, object]:
    """Return the median time of ``run`` over ``repeat`` runs (the best one if ``best``),
    and its last result. Timings are medians against the reference's best: a noisy,
    shared machine slows a run, never speeds it up."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return (min(times) if best else statistics.median(times)), result


def build(seed: int = 1, size: int = 1) -> tuple[Plan, float]:
    """Return the synthetic plan, stored, and the seconds it took to store its figures.

    ``size`` multiplies the regions and schools: 10 makes 10,000 entities, 10M figures.
    """
    rng = np.random.default_rng(seed)
    regions_count, schools_count = REGIONS * size, SCHOOLS * size
    with transaction.atomic():
        root = Entity.objects.create(code="b-root", name="Federation", kind="institute")
        regions = Entity.objects.bulk_create(
            Entity(code=f"b-r{r:02d}", name=f"Region {r}", kind="department", parent=root)
            for r in range(regions_count)
        )
        schools = Entity.objects.bulk_create(
            Entity(
                code=f"b-s{s:03d}",
                name=f"School {s}",
                kind="school",
                parent=regions[s % regions_count],
            )
            for s in range(schools_count)
        )
        plan = Plan.objects.create(
            code=PLAN,
            name="Synthetic federation",
            organisation=root,
            horizon_start=2018,
            horizon_end=2022,
        )
        source = Source.objects.create(
            code="bench", title="Synthetic figures for the benchmark", is_example=True
        )
        indicators = Indicator.objects.bulk_create(
            Indicator(
                plan=plan,
                code=f"i{k:03d}",
                name=f"Indicator {k}",
                unit="u",
                frequency="year",
                polarity="up",
                kind="amount",
                across="sum",
                over_time="stock",
                order=k,
            )
            for k in range(INDICATORS)
        )
        Target.objects.bulk_create(
            (
                Target(
                    indicator=indicator,
                    entity=entity,
                    document=source,
                    primary=True,
                    baseline_period="2017",
                    baseline_value=None,
                    target_period="2022",
                    target_relative=0.25,
                )
                for indicator in indicators
                for entity in [root, *regions, *schools]
            ),
            batch_size=10_000,
        )
        # Four axes of 25 indicators each, as a plan has: the board report draws them all.
        for number in range(4):
            axis = Axis.objects.create(
                plan=plan, code=f"A{number + 1}", name=f"Axis {number + 1}", order=number
            )
            axis.indicators.set(indicators[number * 25 : (number + 1) * 25])
    # Figures: schools only, so every figure above them is a consolidation.
    level = rng.uniform(50, 5000, size=(INDICATORS, schools_count, 1))
    growth = 1 + rng.normal(0.03, 0.05, size=(INDICATORS, schools_count, len(YEARS)))
    growth = growth.cumsum(axis=2) / 10
    numbers = np.round(level * growth, 2).tolist()
    # The time as the database keeps it, adapted once rather than for every row.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = Value._meta.db_table
    periods = [str(year) for year in YEARS]
    rows = (
        (ind.pk, school.pk, period, number, "", source.pk, "", "approved", 1, now, "bench")
        for ind, per_school in zip(indicators, numbers, strict=True)
        for school, per_year in zip(schools, per_school, strict=True)
        for period, number in zip(periods, per_year, strict=True)
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (indicator_id, entity_id, period, number, text, source_id,"
            " comment, state, revision, recorded_at, recorded_via) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return plan, time.perf_counter() - start


def reference(inp) -> Callable[[], object]:
    """Return the reference run: one Polars query summing figures to every ancestor."""
    import polars as pl

    codes = sorted(inp.values)
    stacked = np.stack([inp.values[c] for c in codes])  # (I, E, P)
    i, e, p = np.nonzero(~np.isnan(stacked))
    figures = pl.DataFrame({"indicator": i, "entity": e, "period": p, "value": stacked[i, e, p]})
    pairs = _with_ancestors(inp.tree.parent)
    closure = pl.DataFrame({"entity": [a for a, _ in pairs], "ancestor": [b for _, b in pairs]})

    def run():
        return (
            figures.lazy()
            .join(closure.lazy(), on="entity")
            .group_by("indicator", "ancestor", "period")
            .agg(pl.col("value").sum(), pl.len().alias("reported"))
            .collect()
        )

    return run


def _with_ancestors(parent) -> list[tuple[int, int]]:
    """Return each entity's row paired with its own and with each of its ancestors'."""
    pairs = []
    for n in range(len(parent)):
        up = n
        while up >= 0:
            pairs.append((n, int(up)))
            up = parent[up]
    return pairs


def reference_from_database(plan: Plan, structure) -> Callable[[], object]:
    """Return the reference reading its figures from the database: the approved totals in
    force, one query through the same ADBC driver into Arrow, then the same Polars join
    and group-by to every ancestor. What a cold evaluation from the database is weighed
    against where the reference is given the same reading to do."""
    import polars as pl

    query = (
        Value.objects.totals()
        .filter(indicator__plan=plan, number__isnull=False)
        .counting()
        .current()
        .order_by()
        .values_list("indicator_id", "entity_id", "period", "number")
    )
    sql, params = query.query.sql_with_params()
    row_of = {code: n for n, code in enumerate(structure.tree.codes)}
    id_of_row = {row_of[code]: pk for pk, code in structure.entity_ids.items()}
    pairs = [(id_of_row[a], id_of_row[b]) for a, b in _with_ancestors(structure.tree.parent)]
    closure = pl.DataFrame(
        {"entity_id": [a for a, _ in pairs], "ancestor": [b for _, b in pairs]},
        schema={"entity_id": pl.Int64, "ancestor": pl.Int64},
    )

    def run():
        return (
            pl.from_arrow(columns.arrow_table(sql, params))
            .lazy()
            .with_columns(pl.col("entity_id").cast(pl.Int64))
            .join(closure.lazy(), on="entity_id")
            .group_by("indicator_id", "ancestor", "period")
            .agg(pl.col("number").sum(), pl.len().alias("reported"))
            .collect()
        )

    return run


def run(stdout) -> dict[str, float]:
    """Build the federation if needed, time everything, print and return the figures."""
    plan = Plan.objects.filter(code=PLAN).first()
    load = None
    if plan is None:
        plan, load = build()
    count = Value.objects.filter(indicator__plan=plan).count()
    read_time, (inp, _, _) = timed(lambda: read_input(plan), repeat=3)
    # The figures alone, as Arrow columns through ADBC and as rows through the cursor.
    structure = read_structure(plan)
    codes = list(structure.indicators)
    arrow_time, _ = timed(lambda: read_figures(plan, structure, codes), repeat=3)
    ready, columns._adbc_ready = columns._adbc_ready, lambda: False
    try:
        # One run: for information, and 3 s of `make bench` a run.
        rows_time, _ = timed(lambda: read_figures(plan, structure, codes), repeat=1)
    finally:
        columns._adbc_ready = ready
    eval_time, evaluation = timed(lambda: evaluate(inp), repeat=5)
    ref_time, ref = timed(reference(inp), repeat=5, best=True)
    root = inp.tree.codes.index("b-root")
    first = evaluation.indicators["i000"]
    # The engine and the reference agree on the root's total (the check that makes this a fair race).
    expected_root = float(
        ref.filter((ref["indicator"] == 0) & (ref["ancestor"] == root) & (ref["period"] == 9))[
            "value"
        ][0]
    )
    assert abs(first.figure[root, -1] - expected_root) < 1e-6 * expected_root, (
        "engine and reference disagree"
    )
    full = read_time + eval_time
    figures = {
        "values": count,
        "load_s": load,
        "read_s": read_time,
        "evaluate_s": eval_time,
        "full_s": full,
        "reference_s": ref_time,
        "figures_arrow_s": arrow_time,
        "figures_rows_s": rows_time,
    }
    w = stdout.write
    w(
        f"Synthetic federation: {len(inp.tree)} entities in 3 levels, {len(inp.indicators)} indicators, {len(YEARS)} years, {count:,} figures, {len(inp.targets):,} targets."
    )
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    w(
        f"  machine load (1, 5, 15 min): {load_average} on {os.cpu_count()} cores; medians of 5 runs against the reference's best of 5"
    )
    if load is not None:
        w(f"  load (INSERT of the figures)          {load:7.3f} s")
    w(f"  read (database → arrays)              {read_time:7.3f} s")
    w(
        f"      of which the figures: as Arrow columns (ADBC) {arrow_time:.3f} s;"
        f" row by row (cursor, one run) {rows_time:.3f} s = {rows_time / arrow_time:.1f} × longer"
    )
    w(
        "  evaluate (consolidation, targets, status; every indicator × entity × period;"
        " forecasts and growth when a page asks for them)"
    )
    w(
        f"                                        {eval_time:7.3f} s   = {eval_time / ref_time:5.2f} × reference"
    )
    w(
        f"  full evaluation (read + evaluate)     {full:7.3f} s   = {full / ref_time:5.2f} × reference   (goal: < 2 s)"
    )
    w(
        f"  reference: Polars join + group-by sum to every ancestor, same figures in memory: {ref_time:.3f} s"
    )
    w(
        f"  goal for evaluate: within 3 × reference → {'met' if eval_time <= 3 * ref_time else 'NOT met'}; full under 2 s → {'met' if full < 2 else 'NOT met'}"
    )
    figures |= pages(plan, w)
    return figures


def pages(plan, w, repeat: int = 40) -> dict[str, float]:
    """Time the dashboard's pages on the federation, against a trivial page of the same server."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from jalon.access.models import Access
    from jalon.dashboard import pagecache
    from jalon.values.evaluation import cached_evaluation

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    Access.objects.get_or_create(user=user, plan=plan, defaults={"role": "viewer"})
    client = Client()
    client.force_login(user)
    start = time.perf_counter()
    cached_evaluation(Plan.objects.get(pk=plan.pk))
    cold = time.perf_counter() - start

    def series(url: str, kept: bool = False) -> list[float]:
        client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # warm: templates, the evaluation cache
        times = []
        for _ in range(repeat):
            if not kept:
                pagecache.clear()  # each page made anew, as after a change
            begin = time.perf_counter()
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, (url, response.status_code)
        return sorted(times)

    def p95(times: list[float]) -> float:
        return statistics.quantiles(times, n=20, method="inclusive")[-1]

    # The trivial page: the same stack (session, CSRF, i18n, the base template) and no
    # data: the search page with no query. /healthz shows the bare floor, for reference.
    floor = series("/healthz")
    trivial = series(f"/plans/{plan.code}/search/")
    base = statistics.median(trivial)
    out = {"page_cold_evaluation_s": cold, "page_trivial_median_s": base}
    w(
        f"Pages, server time in this process over {repeat} requests each (evaluation cached;"
        f" computing it after a change takes {cold:.2f} s, once; each page made anew, none kept):"
    )
    w(
        f"  floor: /healthz (no template)        median {statistics.median(floor) * 1000:6.1f} ms"
        f"   p95 {p95(floor) * 1000:6.1f} ms"
    )
    w(
        f"  trivial page: search, no query       median {base * 1000:6.1f} ms"
        f"   p95 {p95(trivial) * 1000:6.1f} ms"
    )
    for name, url in (
        ("overview", f"/plans/{plan.code}/"),
        ("indicator", f"/plans/{plan.code}/indicators/i000/"),
    ):
        times = series(url)
        median, high = statistics.median(times), p95(times)
        out[f"page_{name}_median_s"], out[f"page_{name}_p95_s"] = median, high
        verdict = "met" if high < 0.150 and high <= 10 * base else "NOT met"
        w(
            f"  {name:<36} median {median * 1000:6.1f} ms   p95 {high * 1000:6.1f} ms"
            f"   = {high / base:5.1f} × trivial median   (goal: p95 < 150 ms and ≤ 10 ×: {verdict})"
        )
    kept = series(f"/plans/{plan.code}/", kept=True)
    out["page_overview_kept_median_s"] = statistics.median(kept)
    w(
        f"  overview served again (page kept)    median {statistics.median(kept) * 1000:6.1f} ms"
        f"   p95 {p95(kept) * 1000:6.1f} ms"
    )
    return out


def run_large(stdout, size: int) -> dict:
    """Build a federation ``size`` times the default if needed, then evaluate it cold in a
    process of its own: its time and peak memory."""
    import subprocess
    import sys

    w = stdout.write
    plan = Plan.objects.filter(code=PLAN).first()
    if plan is None:
        w(f"Building a federation {size} × the default ({size * 1000:,} entities)…")
        plan, load = build(size=size)
        w(f"  stored its figures in {load:.1f} s")
    count = Value.objects.filter(indicator__plan=plan).count()
    entities = Entity.objects.filter(code__startswith="b-").count()
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    w(
        f"Synthetic federation × {size}: {entities:,} entities, {INDICATORS} indicators,"
        f" {count:,} figures; machine load (1, 5, 15 min): {load_average} on {os.cpu_count()} cores"
    )
    env = dict(os.environ)
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    script = (
        "import resource, time\n"
        "from jalon.plans.models import Plan\n"
        "from jalon.values.evaluation import evaluate_plan\n"
        "start = time.perf_counter()\n"
        f"evaluate_plan(Plan.objects.get(code={PLAN!r}))\n"
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "jalon.cli", "shell", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, peak = done.stdout.split()[-2:]
    seconds, peak_gb = float(seconds), int(peak) / 2**20
    w(
        f"  cold evaluation from the store, in a process of its own: {seconds:.1f} s,"
        f" peak {peak_gb:.2f} GB   (goal: under 20 s → {'met' if seconds < 20 else 'NOT met'};"
        f" under 6 GB → {'met' if peak_gb < 6 else 'NOT met'})"
    )
    return {"large_values": count, "large_cold_s": seconds, "large_peak_gb": peak_gb}
