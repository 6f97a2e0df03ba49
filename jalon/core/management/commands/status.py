import datetime as dt
import math

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from jalon.engine.periods import Period, PeriodError
from jalon.organisation.models import Entity, Grouping
from jalon.plans.models import Plan
from jalon.values.evaluation import coherence_notes, derived_examples, end_of_day, evaluate_plan

COLUMNS = (
    "Indicator",
    "Unit",
    "Entity",
    "Period",
    "Actual",
    "Expected",
    "Target",
    "Status",
    "Achievement",
    "Coverage",
    "Forecast (80 % interval)",
    "P(target) or outcome",
)
NOTES = {
    "ex": "ex: rests on example figures, generated for the demo — not real data.",
    "u": "u: rests on submitted figures not yet approved (--include-submitted).",
    "c": "c: a member's last figure carried forward where it has not reported (the plan's rule).",
    "≠": "≠: the entity's own figure differs from its children's consolidation; the own figure is shown.",
    "+": "+: the target lies beyond the plan's horizon.",
}


def missing(value) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def fmt(value, indicator) -> str:
    """Return a figure for a terminal with the indicator's decimals: 4,728.3; shares in %."""
    if missing(value):
        return "—"
    text = f"{float(value) * indicator.percent_factor:,.{indicator.decimals}f}"
    return f"{text} %" if indicator.is_share else text


def bound(value, indicator) -> str | None:
    """Return one of an indicator's bounds as read: 0, 100 %."""
    if value is None:
        return None
    return f"{value * indicator.percent_factor:,g}" + (" %" if indicator.is_share else "")


def percent(value) -> str:
    return "—" if missing(value) else f"{value:.0%}"


def unit_of(indicator) -> str:
    return "%" if indicator.is_share else (indicator.unit_en or indicator.unit)


def wanted_period(code: str, indicator) -> Period:
    """Return the indicator's period for ``code``; a year reads as the plan file reads it."""
    try:
        return Period.parse(code, indicator.frequency, indicator.start_month)
    except PeriodError:
        pass
    # Another frequency's code: 2020 → the academic year 2020/21, 2020/21 → the year 2020.
    try:
        other = Period.parse(code, "academic_year" if "/" in code else "year")
    except PeriodError as error:
        raise CommandError(f"--period {code}: {error}") from None
    day = other.end if other.frequency == "year" else other.start
    return Period.containing(day, indicator.frequency, indicator.start_month)


def latest(periods: list[Period], figures, partial=None) -> int | None:
    """Return the column of the latest period with a figure, up to today: the latest whole
    one where ``partial`` says which are totals still missing members' figures."""
    today = dt.date.today()
    known = [j for j, p in enumerate(periods) if not math.isnan(figures[j]) and p.start <= today]
    whole = [j for j in known if partial is None or not partial[j]]
    return (whole or known)[-1] if known else None


def outcome(indicator, targets, outlook, k: int) -> str:
    """Return how a target whose period is over turned out: "missed by 6,500", "achieved
    by 200", or "over, no figure" while its figure is not in; "" while it is not over."""
    if not outlook.target_past[k]:
        return ""
    figure = outlook.target_outcome[k]
    if math.isnan(figure):
        return "over, no figure"
    verdict = str(targets.status[k, targets.target_column[k]])
    gap = fmt(abs(figure - targets.target[k]), indicator)
    return f"{'achieved' if verdict == 'achieved' else 'missed'} by {gap}"


def break_note(indicator, period: Period) -> str:
    """Return the note of the indicator's break in series at ``period``, in English if given."""
    found = (b for b in indicator.breaks if b["period"] == period.code)
    return next((b.get("note_en") or b["note"] for b in found), "")


def method_note(indicator, outlook, row: int, standing: Period | None) -> str:
    """Return how the forecast at ``row`` was made: the figures used, interval, bounds, break."""
    f = outlook.forecast
    n = int(f.n_points[row])
    if n >= 3:
        text = (
            f"linear trend (least squares) on the last {n} figures; 80 % prediction interval"
            f" from Student's t with {n - 2} degree{'s' if n > 3 else ''} of freedom"
        )
    elif n == 2:
        text = "the line through the last 2 figures; no interval nor probability"
    else:
        text = "the last figure, held flat; no interval nor probability"
    low, high = (bound(b, indicator) for b in (indicator.bound_low, indicator.bound_high))
    if low is not None and high is not None:
        text += f"; kept within {low} to {high} (interval truncated)"
    elif low is not None:
        text += f"; never below {low} (interval truncated)"
    elif high is not None:
        text += f"; never above {high} (interval truncated)"
    if outlook.since is not None:
        text += (
            f"; only the figures since the break in series in {outlook.since.code}"
            f" ({break_note(indicator, outlook.since)})"
        )
    if standing is not None:
        text += f"; figures up to {standing.code} only"
    return text[:1].upper() + text[1:] + "."


