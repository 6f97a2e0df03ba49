import datetime as dt
import math

from django.core.management.base import BaseCommand, CommandError

from jalon.engine.periods import Period, PeriodError
from jalon.organisation.models import Entity, Grouping
from jalon.plans.models import Plan
from jalon.values.evaluation import coherence_notes, derived_examples, end_of_day, evaluate_plan

COLUMNS = (
    "Indicator",
    "Entity",
    "Period",
    "Actual",
    "Expected",
    "Target",
    "Status",
    "Coverage",
    "Forecast (80 % interval)",
    "P(target)",
)


def fmt(value: float, unit: str) -> str:
    """Return ``value`` for a terminal: thousands separated, shares as percentages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "%":
        return f"{value * 100:.1f} %"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


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


def latest(periods: list[Period], figures) -> int | None:
    """Return the column of the latest period with a figure, up to today."""
    today = dt.date.today()
    known = [j for j, p in enumerate(periods) if not math.isnan(figures[j]) and p.start <= today]
    return known[-1] if known else None


class Command(BaseCommand):
    help = "Print the plan's status: actual, expected, target, status, coverage, forecast."

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="The plan's code (default: the only plan).")
        parser.add_argument("--entity", help="An entity's code (default: the plan's organisation).")
        parser.add_argument(
            "--period", help="A period code, e.g. 2020 or 2020/21 (default: latest figure)."
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="Show what was known at the end of this date (YYYY-MM-DD).",
        )

    def handle(self, *args, plan, entity, period, as_of, **options):
        plans = Plan.objects.select_related("organisation")
        found = list((plans.filter(code=plan) if plan else plans)[:2])
        if not found:
            raise CommandError(
                f"no plan has the code {plan!r}"
                if plan
                else "no plan is loaded: run `jalon plan load FILE`"
            )
        if len(found) > 1:
            raise CommandError("several plans are loaded: choose one with --plan")
        the_plan = found[0]
        code = entity or the_plan.organisation.code
        if Grouping.objects.filter(code=code).exists():
            return self.grouping_table(the_plan, code, period, as_of)
        if not Entity.objects.filter(code=code).exists():
            raise CommandError(f"no entity or grouping has the code {code!r}")
        moment = end_of_day(as_of) if as_of else None
        indicators = the_plan.indicators.all()
        at = {i.code: wanted_period(period, i) for i in indicators} if period else None
        pe = evaluate_plan(the_plan, as_of=moment, at=at)
        row = pe.tree.codes.index(code)

        lines, notes = [], set()
        for indicator in pe.indicators.values():
            if indicator.kind == "qualitative":
                continue
            r = pe.result(indicator.code)
            if at:
                j = r.periods.index(at[indicator.code]) if at[indicator.code] in r.periods else None
            else:
                j = latest(r.periods, r.figure[row])
            if j is None:
                lines.append(
                    (
                        indicator.code,
                        code,
                        period or "—",
                        "—",
                        "—",
                        fmt(r.target[row], indicator.unit),
                        "no data",
                        "—",
                        "—",
                        "—",
                    )
                )
                continue
            actual = fmt(r.figure[row, j], indicator.unit)
            if pe.example[indicator.code][row, j]:
                actual += " ex"
                notes.add("ex: rests on example figures, generated for the demo — not real data.")
            if r.consolidated.discrepancy[row, j]:
                actual += " ≠"
                notes.add(
                    "≠: the entity's own figure differs from its children's consolidation; the own figure is shown."
                )
            expected = int(r.consolidated.expected[row, j])
            coverage = f"{int(r.consolidated.reporting[row, j])}/{expected}" if expected else "—"
            target_ex, forecast_ex = (flags[row] for flags in derived_examples(pe, indicator.code))
            expected_text = fmt(r.expected[row, j], indicator.unit)
            target = "—"
            if not math.isnan(r.target[row]):
                target = f"{fmt(r.target[row], indicator.unit)} in {r.target_period[row].code}"
                if target_ex:
                    target += " ex"
                    expected_text += " ex" if expected_text != "—" else ""
            f = r.forecast
            forecast = "—"
            if not math.isnan(f.value[row]):
                forecast = fmt(f.value[row], indicator.unit)
                if not math.isnan(f.low[row]):
                    forecast += (
                        f" [{fmt(f.low[row], indicator.unit)}–{fmt(f.high[row], indicator.unit)}]"
                    )
            probability = "—" if math.isnan(f.probability[row]) else f"{f.probability[row]:.0%}"
            if forecast_ex and forecast != "—":
                forecast += " ex"
                notes.add("ex: rests on example figures, generated for the demo — not real data.")
            lines.append(
                (
                    indicator.code,
                    code,
                    r.periods[j].code,
                    actual,
                    expected_text,
                    target,
                    str(r.status[row, j]).replace("_", " "),
                    coverage,
                    forecast,
                    probability,
                )
            )
            notes.add(f"Forecast: {f.method}")

        title = f"{the_plan.label} — {the_plan.organisation.name if code == the_plan.organisation.code else code}"
        if as_of:
            title += f", as known on {as_of.isoformat()}"
        self.stdout.write(title)
        widths = [max(len(str(x)) for x in col) for col in zip(COLUMNS, *lines, strict=False)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True)))
        self.stdout.write("  ".join("-" * w for w in widths))
        for line in lines:
            self.stdout.write(
                "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
            )
        for note in sorted(notes):
            self.stdout.write(note)
        for note in coherence_notes(pe, code):
            self.stdout.write(f"Target coherence: {note}")

    def grouping_table(self, plan, code: str, period: str | None, as_of) -> None:
        """Print a grouping's consolidated figures: its members' by each indicator's rule."""
        pe = evaluate_plan(plan, as_of=end_of_day(as_of) if as_of else None)
        g = pe.evaluation.grouping_codes.index(code)
        self.stdout.write(f"{plan.label} — grouping {code}")
        header = ("Indicator", "Period", "Figure", "Coverage")
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
                lines.append((indicator.code, period or "—", "—", "—"))
                continue
            expected = int(consolidated.expected[g, j])
            coverage = (
                f"{int(consolidated.reporting[g, j])}/{expected}" if expected else "no member"
            )
            lines.append(
                (indicator.code, periods[j].code, fmt(figures[j], indicator.unit), coverage)
            )
        widths = [max(len(str(x)) for x in col) for col in zip(header, *lines, strict=False)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for line in lines:
            self.stdout.write(
                "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip()
            )
