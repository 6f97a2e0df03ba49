"""A synthetic plan and files of figures of any size: for the import benchmark and the
tests that interrupt an import. Codes are plain (e0001, k01), periods yearly and past."""

import csv
import io

import numpy as np

PLAN_CODE = "synthetic"
FIRST_YEAR = 1925


def plan_text(entities: int, indicators: int) -> str:
    """Return a plan file with a root, ``entities`` members and ``indicators`` counts."""
    lines = [
        "jalon: 1",
        "plan:",
        f"  code: {PLAN_CODE}",
        "  name: Synthetic federation",
        "  organisation: root",
        "  horizon: [2020, 2024]",
        "entities:",
        "  - {code: root, name: Federation, kind: institute}",
    ]
    lines += [
        f"  - {{code: e{e:04d}, name: Member {e}, kind: school, parent: root}}"
        for e in range(entities)
    ]
    lines.append("indicators:")
    for k in range(indicators):
        lines += [
            f"  - code: k{k:02d}",
            f"    name: Indicator {k}",
            "    unit: people",
            "    frequency: year",
            "    polarity: up",
            "    kind: amount",
            "    across: sum",
            "    over_time: stock",
            "    count: true",
        ]
    lines += ["sources:", "  - {code: synthetic, title: Synthetic figures, example: true}"]
    return "\n".join(lines) + "\n"


def figure_rows(entities: int, indicators: int, years: int, seed: int = 7):
    """Yield (indicator, entity, period, value) rows: every member, indicator and year."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 100_000, size=(indicators, entities, years))
    for k in range(indicators):
        for e in range(entities):
            for y in range(years):
                yield (f"k{k:02d}", f"e{e:04d}", str(FIRST_YEAR + y), int(values[k, e, y]))


def figures_csv(entities: int, indicators: int, years: int) -> bytes:
    """Return the figures as a CSV file that `jalon values import` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["indicator", "entity", "period", "value"])
    writer.writerows(figure_rows(entities, indicators, years))
    return out.getvalue().encode()


def figures_xlsx(entities: int, indicators: int, years: int) -> bytes:
    """Return the figures as an XLSX workbook (written with openpyxl, in write-only mode)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Figures")
    sheet.append(["indicator", "entity", "period", "value"])
    for row in figure_rows(entities, indicators, years):
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def figures_yaml(entities: int, indicators: int, years: int) -> bytes:
    """Return the figures as a YAML value file, one flow mapping a figure."""
    lines = [f"jalon: 1\nplan: {PLAN_CODE}\nsource: synthetic\nstate: approved\nvalues:"]
    lines += [
        f"  - {{indicator: {k}, entity: {e}, period: '{p}', value: {v}}}"
        for k, e, p, v in figure_rows(entities, indicators, years)
    ]
    return ("\n".join(lines) + "\n").encode()
