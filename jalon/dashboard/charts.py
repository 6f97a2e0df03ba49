"""Vega-Lite specifications of the dashboard's charts, built in Python.

The browser draws them with the bundle that vl-convert makes offline; the same
specification renders to SVG for reports. Every chart has its data as a table too.
"""

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jalon.core.cells import as_csv_text
from jalon.dashboard.figures import STATUS_LABELS, Figure, format_with_unit, missing

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # the version vl-convert bundles
# The series of an indicator's chart. None takes a status's colour (red, amber, green):
# on a chart, colour names a series, never a verdict.
COLOURS = {
    "actual": "#0072b2",
    "partial": "#56b4e9",
    "trajectory": "#8a8f98",
    "forecast": "#a64d79",
    "target": "#1f2937",
    "rule": "#4b5563",
}
# The categories of a breakdown (programmes, levels…): Okabe and Ito's and Tol's
# colour-blind-safe colours without their reds, oranges and greens, which mean a status.
# A category takes the colour of its place in its dimension, so it keeps it in every
# chart and in both languages; past eight categories the colours come round again.
CATEGORIES = (
    "#0072b2",
    "#cc79a7",
    "#56b4e9",
    "#332288",
    "#f0e442",
    "#44aa99",
    "#aa4499",
    "#ddcc77",
)


def _base(title: str, periods: list[str], unit: str) -> dict:
    return {
        "$schema": SCHEMA,
        "description": title,
        "width": "container",
        "height": 260,
        "config": {
            # The chart speaks through its label, its status sentence and its table; its
            # marks, which a screen reader could only list, are hidden from it.
            "aria": False,
            "mark": {"aria": False},
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "axis": {"labelColor": "#374151", "titleColor": "#374151", "gridColor": "#e5e7eb"},
            "view": {"stroke": None},
            # Below the chart, in as many rows as it takes (the page sets the columns to
            # the chart's width).
            "legend": {"orient": "bottom", "labelColor": "#374151", "labelLimit": 220},
        },
        "encoding": {
            # Every period on the axis, so a year without figures still takes its place.
            "x": {
                "field": "period",
                "type": "ordinal",
                "sort": periods,
                "scale": {"domain": periods},
                "title": None,
                # Labels that would overlap are thinned out (every other year on a phone).
                "axis": {"labelAngle": 0, "labelOverlap": "greedy", "labelSeparation": 6},
            },
        },
        "_unit": unit,
    }


def chart_targets(fig: Figure, versions) -> list[dict]:
    """Return every target at the figure's entity for the chart, with milestones on the way.

    Targets come judged from the engine (a relative one resolved on its baseline); their
    milestones, from the target versions in force, show as smaller marks with their source.
    """
    marks = [
        {
            "period": v.target_period.code,
            "value": v.target,
            "document": v.source.label if v.source else v.document,
            "primary": v.primary,
        }
        for v in fig.verdicts
        if v.target is not None
    ]
    for t in versions:
        if t.entity.code != fig.entity_code:
            continue
        for m in t.milestones:
            value = m.get("value")
            if value is None and t.baseline_value is not None:
                value = t.baseline_value * (1 + m["relative"])
            marks.append(
                {
                    "period": m["period"],
                    "value": value,
                    "document": f"{t.document.label} — {_('milestone')}",
                    "primary": False,
                }
            )
    return marks


def _value_title(indicator) -> str:
    unit = "%" if indicator.is_share else indicator.unit_label
    return _("Value (%(unit)s)") % {"unit": unit}


