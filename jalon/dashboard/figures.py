"""Turn an evaluation into what the pages show: figures, statuses and their sentences.

Everything here reads a PlanEvaluation (already computed and cached) and never queries
the database, so a page costs the same whatever the number of schools or indicators.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jalon.engine.forecast import LEVEL, WINDOW
from jalon.engine.periods import Period, PeriodError
from jalon.engine.rollup import rollup_counts
from jalon.values.evaluation import PlanEvaluation, derived_examples

STATUS_LABELS = {
    "achieved": gettext_lazy("achieved"),
    "on_track": gettext_lazy("on track"),
    "at_risk": gettext_lazy("at risk"),
    "off_track": gettext_lazy("off track"),
    "missed": gettext_lazy("missed"),
    "no_data": gettext_lazy("no data"),
    "no_target": gettext_lazy("no target"),
}
PROJECT_STATUS_LABELS = {
    "not_started": gettext_lazy("not started"),
    "on_track": gettext_lazy("on track"),
    "late": gettext_lazy("late"),
    "done": gettext_lazy("done"),
    "no_milestones": gettext_lazy("no milestones"),
}


def missing(value) -> bool:
    """Return whether ``value`` is no data (None or NaN); a zero is data."""
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def decimals_for(value: float, unit: str) -> int:
    """Return the decimals a figure is shown with: none from 100 up, two below."""
    if unit == "%":
        return 1
    return 0 if abs(value) >= 100 or float(value).is_integer() else 2


def _number(value: float, digits: int) -> str:
    # Django's number_format cuts digits off; round first so pages agree with the engine.
    return number_format(round(value, digits), digits, use_l10n=True, force_grouping=True)


def format_figure(value, unit: str, *, digits: int | None = None) -> str:
    """Return ``value`` in the active language: 13 400 / 13,400; shares as percentages."""
    if missing(value):
        return _("no data")
    value = float(value)
    if unit == "%":
        return f"{_number(value * 100, 1 if digits is None else digits)} %"
    text = _number(value, decimals_for(value, unit) if digits is None else digits)
    return text.replace("-", "−")


def format_rate(rate) -> str:
    """Return a yearly growth rate, signed: +8.4 % / −1.2 %."""
    if missing(rate):
        return "—"
    sign = "+" if rate >= 0 else "−"
    return f"{sign}{_number(abs(rate) * 100, 1)} %"


def format_percent(value, digits: int = 0) -> str:
    """Return a fraction as a percentage, rounded (0.606 → 61 %)."""
    if missing(value):
        return "—"
    return f"{_number(float(value) * 100, digits)} %".replace("-", "−")


def period_for_year(year: int | None, indicator) -> Period | None:
    """Return the indicator's period for a calendar year, read as the plan file reads it.

    2020 is the academic year 2020/21 for an academic indicator, the year itself for a
    yearly one, and its last quarter or month for the finer frequencies.
    """
    if year is None:
        return None
    try:
        return Period.containing(dt.date(year, 12, 31), indicator.frequency, indicator.start_month)
    except PeriodError:
        return None


@dataclass
class Figure:
    """One indicator at one entity and period, with everything a page says about it."""

    indicator: object
    entity_code: str
    period: Period | None
    value: float | None
    unit: str
    example: bool = False
    target_example: bool = False  # the target's baseline is a measured example figure
    forecast_example: bool = False  # the forecast was fitted on example figures
    discrepancy: bool = False
    own: float | None = None
    children: float | None = None
    expected: float | None = None
    baseline: float | None = None
    target: float | None = None
    target_period: Period | None = None
    status: str = "no_data"
    progress: float | None = None
    reporting: int = 0
    expected_reporting: int = 0
    forecast: float | None = None
    forecast_low: float | None = None
    forecast_high: float | None = None
    probability: float | None = None
    forecast_period: Period | None = None  # the target period, else the axis's last
    required_rate: float | None = None
    required_per_year: float | None = None
    historical_rate: float | None = None
    historical_per_year: float | None = None
    series: list = field(default_factory=list)  # (period, value, example) along the axis

    @property
    def method(self) -> str:
        """Return how the forecast is made, in the reader's language."""
        return _(
            "Linear trend (least squares) on up to the last %(window)s points;"
            " %(level)s %% prediction interval from Student's t with n − 2 degrees of freedom"
            " (n: points used); with 2 points, the line through them, and with 1 point, that"
            " value, both without interval or probability."
        ) % {"window": WINDOW, "level": round(LEVEL * 100)}

    @property
    def forecast_text(self) -> str:
        """Return the forecast and its interval, all three with the same decimals."""
        if self.forecast is None:
            return ""
        digits = decimals_for(self.forecast, self.unit)
        text = format_figure(self.forecast, self.unit, digits=digits)
        if self.forecast_low is not None:
            low = format_figure(self.forecast_low, self.unit, digits=digits)
            high = format_figure(self.forecast_high, self.unit, digits=digits)
            text += f" [{low} – {high}]"
        return text

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def coverage_incomplete(self) -> bool:
        return self.expected_reporting > 0 and self.reporting < self.expected_reporting

    def sentence(self) -> str:
        """Return the status and the arithmetic behind it, in one sentence."""
        f = lambda v: format_figure(v, self.unit)  # noqa: E731 - a local shorthand
        if self.status == "no_target":
            return _("No target applies here.")
        if self.status == "no_data" or self.period is None:
            return _("No figure for this period.")
        label = self.status_label
        polarity = self.indicator.polarity
        if self.status == "achieved":
            return _("%(actual)s meets the target of %(target)s → %(status)s.") % {
                "actual": f(self.value),
                "target": f(self.target),
                "status": label,
            }
        if self.status == "missed":
            return _(
                "%(actual)s at the target period, against a target of %(target)s → %(status)s."
            ) % {
                "actual": f(self.value),
                "target": f(self.target),
                "status": label,
            }
        if polarity in ("keep_above", "keep_below"):
            key = (
                _("a level to keep above")
                if polarity == "keep_above"
                else _("a level to keep below")
            )
            return _("%(actual)s against %(level)s, %(kind)s → %(status)s.") % {
                "actual": f(self.value),
                "level": f(self.target),
                "kind": key,
                "status": label,
            }
        if polarity == "band":
            return _("%(actual)s against a band to keep within → %(status)s.") % {
                "actual": f(self.value),
                "status": label,
            }
        if missing(self.progress):
            return _("%(actual)s → %(status)s.") % {"actual": f(self.value), "status": label}
        return _(
            "%(actual)s against %(expected)s expected: %(progress)s %% of the expected progress → %(status)s."
        ) % {
            "actual": f(self.value),
            "expected": f(self.expected),
            "progress": _number(self.progress * 100, 0).replace("-", "−"),
            "status": label,
        }

    def growth_sentence(self) -> str:
        """Return the growth still required each year against the historical rate."""
        if self.indicator.polarity not in ("up", "down"):
            return ""  # a level or a band is kept, not reached: no growth is required
        if missing(self.target) or self.target_period is None or missing(self.required_rate):
            return ""
        parts = {
            "target": format_figure(self.target, self.unit),
            "period": self.target_period.code,
            "rate": format_rate(self.required_rate),
            "per_year": format_figure(self.required_per_year, self.unit),
        }
        text = (
            _("Reaching %(target)s in %(period)s takes %(rate)s a year (%(per_year)s a year)")
            % parts
        )
        if missing(self.historical_rate):
            return text + "; " + _("no historical rate yet.")
        return (
            text
            + "; "
            + _("the recent trend is %(rate)s a year.")
            % {"rate": format_rate(self.historical_rate)}
        )


