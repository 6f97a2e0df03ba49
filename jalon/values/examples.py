"""Generate the demo's example figures: seeded, deterministic, and marked as examples.

The schools' own figures for 2017-2021 are not public. The demo needs some to show
consolidation, statuses and forecasts, so this module makes them up — plausibly, and
anchored on the sourced institute totals where there are any (13,400 students and
€170M of own resources in 2017). Every row carries the source ``examples``, which the
plan file declares as example data; a sourced figure is never overwritten.
"""

import datetime as dt

import numpy as np
import yaml

from jalon.engine.periods import Period

YEARS = range(2017, 2022)

# Relative sizes of the schools (invented for the examples; IMT Mines Alès's is sourced).
SCHOOL_WEIGHTS = {
    "imt-atlantique": 2.3,
    "imt-nord-europe": 1.9,
    "imt-mines-albi": 0.9,
    "mines-saint-etienne": 1.9,
    "telecom-paris": 1.5,
    "telecom-sudparis": 1.0,
    "imt-bs": 1.5,
    "eurecom": 0.4,
}
ALES = "imt-mines-ales"
# Institute totals of 2017 from the sources: students (press release), own resources (letudiant.fr).
STUDENTS_2017, ALES_STUDENTS_2017 = 13_400, 1_200
OWN_RESOURCES_2017 = 170.0
PROGRAMME_SHARES = {"engineering": 0.66, "management": 0.08, "doctorate": 0.12}


def _academic(year: int) -> str:
    return Period.parse(f"{year}/{(year + 1) % 100:02d}", "academic_year", 9).code


def published(period: str) -> dt.date:
    """Return a plausible day an example figure became known: a census in the autumn after
    the academic year starts, a calendar year's accounts by the end of March after it."""
    year = int(period[:4])
    return dt.date(year, 11, 15) if "/" in period else dt.date(year + 1, 3, 31)


def generate(seed: int = 2018) -> list[dict]:
    """Return the example rows, the same for the same seed."""
    rng = np.random.default_rng(seed)
    schools = sorted(SCHOOL_WEIGHTS)
    weights = np.array([SCHOOL_WEIGHTS[s] for s in schools])
    rows: list[dict] = []

    def add(indicator, entity, period, value, member=None):
        row = {"indicator": indicator, "entity": entity, "period": period}
        if member:
            row["member"] = member
        row["value"] = value
        row["published"] = published(period)
        rows.append(row)

    # Students: the 2017 total is the sourced 13,400, Alès's 1,200 sourced too; a slight
    # decline on average afterwards, as the sourced "more than 13,000" in 2021 suggests.
    students = {}
    base = (STUDENTS_2017 - ALES_STUDENTS_2017) * weights / weights.sum()
    base = np.round(base).astype(int)
    base[-1] += STUDENTS_2017 - ALES_STUDENTS_2017 - base.sum()
    growth = rng.normal(-0.004, 0.012, size=(len(schools) + 1, len(YEARS) - 1))
    everyone = [*schools, ALES]
    level = np.append(base, ALES_STUDENTS_2017).astype(float)
    for y, year in enumerate(YEARS):
        if y:
            level = level * (1 + growth[:, y - 1])
        for e, entity in enumerate(everyone):
            value = int(round(level[e]))
            students[entity, year] = value
            if not (entity == ALES and year == 2017):
                add("students", entity, _academic(year), value)
            # Programme breakdown: shares vary by school; "other" takes the remainder.
            shares = dict(PROGRAMME_SHARES)
            if entity == "imt-bs":
                shares = {"engineering": 0.0, "management": 0.85, "doctorate": 0.04}
            parts = {
                k: int(round(value * (s + rng.normal(0, 0.01) * (s > 0))))
                for k, s in shares.items()
            }
            parts["other"] = value - sum(parts.values())
            for member, part in parts.items():
                add("students", entity, _academic(year), part, f"programme/{member}")
            share = 0.10 if entity == ALES and year == 2017 else rng.uniform(0.12, 0.3)
            if entity == ALES:
                share = 0.10 + 0.018 * (year - 2017) + rng.normal(0, 0.005)
            add("foreign-students", entity, _academic(year), int(round(value * share)))
            ratio = rng.uniform(10.5, 13.5)
            add(
                "teaching-research-staff",
                entity,
                _academic(year),
                int(round(value / ratio * (1 + 0.015 * (year - 2017)))),
            )

    # Own resources: the 2017 total is the sourced €170M; about +4 % a year afterwards.
    money = OWN_RESOURCES_2017 * np.append(weights, 0.5) / np.append(weights, 0.5).sum()
    for y, year in enumerate(YEARS):
        if y:
            money = money * (1 + rng.normal(0.04, 0.03, size=money.shape))
        for e, entity in enumerate(everyone):
            add("own-resources", entity, str(year), round(float(money[e]), 2))
        # Start-ups: about a hundred a year in all, as the press release says.
        counts = rng.poisson(100 * np.append(weights, 0.5) / np.append(weights, 0.5).sum())
        for e, entity in enumerate(everyone):
            add("startups", entity, str(year), int(counts[e]))

    # IMT Mines Alès's own indicators, after the sourced 2017 figures.
    for year in YEARS[1:]:
        k = year - 2017
        add("english-taught-courses", ALES, _academic(year), k + int(rng.integers(0, 2)))
        add("doctoral-students", ALES, _academic(year), int(63 + 3.5 * k + rng.normal(0, 2)))
        add(
            "apprenticeship-revenue",
            ALES,
            str(year),
            round(2.5 + 0.09 * k + rng.normal(0, 0.05), 2),
        )
        add(
            "partnership-research-revenue",
            ALES,
            str(year),
            round(2.7 + 0.12 * k + rng.normal(0, 0.08), 2),
        )
        add(
            "company-collaboration-revenue",
            ALES,
            str(year),
            round(204.9 + 30 * k + rng.normal(0, 12), 1),
        )
    return rows


def render(seed: int = 2018) -> str:
    """Return the example value file for ``seed``, as YAML."""
    header = (
        f"# EXAMPLE DATA — generated by `jalon examples --seed {seed}`, not real figures.\n"
        "# The schools' figures for 2017-2021 are not public; these stand in for them in the\n"
        "# demo. Every row's source is `examples`, declared as example data in the plan file.\n"
        "# Each row is dated as a census (autumn) or a year's accounts (March) would be.\n"
        f"# Regenerate with: jalon examples --seed {seed} --output plans/imt-2018-2022.examples.yaml\n"
    )
    body = {
        "jalon": 1,
        "plan": "imt-2018-2022",
        "source": "examples",
        "state": "approved",
        "note": f"Example data, generated with seed {seed}.",
        "values": generate(seed),
    }
    text = yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True, default_flow_style=None, width=200
    )
    return header + text