def indicator_chart(
    fig: Figure,
    trajectory: list,
    targets: list[dict],
    *,
    selected=None,
    breaks=(),
    statuses: dict | None = None,
) -> dict:
    """Return the chart of an indicator at an entity: actuals, trajectory, targets, forecast.

    ``trajectory`` is [(period code, expected)], ``targets`` [{period, value, document,
    primary}] for every target at the entity. The ``selected`` period and the breaks in
    series ([{period, note}]) are marked by vertical rules. ``statuses`` {period code:
    status} name each actual's status in its tooltip. Tooltips write figures as the page
    does, with their unit, and say "example" in words.
    """
    scale = fig.indicator.percent_factor
    indicator = fig.indicator
    statuses = statuses or {}
    periods = [p.code for p, _, _ in fig.series]
    names = {
        "partial": _("Partial total (members still reporting)"),
        "actual": _("Actual"),
        "example": _("Actual (example data)"),
        "trajectory": _("Trajectory"),
        "forecast": _("Forecast"),
        "target": _("Target"),
    }
    rows = []
    for period, value, example in fig.series:
        if value is not None:
            status = statuses.get(period.code, "")
            partial = fig.partial.get(period)
            about = [_("example")] if example else []
            if partial:  # a total still growing: drawn apart, never joined to the line
                about.append(_("%(k)s of %(n)s reported") % {"k": partial[0], "n": partial[1]})
            rows.append(
                {
                    "period": period.code,
                    "value": value * scale,
                    "shown": format_with_unit(value, indicator),
                    "series": names["partial" if partial else "actual"],
                    "example": example,
                    "about": ", ".join(about),
                    "status": "" if partial else str(STATUS_LABELS.get(status, "")),
                }
            )
    for code, value in trajectory:
        if not missing(value):
            rows.append(
                {
                    "period": code,
                    "value": value * scale,
                    "shown": format_with_unit(value, indicator),
                    "series": names["trajectory"],
                }
            )
    forecast_rows = []
    if fig.forecast is not None and fig.forecast_period is not None:
        # From the last figure known at the period shown, to the forecast.
        last = [
            (p, v)
            for p, v, _ in fig.series
            if v is not None
            and p not in fig.partial
            and (fig.period is None or selected is None or p <= fig.period)
        ]
        if last:
            forecast_rows.append(
                {
                    "period": last[-1][0].code,
                    "value": last[-1][1] * scale,
                    "shown": format_with_unit(last[-1][1], indicator),
                    "series": names["forecast"],
                }
            )
        point = {
            "period": fig.forecast_period.code,
            "value": fig.forecast * scale,
            "shown": format_with_unit(fig.forecast, indicator),
            "series": names["forecast"],
        }
        if fig.forecast_low is not None:
            point |= {
                "low": fig.forecast_low * scale,
                "high": fig.forecast_high * scale,
                "low_shown": format_with_unit(fig.forecast_low, indicator),
                "high_shown": format_with_unit(fig.forecast_high, indicator),
            }
        forecast_rows.append(point)
    target_rows = [
        {
            "period": t["period"],
            "value": t["value"] * scale,
            "shown": format_with_unit(t["value"], indicator),
            "series": names["target"],
            "document": t["document"],
            "primary": t["primary"],
        }
        for t in targets
        if not missing(t["value"]) and t["period"] in periods
    ]
    y_title = "%" if fig.indicator.is_share else fig.indicator.unit_label
    series = ["actual", "trajectory", "forecast", "target"]
    if fig.partial:
        series.insert(1, "partial")
    colour = {
        "domain": [names[k] for k in series],
        "range": [COLOURS[k] for k in series],
    }
    y = {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False}}
    tooltip = [
        {"field": "series", "title": " "},
        {"field": "period", "title": _("Period")},
        {"field": "shown", "title": _("Value")},
    ]
    english = (get_language() or "").startswith("en")
    rules = [
        {
            "period": b["period"],
            "label": _("Break in series"),
            "note": (b.get("note_en") if english else None) or b["note"],
        }
        for b in breaks
        if b["period"] in periods
    ]
    if selected is not None and selected.code in periods:
        rules.append({"period": selected.code, "label": _("Period shown"), "note": ""})
    spec = _base(_("Actual values, trajectory, targets and forecast"), periods, fig.unit)
    spec.pop("_unit")
    spec["layer"] = [
        {
            "data": {"values": rules},
            "mark": {"type": "rule", "strokeDash": [3, 3], "color": COLOURS["rule"]},
            "encoding": {
                "tooltip": [
                    {"field": "label", "title": " "},
                    {"field": "period", "title": _("Period")},
                    {"field": "note", "title": _("Note")},
                ],
            },
        },
        {
            "data": {"values": [r for r in rows if r["series"] == names["trajectory"]]},
            "mark": {"type": "line", "strokeDash": [6, 4], "strokeWidth": 2},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
                "tooltip": tooltip,
            },
        },
        {
            "data": {"values": forecast_rows},
            "mark": {"type": "line", "strokeDash": [2, 3], "strokeWidth": 2},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
            },
        },
        {
            "data": {"values": [r for r in forecast_rows if "low" in r]},
            "mark": {
                "type": "rule",
                "strokeWidth": 3,
                "color": COLOURS["forecast"],
                "opacity": 0.7,
            },
            "encoding": {
                "y": {"field": "low", "type": "quantitative", "title": y_title},
                "y2": {"field": "high"},
                "tooltip": [
                    {"field": "period", "title": _("Period")},
                    {"field": "low_shown", "title": _("Low (80 %)")},
                    {"field": "high_shown", "title": _("High (80 %)")},
                ],
            },
        },
        {
            "data": {"values": forecast_rows[-1:]},
            "mark": {"type": "point", "filled": True, "size": 70, "shape": "circle"},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
                "tooltip": tooltip,
            },
        },
        {
            "data": {"values": [r for r in rows if r["series"] == names["actual"]]},
            "mark": {"type": "line", "point": {"filled": True, "size": 55}, "strokeWidth": 2.5},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
                "opacity": {"condition": {"test": "datum.example", "value": 0.55}, "value": 1},
                "tooltip": [
                    *tooltip,
                    {"field": "status", "title": _("Status")},
                    {"field": "about", "title": " "},
                ],
            },
        },
        {
            "data": {"values": [r for r in rows if r["series"] == names["partial"]]},
            "mark": {"type": "point", "filled": False, "size": 70, "strokeWidth": 2},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
                "tooltip": [*tooltip, {"field": "about", "title": " "}],
            },
        },
        {
            "data": {"values": target_rows},
            "mark": {"type": "point", "shape": "diamond", "filled": True},
            "encoding": {
                "y": y,
                "color": {"field": "series", "type": "nominal", "scale": colour, "title": None},
                "size": {"condition": {"test": "datum.primary", "value": 220}, "value": 90},
                "tooltip": [*tooltip, {"field": "document", "title": _("Source document")}],
            },
        },
    ]
    # The chart's data, for its "data (CSV)" download: numbers as the chart draws them;
    # and what it draws, for a key printed apart from it (the board report's).
    drawn = {
        "rule": rules,
        "actual": [r for r in rows if r["series"] == names["actual"] and not r["example"]],
        "example": [r for r in rows if r["series"] == names["actual"] and r["example"]],
        "partial": [r for r in rows if r["series"] == names["partial"]],
        "trajectory": [r for r in rows if r["series"] == names["trajectory"]],
        "forecast": forecast_rows,
        "target": target_rows,
    }
    spec["usermeta"] = {
        "drawn": [kind for kind, data in drawn.items() if data],
        "csv": as_csv_text(
            [
                _("Period"),
                _("Series"),
                _value_title(indicator),
                _("Low (80 %)"),
                _("High (80 %)"),
                _("Status"),
                _("Example"),
                _("Source document"),
            ],
            [
                [
                    r["period"],
                    r["series"],
                    r["value"],
                    r.get("low"),
                    r.get("high"),
                    r.get("status"),
                    r.get("example"),
                    r.get("document"),
                ]
                for r in [*rows, *forecast_rows[-1:], *target_rows]
            ],
        ),
    }
    return spec