def figure_at(pe: PlanEvaluation, indicator, row: int, period: Period | None) -> Figure:
    """Return the indicator at entity ``row``: at ``period``, else at its latest figure."""
    r = pe.result(indicator.code)
    values = r.figure[row]
    example = pe.example[indicator.code][row]
    today = dt.date.today()
    if period is not None:
        column = r.periods.index(period) if period in r.periods else None
    else:
        known = [
            j for j, p in enumerate(r.periods) if not math.isnan(values[j]) and p.start <= today
        ]
        column = known[-1] if known else None
    forecast = r.forecast
    target_example, forecast_example = derived_examples(pe, indicator.code)
    fig = Figure(
        indicator=indicator,
        entity_code=pe.tree.codes[row],
        period=r.periods[column] if column is not None else period,
        value=None,
        unit=indicator.unit,
        baseline=_num(r.baseline[row]),
        target=_num(r.target[row]),
        target_period=r.target_period[row],
        forecast=_num(forecast.value[row]),
        forecast_low=_num(forecast.low[row]),
        forecast_high=_num(forecast.high[row]),
        probability=_num(forecast.probability[row]),
        forecast_period=r.target_period[row] or (r.periods[-1] if r.periods else None),
        required_rate=_num(r.required_rate[row]),
        required_per_year=_num(r.required_per_year[row]),
        historical_rate=_num(r.historical_rate[row]),
        historical_per_year=_num(r.historical_per_year[row]),
        series=[(p, _num(values[j]), bool(example[j])) for j, p in enumerate(r.periods)],
        target_example=bool(target_example[row]),
        forecast_example=bool(forecast_example[row]),
    )
    if column is None:
        fig.status = "no_target" if missing(fig.target) else "no_data"
        return fig
    c = r.consolidated
    fig.value = _num(values[column])
    fig.example = bool(example[column])
    fig.discrepancy = bool(c.discrepancy[row, column])
    fig.own = _num(c.own[row, column])
    fig.children = _num(c.children[row, column])
    fig.expected = _num(r.expected[row, column])
    fig.status = str(r.status[row, column])
    fig.progress = _num(r.progress[row, column])
    fig.reporting = int(c.reporting[row, column])
    fig.expected_reporting = int(c.expected[row, column])
    return fig


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def status_counts(statuses) -> list[tuple[str, str, int]]:
    """Return (status, label, count) for each status present, best first: counts, never averages."""
    statuses = list(statuses)
    counts = rollup_counts(statuses, {"all": range(len(statuses))})["all"]
    return [(s, STATUS_LABELS[s], n) for s, n in counts.items() if n]


