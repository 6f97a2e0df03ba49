"""Turn an evaluation into what the pages show: figures, statuses and their sentences.

Everything here reads a PlanEvaluation (already computed and cached) and never queries
the database, so a page costs the same whatever the number of schools or indicators.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils.formats import number_format
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from jalon.engine.forecast import LEVEL, WINDOW
from jalon.engine.periods import Period
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
    "suppressed": gettext_lazy("suppressed"),  # withheld from the reader: too few members
}
PROJECT_STATUS_LABELS = {
    "not_started": gettext_lazy("not started"),
    "on_track": gettext_lazy("on track"),
    "late": gettext_lazy("late"),
    "done": gettext_lazy("done"),
    "no_milestones": gettext_lazy("no milestones"),
}


class Suppressed(float):
    """A total withheld from this reader (disclosure control): no data to every sum and
    test, and said as "suppressed (fewer than k members)" wherever it is shown."""

    def __new__(cls, fewest: int):
        figure = super().__new__(cls, "nan")
        figure.fewest = fewest
        return figure

    def __str__(self) -> str:
        return suppressed_text(self.fewest)


def suppressed_text(fewest: int) -> str:
    """Return how a withheld total reads, in the reader's language."""
    return ngettext(
        "suppressed (fewer than %(k)s member)", "suppressed (fewer than %(k)s members)", fewest
    ) % {"k": fewest}


def missing(value) -> bool:
    """Return whether ``value`` is no data (None or NaN); a zero is data."""
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def _number(value: float, digits: int) -> str:
    # Django's number_format cuts digits off; round first so pages agree with the engine.
    return number_format(round(value, digits), digits, use_l10n=True, force_grouping=True)


def format_figure(value, indicator, *, digits: int | None = None) -> str:
    """Return ``value`` in the active language with the indicator's decimals: 13 400 / 13,400.

    A share shows as a percentage, whether its figures are written 78.1 or 0.781.
    """
    if isinstance(value, Suppressed):
        return str(value)
    if missing(value):
        return _("no data")
    value = float(value) * indicator.percent_factor
    text = _number(value, indicator.decimals if digits is None else digits).replace("-", "−")
    return f"{text} %" if indicator.is_share else text


def format_with_unit(value, indicator) -> str:
    """Return a figure with its unit, as a sentence or a tooltip writes it: 13 361 étudiants."""
    text = format_figure(value, indicator)
    if indicator.is_share or missing(value) or isinstance(value, Suppressed):
        return text
    return f"{text}\u00a0{indicator.unit_label}"


def format_difference(value, indicator) -> str:
    """Return a difference of two figures: 7,000; for shares, in percentage points."""
    if missing(value) or not indicator.is_share:
        return format_figure(value, indicator)
    points = _number(float(value) * indicator.percent_factor, indicator.decimals)
    return _("%(points)s points") % {"points": points.replace("-", "−")}


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
    """Return the indicator's period for a calendar year (see Indicator.period_of_year)."""
    return None if year is None else indicator.period_of_year(year)