class Command(BaseCommand):
    help = (
        "Print the plan's status: actual, expected, target, status, achievement, coverage,"
        " forecast; every target, each judged on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="The plan's code (default: the only plan).")
        parser.add_argument("--entity", help="An entity's code (default: the plan's organisation).")
        parser.add_argument(
            "--period",
            help="A period code, e.g. 2020 or 2020/21 (default: latest figure); forecasts then"
            " use only the figures up to it.",
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="Show what was known at the end of this date (YYYY-MM-DD).",
        )
        parser.add_argument(
            "--include-submitted",
            action="store_true",
            help="Count submitted figures beside approved ones (marked u).",
        )

    def handle(self, *args, plan, entity, period, as_of, include_submitted, **options):
        plans = Plan.objects.select_related("organisation")
        found = list((plans.filter(code=plan) if plan else plans)[:2])
        if not found:
            raise CommandError(
                f"no plan has the code {plan!r}"
                if plan
                else "no plan is loaded: run `jalon plan load FILE`"
            )
        if len(found) > 1:
            codes = ", ".join(plans.values_list("code", flat=True))
            raise CommandError(f"several plans are loaded ({codes}): choose one with --plan")
        the_plan = found[0]
        code = entity or the_plan.organisation.code
        if Grouping.objects.filter(code=code).exists():
            return self.grouping_table(the_plan, code, period, as_of, include_submitted)
        if not Entity.objects.within(the_plan.organisation).filter(code=code).exists():
            raise CommandError(
                f"no entity or grouping of plan {the_plan.code} has the code {code!r}"
            )
        moment = end_of_day(as_of) if as_of else None
        indicators = the_plan.indicators.all()
        at = {i.code: wanted_period(period, i) for i in indicators} if period else None
        pe = evaluate_plan(the_plan, as_of=moment, at=at, include_submitted=include_submitted)
        row = pe.tree.codes.index(code)

        lines, marks, methods = [], set(), {}
        for indicator in pe.indicators.values():
            if indicator.kind == "qualitative":
                continue
            r = pe.result(indicator.code)
            if at:
                j = r.periods.index(at[indicator.code]) if at[indicator.code] in r.periods else None
            else:
                j = latest(r.periods, r.figure[row], r.consolidated.partial[row])
            if j is None:
                lines.append(
                    (indicator.code, unit_of(indicator), code, period or "—", "—", "—",
                     fmt(r.target[row], indicator), "no data", "—", "—", "—", "—")
                )  # fmt: skip
                continue
            line, used, method = self.indicator_line(pe, indicator, r, row, j, code)
            lines.append(line)
            marks |= used
            if method:
                methods.setdefault(method, []).append(indicator.code)
            lines += self.other_targets(pe, indicator, r, row, j, marks)

        title = f"{the_plan.label} — {the_plan.organisation.name if code == the_plan.organisation.code else code}"
        if as_of:
            title += f", as known on {as_of.isoformat()}"
        if include_submitted:
            title += ", with submitted figures"
        self.stdout.write(title)
        self.table(COLUMNS, lines)
        for mark in NOTES:
            if mark in marks:
                self.stdout.write(NOTES[mark])
        for method, codes in methods.items():
            self.stdout.write(f"Forecast of {', '.join(codes)}: {method}")
        for note in coherence_notes(pe, code):
            self.stdout.write(f"Target coherence: {note}")

    def indicator_line(self, pe, indicator, r, row: int, j: int, code: str):
        """Return the indicator's line at the entity, the marks it used, and its method."""
        marks = set()

        def mark(text: str, flag: str) -> str:
            marks.add(flag)
            return f"{text} {flag}"

        actual = fmt(r.figure[row, j], indicator)
        if pe.example[indicator.code][row, j]:
            actual = mark(actual, "ex")
        if pe.unapproved[indicator.code][row, j]:
            actual = mark(actual, "u")
        if r.rests_on_carried[row, j]:
            actual = mark(actual, "c")
        if r.consolidated.discrepancy[row, j]:
            actual = mark(actual, "≠")
        # Coverage says how much of a consolidated figure its members make up; an own figure
        # says it only where members reported too; a figure not consolidated, never.
        reporting = int(r.consolidated.reporting[row, j])
        own = not math.isnan(r.consolidated.own[row, j])
        consolidated = indicator.across != "none" and (not own or reporting)
        expected = int(r.consolidated.expected[row, j]) if consolidated else 0
        coverage = "—"
        if expected:
            coverage = f"{reporting}/{expected}"
            if r.carried_members[row, j]:
                coverage += f" ({int(r.carried_members[row, j])} c)"
        period = r.at  # the period asked for with --period, else None: today
        target_ex, forecast_ex = (
            flags[row] for flags in derived_examples(pe, indicator.code, period)
        )
        expected_text = fmt(r.expected[row, j], indicator)
        target = "—"
        if not math.isnan(r.target[row]):
            target = f"{fmt(r.target[row], indicator)} in {r.target_period[row].code}"
            if r.target_period[row].start.year > pe.plan.horizon_end:
                target = mark(target, "+")
            if target_ex:
                target = mark(target, "ex")
                expected_text += " ex" if expected_text != "—" else ""
        outlook = pe.outlook(indicator.code, period)
        f = outlook.forecast
        forecast, chance, method = "—", percent(f.probability[row]), ""
        primary = np.flatnonzero((r.targets.row == row) & r.targets.primary)
        said = outcome(indicator, r.targets, outlook, primary[0]) if primary.size else ""
        if said:
            chance = said
        if not math.isnan(f.value[row]):
            forecast = f"{fmt(f.value[row], indicator)} in {outlook.forecast_period[row].code}"
            if not math.isnan(f.low[row]):
                forecast += f" [{fmt(f.low[row], indicator)}–{fmt(f.high[row], indicator)}]"
            if forecast_ex:
                forecast = mark(forecast, "ex")
            method = method_note(indicator, outlook, row, period)
        elif outlook.since is not None:
            method = (
                f"none: no figure since the break in series in {outlook.since.code}"
                f" ({break_note(indicator, outlook.since)})."
            )
        line = (
            indicator.code,
            unit_of(indicator),
            code,
            r.periods[j].code,
            actual,
            expected_text,
            target,
            str(r.status[row, j]).replace("_", " "),
            percent(r.achievement[row, j]),
            coverage,
            forecast,
            chance,
        )
        return line, marks, method

    def other_targets(self, pe, indicator, r, row: int, j: int, marks: set) -> list[tuple]:
        """Return a line for each other target at the entity, judged on its own."""
        t, view = r.targets, pe.outlook(indicator.code, r.at)
        out = []
        for k in np.flatnonzero((t.row == row) & ~t.primary):
            target = f"{fmt(t.target[k], indicator)} in {t.target_period[k].code}"
            if t.target_period[k].start.year > pe.plan.horizon_end:
                marks.add("+")
                target += " +"
            chance = outcome(indicator, t, view, k) or percent(view.target_forecast.probability[k])
            out.append(
                (
                    f"  └ {t.document[k]}",
                    "",
                    "",
                    "",
                    "",
                    fmt(t.expected[k, j], indicator),
                    target,
                    str(t.status[k, j]).replace("_", " "),
                    percent(t.achievement[k, j]),
                    "",
                    "",
                    chance,
                )
            )
        return out

    def table(self, header, lines) -> None:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=False)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        self.stdout.write("  ".join("-" * w for w in widths))
        for line in lines:
            self.stdout.write(
                "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
            )

    def grouping_table(self, plan, code: str, period: str | None, as_of, include_submitted) -> None:
        """Print a grouping's consolidated figures: its members' by each indicator's rule."""
        pe = evaluate_plan(
            plan,
            as_of=end_of_day(as_of) if as_of else None,
            include_submitted=include_submitted,
        )
        if code not in pe.evaluation.grouping_codes:
            raise CommandError(f"the grouping {code!r} does not belong to plan {plan.code}")
        g = pe.evaluation.grouping_codes.index(code)
        self.stdout.write(f"{plan.label} — grouping {code}")
        header = ("Indicator", "Unit", "Period", "Figure", "Coverage")
        lines = []
        for indicator in pe.indicators.values():
            consolidated = pe.evaluation.groupings.get(indicator.code)
            if consolidated is None:
                continue
            periods = pe.result(indicator.code).periods
            figures = consolidated.value[g]
            if period:
                wanted = wanted_period(period, indicator)
                j = periods.index(wanted) if wanted in periods else None
            else:
                j = latest(periods, figures)
            if j is None:
                lines.append((indicator.code, unit_of(indicator), period or "—", "—", "—"))
                continue
            expected = int(consolidated.expected[g, j])
            coverage = (
                f"{int(consolidated.reporting[g, j])}/{expected}" if expected else "no member"
            )
            lines.append(
                (
                    indicator.code,
                    unit_of(indicator),
                    periods[j].code,
                    fmt(figures[j], indicator),
                    coverage,
                )
            )
        self.table(header, lines)