def sparkline(series, width: int = 120, height: int = 32) -> str:
    """Return the points of an SVG polyline for a series of (period, value, example)."""
    points = [(j, v) for j, (_, v, _) in enumerate(series) if v is not None]
    if len(points) < 2:
        return ""
    xs = [j for j, _ in points]
    ys = [v for _, v in points]
    lo, hi = min(ys), max(ys)
    span_x = (max(xs) - min(xs)) or 1
    span_y = (hi - lo) or 1
    return " ".join(
        f"{2 + (x - min(xs)) / span_x * (width - 4):.1f},{height - 2 - (y - lo) / span_y * (height - 4):.1f}"
        for x, y in points
    )


@dataclass
class GapShare:
    """A member's figure against its share of the parent's trajectory."""

    row: int
    code: str
    figure: Figure
    pro_rata_expected: float | None
    gap: float | None
    share: float | None


def gap_shares(
    pe: PlanEvaluation,
    indicator,
    parent_row: int,
    period: Period,
    baseline_period: Period | None,
    rows: list[int],
) -> list[GapShare]:
    """Return each member's share of the parent's gap to its trajectory.

    A member's expected figure is the parent's trajectory applied to the member's share of
    the parent's baseline (pro rata); its gap is that minus its figure (the reverse for a
    'down' indicator); its share is its gap over the sum of the members' gaps.
    """
    r = pe.result(indicator.code)
    sign = -1.0 if indicator.polarity in ("down", "keep_below") else 1.0
    column = r.periods.index(period) if period in r.periods else None
    b_col = r.periods.index(baseline_period) if baseline_period in r.periods else None
    parent_expected = r.expected[parent_row, column] if column is not None else math.nan
    parent_base = r.baseline[parent_row]
    out = []
    for row in rows:
        fig = figure_at(pe, indicator, row, period)
        expected = gap = None
        if (
            column is not None
            and b_col is not None
            and parent_base
            and not math.isnan(parent_expected)
        ):
            base = r.pro_forma[row, b_col]
            if not math.isnan(base):
                expected = float(base * parent_expected / parent_base)
                if fig.value is not None:
                    gap = sign * (expected - fig.value)
        out.append(GapShare(row, pe.tree.codes[row], fig, expected, gap, None))
    total = sum(g.gap for g in out if g.gap is not None)
    for g in out:
        if g.gap is not None and total:
            g.share = g.gap / total
    return out