def category_colours(labels: list[str]) -> dict:
    """Return the colour scale of a dimension's members, ``labels`` in the dimension's order."""
    return {
        "domain": labels,
        "range": [CATEGORIES[k % len(CATEGORIES)] for k in range(len(labels))],
    }


def breakdown_chart(
    title: str, periods: list[str], rows: list[dict], indicator, members: list[str]
) -> dict:
    """Return a stacked bar chart of a breakdown: rows are {period, member, value}.

    ``members`` are the dimension's members' labels, in its order: each keeps its colour.
    """
    spec = _base(title, periods, indicator.unit)
    spec.pop("_unit")
    spec["height"] = 220
    scale = indicator.percent_factor
    spec["data"] = {
        "values": [
            r | {"value": r["value"] * scale, "shown": format_with_unit(r["value"], indicator)}
            for r in rows
        ]  # fmt: skip
    }
    unit = "%" if indicator.is_share else indicator.unit_label
    spec["mark"] = {"type": "bar"}
    spec["encoding"] |= {
        "y": {"field": "value", "type": "quantitative", "stack": "zero", "title": unit},
        "color": {
            "field": "member",
            "type": "nominal",
            "title": None,
            "scale": category_colours(members),
        },
        "tooltip": [
            {"field": "member", "title": " "},
            {"field": "period", "title": _("Period")},
            {"field": "shown", "title": _("Value")},
        ],
    }
    spec["usermeta"] = {
        "csv": as_csv_text(
            [_("Period"), _("Member"), _value_title(indicator)],
            [[r["period"], r["member"], r["value"]] for r in spec["data"]["values"]],
        )
    }
    return spec