@dataclass
class TargetVerdict:
    """One target at an entity, judged on its own at the period a page shows."""

    document: str  # the source document's code; `source` is set by the view
    primary: bool
    baseline: float | None
    target: float | None
    target_period: Period
    status: str
    progress: float | None
    achievement: float | None
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    probability: float | None
    outcome: float | None  # the figure of the target period, once known
    past: bool  # the target period is over: an outcome, or none known yet; no probability
    beyond_horizon: bool
    source: object = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class Figure:
    """One indicator at one entity and period, with everything a page says about it."""

    indicator: object
    entity_code: str
    period: Period | None
    value: float | None
    unit: str
    example: bool = False
    unapproved: bool = False  # rests on a submitted figure, not yet approved
    target_example: bool = False  # the target's baseline is a measured example figure
    forecast_example: bool = False  # the forecast was fitted on example figures
    discrepancy: bool = False
    own: float | None = None
    children: float | None = None
    expected: float | None = None
    baseline: float | None = None
    target: float | None = None
    target_period: Period | None = None
    beyond_horizon: bool = False  # the target period lies past the plan's horizon
    status: str = "no_data"
    progress: float | None = None
    achievement: float | None = None
    reporting: int = 0
    expected_reporting: int = 0
    carried: int = 0  # the entity's own figure is carried forward from this many periods back
    carried_members: int = 0  # members whose figure is carried forward
    forecast: float | None = None
    forecast_low: float | None = None
    forecast_high: float | None = None
    probability: float | None = None
    forecast_period: Period | None = None  # the target period, else the axis's last
    n_points: int = 0
    outcome: float | None = None  # the figure of the target period, once known
    past: bool = False  # the target period is over (seen from the period shown, or today)
    since: Period | None = None  # the break in series the trend starts at
    since_note: str = ""
    required_rate: float | None = None
    required_per_year: float | None = None
    historical_rate: float | None = None
    historical_per_year: float | None = None
    series: list = field(default_factory=list)  # (period, value, example) along the axis
    withheld: frozenset = frozenset()  # the periods whose total is suppressed for the reader
    # The periods whose total still misses members' figures: {period: (reporting, expected)}.
    partial: dict = field(default_factory=dict)
    fewest: int = 0  # members a total must rest on for the reader to see it (0: any)
    verdicts: list = field(default_factory=list)  # every target at the entity: TargetVerdict

    @property
    def method(self) -> str:
        """Return how the forecast is made, in the reader's language."""
        n = self.n_points
        if n >= 3:
            text = ngettext(
                "Linear trend (least squares) on the last %(n)s figures; %(level)s %% prediction"
                " interval from Student's t with %(df)s degree of freedom.",
                "Linear trend (least squares) on the last %(n)s figures; %(level)s %% prediction"
                " interval from Student's t with %(df)s degrees of freedom.",
                n - 2,
            ) % {"n": n, "df": n - 2, "level": round(LEVEL * 100)}
        elif n == 2:
            text = _("The line through the last 2 figures; no interval nor probability.")
        else:
            text = _("The last figure, held flat; no interval nor probability.")
        text += " " + _("A trend is fitted on at most the last %(window)s figures.") % {
            "window": WINDOW
        }
        if self.since is not None:
            text += " " + _(
                "Fitted only on the figures since the break in series in %(period)s (%(note)s)."
            ) % {"period": self.since.code, "note": self.since_note}
        low, high = self.indicator.bound_low, self.indicator.bound_high
        shown = lambda v: format_figure(v, self.indicator)  # noqa: E731
        if low is not None and high is not None:
            text += " " + _(
                "Forecasts stay within the indicator's bounds, %(low)s to %(high)s; the"
                " interval is truncated there."
            ) % {"low": shown(low), "high": shown(high)}
        elif low is not None:
            text += " " + _(
                "Forecasts never go below %(low)s, the indicator's lowest figure; the interval"
                " is truncated there."
            ) % {"low": shown(low)}
        elif high is not None:
            text += " " + _(
                "Forecasts never go above %(high)s, the indicator's highest figure; the"
                " interval is truncated there."
            ) % {"high": shown(high)}
        return text

    @property
    def no_forecast_reason(self) -> str:
        """Return why there is no forecast, where a break in series is the reason."""
        if self.forecast is None and self.outcome is None and self.since is not None:
            return _(
                "No forecast: no figure since the break in series in %(period)s (%(note)s)."
            ) % {"period": self.since.code, "note": self.since_note}
        return ""

    @property
    def forecast_text(self) -> str:
        """Return the forecast and its interval, all three with the indicator's decimals."""
        if self.forecast is None:
            return ""
        text = format_figure(self.forecast, self.indicator)
        if self.forecast_low is not None:
            low = format_figure(self.forecast_low, self.indicator)
            high = format_figure(self.forecast_high, self.indicator)
            text += f" [{low} – {high}]"
        return text

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def suppressed(self) -> bool:
        """Return whether the figure is withheld from this reader (disclosure control)."""
        return isinstance(self.value, Suppressed)

    @property
    def coverage_incomplete(self) -> bool:
        """Return whether a consolidated figure misses members: a partial total, said so."""
        return (
            self.own is None
            and self.expected_reporting > 0
            and self.reporting < self.expected_reporting
        )

    @property
    def fresh_reporting(self) -> int:
        """Return how many members reported a figure of their own for the period."""
        return self.reporting - self.carried_members

    @property
    def coverage_complete(self) -> bool:
        """Return whether every member expected here has a figure (reported or carried)."""
        return self.expected_reporting > 0 and self.reporting >= self.expected_reporting

    def sentence(self) -> str:
        """Return the status and the arithmetic behind it, in one sentence."""
        f = lambda v: format_figure(v, self.indicator)  # noqa: E731 - a local shorthand
        actual = format_with_unit(self.value, self.indicator)  # the first figure says the unit
        if self.status == "no_target":
            return _("No target applies here.")
        if self.suppressed:
            return ngettext(
                "Suppressed: this total rests on fewer than %(k)s member, whose figures are"
                " not yours to see.",
                "Suppressed: this total rests on fewer than %(k)s members, whose figures are"
                " not yours to see.",
                self.value.fewest,
            ) % {"k": self.value.fewest}
        if self.status == "no_data" or self.period is None:
            return _("No figure for this period.")
        label = self.status_label
        polarity = self.indicator.polarity
        if self.status in ("achieved", "missed") and self.target_period is not None:
            parts = {
                "actual": actual,
                "target": f(self.target),
                "status": label,
                "period": self.period.code,
                "target_period": self.target_period.code,
            }
            if self.period == self.target_period:
                return (
                    _(
                        "%(actual)s at the target period, against a target of %(target)s → %(status)s."
                    )
                    % parts
                )
            if self.period > self.target_period:
                return (
                    _(
                        "%(actual)s in %(period)s, after the target period %(target_period)s, against"
                        " a target of %(target)s → %(status)s."
                    )
                    % parts
                )
        if self.status == "achieved":
            return _("%(actual)s meets the target of %(target)s → %(status)s.") % {
                "actual": actual,
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
                "actual": actual,
                "level": f(self.target),
                "kind": key,
                "status": label,
            }
        if polarity == "band":
            return _("%(actual)s against a band to keep within → %(status)s.") % {
                "actual": actual,
                "status": label,
            }
        if missing(self.progress):
            return _("%(actual)s → %(status)s.") % {"actual": actual, "status": label}
        return _(
            "%(actual)s against %(expected)s expected: %(progress)s %% of the expected progress → %(status)s."
        ) % {
            "actual": actual,
            "expected": f(self.expected),
            "progress": _number(self.progress * 100, 0).replace("-", "−"),
            "status": label,
        }

    def achievement_sentence(self) -> str:
        """Return the share of the way from the baseline to the target, in a sentence."""
        if missing(self.achievement) or self.target_period is None:
            return ""
        parts = {
            "share": format_percent(self.achievement),
            "baseline": format_figure(self.baseline, self.indicator),
            "target": format_with_unit(self.target, self.indicator),
            "period": self.target_period.code,
        }
        if self.achievement < 0:
            return (
                _(
                    "Achievement %(share)s: moving away from the target, from %(baseline)s towards"
                    " %(target)s in %(period)s."
                )
                % parts
            )
        return (
            _("Achievement %(share)s of the way from %(baseline)s to %(target)s in %(period)s.")
            % parts
        )

    def outcome_sentence(self) -> str:
        """Return the outcome once the target period's figure is known: met or missed, by how much."""
        if self.outcome is None or missing(self.target) or self.target_period is None:
            return ""
        return outcome_sentence(
            self.indicator, self.outcome, self.target, self.target_period, self.met
        )

    def unknown_outcome_sentence(self) -> str:
        """Return what is said of a target period that is over without its figure."""
        if not self.past or self.outcome is not None or self.target_period is None:
            return ""
        return _(
            "The target period %(period)s is over and its figure is not in: the outcome is"
            " not known yet."
        ) % {"period": self.target_period.code}

    @property
    def met(self) -> bool | None:
        """Return whether the known outcome meets the target (None before it is known)."""
        if self.outcome is None or missing(self.target):
            return None
        return meets(self.indicator, self.outcome, self.target)

    def growth_sentence(self) -> str:
        """Return the growth still required each year against the historical rate."""
        if self.indicator.polarity not in ("up", "down") or self.past:
            return ""  # a level or a band is kept, not reached; a period over needs nothing
        if missing(self.target) or self.target_period is None or missing(self.required_rate):
            return ""
        parts = {
            "target": format_with_unit(self.target, self.indicator),
            "period": self.target_period.code,
            "rate": format_rate(self.required_rate),
            "per_year": format_difference(self.required_per_year, self.indicator),
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


def meets(indicator, value: float, target: float) -> bool:
    """Return whether ``value`` meets ``target`` in the indicator's direction."""
    if indicator.polarity in ("down", "keep_below"):
        return value <= target
    return value >= target


def outcome_sentence(indicator, outcome: float, target: float, period: Period, met: bool) -> str:
    """Return "Outcome in 2022/23: 13,000 against 20,000 → missed by 7,000 (−35 %)."."""
    gap = outcome - target
    parts = {
        "period": period.code,
        "actual": format_with_unit(outcome, indicator),
        "target": format_figure(target, indicator),
        "gap": format_difference(abs(gap), indicator),
        "relative": format_rate(gap / abs(target)) if target else "—",
    }
    if met:
        return (
            _(
                "Outcome in %(period)s: %(actual)s against %(target)s → achieved, by %(gap)s"
                " (%(relative)s)."
            )
            % parts
        )
    return (
        _(
            "Outcome in %(period)s: %(actual)s against %(target)s → missed by %(gap)s (%(relative)s)."
        )
        % parts
    )


def _column(periods: list[Period], period: Period | None) -> int | None:
    return periods.index(period) if period is not None and period in periods else None


def figure_at(pe: PlanEvaluation, indicator, row: int, period: Period | None) -> Figure:
    """Return the indicator at entity ``row``: at ``period``, else at its latest figure.

    With a period, what lies ahead (forecast, outcome, growth) is seen from that period:
    only the figures up to it count, as someone standing then would have seen them.
    """
    r = pe.result(indicator.code)
    values = r.figure[row]
    example = pe.example[indicator.code][row]
    today = dt.date.today()
    partial = r.consolidated.partial_row(row)
    if period is not None:
        column = _column(r.periods, period)
    else:
        known = _known(r, row, today)
        # The latest figure is the latest whole one: a total that still misses members (a
        # collection round under way) is not the figure to judge the plan by; the pages
        # say it is coming (`latest_partial`).
        whole = [j for j in known if not partial[j]]
        column = (whole or known)[-1] if known else None
    view = pe.outlook(indicator.code, period)
    forecast = view.forecast
    target_example, forecast_example = derived_examples(pe, indicator.code, period)
    horizon_end = pe.plan.horizon_end
    target_period = r.target_period[row]
    fig = Figure(
        indicator=indicator,
        entity_code=pe.tree.codes[row],
        period=r.periods[column] if column is not None else period,
        value=None,
        unit=indicator.unit,
        baseline=_num(r.baseline[row]),
        target=_num(r.target[row]),
        target_period=target_period,
        beyond_horizon=_beyond(target_period, horizon_end),
        forecast=_num(forecast.value[row]),
        forecast_low=_num(forecast.low[row]),
        forecast_high=_num(forecast.high[row]),
        probability=_num(forecast.probability[row]),
        forecast_period=view.forecast_period[row],
        n_points=int(forecast.n_points[row]),
        outcome=_num(view.outcome[row]),
        past=bool(view.past[row]),
        since=view.since,
        since_note=_break_note(indicator, view.since),
        required_rate=_num(view.required_rate[row]),
        required_per_year=_num(view.required_per_year[row]),
        historical_rate=_num(view.historical_rate[row]),
        historical_per_year=_num(view.historical_per_year[row]),
        series=[
            (p, None if math.isnan(v) else v, e)
            for p, v, e in zip(r.periods, values.tolist(), example.tolist(), strict=True)
        ],
        withheld=frozenset(
            ()
            if r.suppressed is None
            else (r.periods[j] for j in np.flatnonzero(r.suppressed[row]))
        ),
        fewest=pe.withholding.fewest if pe.withholding else 0,
        partial=_still_reporting(r, row, partial),
        target_example=bool(target_example[row]),
        forecast_example=bool(forecast_example[row]),
        verdicts=_verdicts(r, view, row, column, horizon_end),
    )
    if column is None:
        fig.status = "no_target" if missing(fig.target) else "no_data"
        return fig
    c = r.consolidated
    fig.value = _num(values[column])
    fig.example = bool(example[column])
    fig.unapproved = bool(pe.unapproved[indicator.code][row, column])
    fig.discrepancy = bool(c.discrepancy[row, column])
    fig.own = _num(c.own[row, column])
    fig.children = _num(c.children[row, column])
    fig.expected = _num(r.expected[row, column])
    fig.status = str(r.status[row, column])
    fig.progress = _num(r.progress[row, column])
    fig.achievement = _num(r.achievement[row, column])
    if r.suppressed is not None and r.suppressed[row, column]:
        fig.value = Suppressed(fig.fewest)
        fig.status = "suppressed"
    # Coverage says how much of a consolidated figure its members make up; an entity's own
    # figure says it only where members reported too. Not consolidated: no coverage at all.
    reporting = int(c.reporting[row, column])
    if indicator.across != "none" and (fig.own is None or reporting):
        fig.reporting = reporting
        fig.expected_reporting = int(c.expected[row, column])
    fig.carried = int(r.carried[row, column])
    fig.carried_members = int(r.carried_members[row, column])
    return fig


def _known(r, row: int, today: dt.date) -> list[int]:
    """Return the columns where entity ``row`` has a figure, up to today."""
    return [
        j for j in np.flatnonzero(~np.isnan(r.figure[row])).tolist() if r.periods[j].start <= today
    ]


def _still_reporting(r, row: int, partial: list[bool]) -> dict:
    """Return the totals after the latest whole one that still miss members' figures (a
    round under way): {period: (reporting, expected)}. An older gap is a gap, not this."""
    c = r.consolidated
    later = []
    for j in reversed(np.flatnonzero(~np.isnan(r.figure[row])).tolist()):
        if not partial[j]:
            break
        later.append(j)
    return {
        r.periods[j]: (int(c.reporting[row, j]), c.expected_at(row, j)) for j in reversed(later)
    }


def latest_partial(pe: PlanEvaluation, indicator, row: int) -> Figure | None:
    """Return the indicator's latest figure at ``row`` where it is a partial total later
    than the figure `figure_at` shows (members still reporting), else None."""
    r = pe.result(indicator.code)
    known = _known(r, row, dt.date.today())
    partial = r.consolidated.partial_row(row)
    if not known or not partial[known[-1]]:
        return None
    whole = [j for j in known if not partial[j]]
    if not whole:  # nothing whole to show instead: the figure shown is this one
        return None
    return figure_at(pe, indicator, row, r.periods[known[-1]])


def _beyond(period: Period | None, horizon_end: int) -> bool:
    return period is not None and period.start.year > horizon_end


def _break_note(indicator, since: Period | None) -> str:
    if since is None:
        return ""
    for brk in indicator.breaks:
        if brk["period"] == since.code:
            english = (get_language() or "").startswith("en")
            return (brk.get("note_en") if english else None) or brk["note"]
    return ""


def _verdicts(r, view, row: int, column: int | None, horizon_end: int) -> list[TargetVerdict]:
    """Return every target at entity ``row``, primary first, each judged on its own."""
    t = r.targets
    out = []
    for k in np.flatnonzero(t.row == row):
        out.append(
            TargetVerdict(
                document=str(t.document[k]),
                primary=bool(t.primary[k]),
                baseline=_num(t.baseline[k]),
                target=_num(t.target[k]),
                target_period=t.target_period[k],
                status=str(t.status[k, column]) if column is not None else "no_data",
                progress=_num(t.progress[k, column]) if column is not None else None,
                achievement=_num(t.achievement[k, column]) if column is not None else None,
                forecast=_num(view.target_forecast.value[k]),
                forecast_low=_num(view.target_forecast.low[k]),
                forecast_high=_num(view.target_forecast.high[k]),
                probability=_num(view.target_forecast.probability[k]),
                outcome=_num(view.target_outcome[k]),
                past=bool(view.target_past[k]),
                beyond_horizon=_beyond(t.target_period[k], horizon_end),
            )
        )
    out.sort(key=lambda v: (not v.primary, v.target_period, v.document))
    return out


def _num(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def share_of_whole(part: Figure, whole: Figure | None, noun: str) -> tuple[float | None, str]:
    """Return the member's share of the whole's figure, or None and why there is none.

    Only an additive amount has shares, and only of a whole that means it: the whole's own
    entered figure, or a consolidation over every member expected (reported or carried).
    A member that alone reported is not 100 % of anything.
    """
    indicator = part.indicator
    if whole is None or indicator.kind != "amount" or indicator.across != "sum":
        return None, ""
    if whole.suppressed and not missing(part.value):
        return None, _("the total is %(suppressed)s") % {"suppressed": whole.value}
    if missing(part.value) or missing(whole.value) or not whole.value:
        return None, ""
    if whole.own is None and not whole.coverage_complete:
        return None, _(
            "only %(k)s of %(n)s %(members)s reported: a share of a partial total means nothing"
        ) % {"k": whole.reporting, "n": whole.expected_reporting, "members": noun}
    return part.value / whole.value, ""


def status_counts(statuses) -> list[tuple[str, str, int]]:
    """Return (status, label, count) for each status present, best first: counts, never averages."""
    statuses = [str(s) for s in statuses]
    judged = [s for s in statuses if s != "suppressed"]  # withheld from the reader: apart
    withheld = len(statuses) - len(judged)
    counts = rollup_counts(judged, {"all": range(len(judged))})["all"]
    out = [(s, STATUS_LABELS[s], n) for s, n in counts.items() if n]
    return out + ([("suppressed", STATUS_LABELS["suppressed"], withheld)] if withheld else [])


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
    latest: Figure | None = None  # the member's latest figure, where it has none for the period


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
        latest = None
        if fig.value is None:  # its latest figure up to the period shown, never a later one
            r = pe.result(indicator.code)
            known = (
                [
                    j
                    for j, p in enumerate(r.periods)
                    if p <= period and r.figure[row, j] == r.figure[row, j]
                ]
                if period
                else []
            )
            if known:
                latest = figure_at(pe, indicator, row, r.periods[known[-1]])
        out.append(GapShare(row, pe.tree.codes[row], fig, expected, gap, None, latest))
    total = sum(g.gap for g in out if g.gap is not None)
    for g in out:
        if g.gap is not None and total:
            g.share = g.gap / total
    return out


def statuses_by_entity(pe: PlanEvaluation, indicators, rows: list[int], year: int | None):
    """Return, for each entity row, its indicators' statuses counted (as `status_counts`):
    at the year's period, else at each indicator's latest figure. Arrays only, so a list
    of a thousand members costs milliseconds."""
    from jalon.engine.status import STATUS_ORDER

    codes = np.zeros((len(rows), len(STATUS_ORDER)), dtype=int)
    picked = np.asarray(rows, dtype=int)
    today = dt.date.today()
    no_data = [s.value for s in STATUS_ORDER].index("no_data")
    no_target = [s.value for s in STATUS_ORDER].index("no_target")
    for indicator in indicators:
        r = pe.result(indicator.code)
        if not r.periods:
            np.add.at(codes, (np.arange(len(rows)), no_target), 1)
            continue
        status = r.status.codes[picked]
        if year is not None:
            period = period_for_year(year, indicator)
            column = r.periods.index(period) if period in r.periods else 0
            at = np.full(len(rows), column)
            has = np.full(len(rows), period in r.periods)
        else:
            started = np.array([p.start <= today for p in r.periods])
            known = ~np.isnan(r.figure[picked]) & started[None, :]
            # The latest whole figure, as `figure_at` takes it: not a total still missing
            # members, where a whole one exists.
            whole = known & ~r.consolidated.partial[picked]
            known = np.where(whole.any(axis=1)[:, None], whole, known)
            at = len(r.periods) - 1 - np.argmax(known[:, ::-1], axis=1)
            has = known.any(axis=1)
        # No figure: no data where a target awaits one, else no target (as `figure_at`).
        none = np.where(np.isnan(r.target[picked]), no_target, no_data)
        chosen = np.where(has, status[np.arange(len(rows)), at], none)
        np.add.at(codes, (np.arange(len(rows)), chosen), 1)
    labels = [s.value for s in STATUS_ORDER]
    return [
        [(labels[k], STATUS_LABELS[labels[k]], int(n)) for k, n in enumerate(row) if n]
        for row in codes
    ]
