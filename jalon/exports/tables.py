"""Figures as tables to download: long (one figure a row) or wide (periods across).

The figures are the pages' own: read from the plan's evaluation with the page's filters
(year, "as of", submitted figures), for the entities the reader may see, with the totals
suppressed for them said so. Nothing is recomputed here, so a download always says what
the page says.
"""

from dataclasses import dataclass

from jalon.dashboard.figures import STATUS_LABELS, missing, suppressed_text

LONG_COLUMNS = (
    "indicator",
    "indicator_name",
    "entity",
    "entity_name",
    "period",
    "value",
    "unit",
    "status",
    "expected",
    "target",
    "target_period",
    "example",
    "unapproved",
)


@dataclass
class Selection:
    """What to download: indicators and entity rows of the evaluation, and a year or not."""

    indicators: list  # Indicator
    rows: list[int]  # entity rows of the evaluation's tree, in the reader's scope
    year: int | None  # that year's period only; None: every period with a figure


def _number(value, indicator):
    """Return a figure as the pages read it (a share as a percentage), or None."""
    if missing(value):
        return None
    return round(float(value) * indicator.percent_factor, 10)


def long_rows(pe, selection: Selection, names: dict[str, str]) -> list[list]:
    """Return one row per figure: indicator, entity, period, value, unit, status, target…"""
    out = []
    for indicator in selection.indicators:
        r = pe.result(indicator.code)
        example = pe.example[indicator.code]
        unapproved = pe.unapproved.get(indicator.code)
        wanted = indicator.period_of_year(selection.year) if selection.year else None
        for row in selection.rows:
            code = pe.tree.codes[row]
            for column, period in enumerate(r.periods):
                if wanted is not None and period != wanted:
                    continue
                value = r.figure[row, column]
                withheld = r.suppressed is not None and r.suppressed[row, column]
                if missing(value) and not withheld:
                    continue
                status = str(STATUS_LABELS.get(str(r.status[row, column]), ""))
                if withheld:  # said, as on the pages, rather than left out
                    status = suppressed_text(pe.withholding.fewest)
                target_period = r.target_period[row]
                out.append(
                    [
                        indicator.code,
                        indicator.label,
                        code,
                        names.get(code, code),
                        period.code,
                        _number(value, indicator),
                        indicator.unit_label,
                        status,
                        _number(r.expected[row, column], indicator),
                        _number(r.target[row], indicator),
                        target_period.code if target_period is not None else None,
                        bool(example[row, column]),
                        bool(unapproved[row, column]) if unapproved is not None else False,
                    ]
                )
    return out


def wide_rows(pe, selection: Selection, names: dict[str, str]) -> tuple[list[str], list[list]]:
    """Return (header, rows): one row per indicator and entity, its periods across."""
    found = long_rows(pe, selection, names)
    periods = sorted({r[4] for r in found})
    header = ["indicator", "indicator_name", "entity", "entity_name", "unit", *periods]
    table: dict[tuple, list] = {}
    for r in found:
        key = (r[0], r[2])
        line = table.setdefault(key, [r[0], r[1], r[2], r[3], r[6], *([None] * len(periods))])
        # A suppressed total says so in its cell (its status in the long shape).
        line[5 + periods.index(r[4])] = r[5] if r[5] is not None else r[7]
    return header, list(table.values())
