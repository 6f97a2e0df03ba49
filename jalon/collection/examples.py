"""The demo's open round: the plan's latest year, its members in every state of a round.

Some members are done (approved), some have submitted figures awaiting approval, one had
a figure returned with a steward's comment, and the rest, the contributor persona's
member among them, have sent nothing yet. The figures are examples (the plan's example
source), grown from each member's last figure, and marked as such wherever they show.
Nothing is made up for a plan without an example source: its round opens empty.
"""

import datetime as dt

import numpy as np
from django.utils import timezone

from jalon.collection.forms import OpenRoundForm
from jalon.collection.models import CollectionRound
from jalon.plans.models import Plan, Source
from jalon.values.examples import published
from jalon.values.models import Value
from jalon.values.valuefile import decide, store_data

LABEL = "jalon demo"


def demo_year(plan: Plan, today: dt.date) -> int:
    """Return the year of the demo's round: the plan's last, or this year if it runs on."""
    return min(plan.horizon_end, today.year)


def open_demo_round(plan: Plan, *, keep_missing: str | None = None, seed: int = 2022):
    """Open the demo's round (once) and fill it in every state; return it, or None if open.

    ``keep_missing``: the code of the member whose figures stay missing, for the
    contributor persona to enter.
    """
    today = timezone.localdate()
    year = demo_year(plan, today)
    if CollectionRound.objects.filter(plan=plan, year=year).exists():
        return None
    form = OpenRoundForm(plan=plan)
    indicators = list(form.fields["indicators"].queryset)
    entities = list(form.fields["entities"].queryset)  # asked for the periods they exist at
    round_ = CollectionRound.open(
        plan, year, dt.date(year + 1, 1, 31), indicators, entities, label=LABEL
    )
    source = Source.objects.filter(plans=plan, is_example=True).order_by("code").first()
    if source is None:
        return round_
    members = [e for e in round_.entities.order_by("code") if e.code != keep_missing]
    rows = _rows(round_, members, source, np.random.default_rng(seed))
    by_entity: dict[str, list[dict]] = {}
    for row in rows:
        by_entity.setdefault(row["entity"], []).append(row)
    reporting = [e for e in members if e.code in by_entity]
    # About half done, a third awaiting approval, one returned, the rest missing.
    done = reporting[: len(reporting) // 2]
    waiting = reporting[len(done) : len(done) + max(1, len(reporting) // 3)]
    returned = reporting[len(done) + len(waiting) : len(done) + len(waiting) + 1]
    for state, group in (("approved", done), ("submitted", waiting + returned)):
        values = [row for e in group for row in by_entity[e.code]]
        if values:
            data = {"jalon": 1, "plan": plan.code, "state": state, "values": values}
            store_data(_located(data), "demo round", actor_label=LABEL, plan=plan)
    for entity in returned:
        first = (
            Value.objects.current()
            .filter(entity=entity, state="submitted", indicator__in=indicators)
            .select_related("indicator__plan", "entity", "source")
            .order_by("indicator__order", "indicator__code")
            .first()
        )
        if first is not None:
            decide(
                [first],
                "returned",
                "This figure looks high next to last year's: check it, or explain it.",
                label=LABEL,
            )
    return round_


def _located(data):
    from jalon.core.yamlsource import Located

    return Located(data=data)


def _rows(round_, members, source, rng) -> list[dict]:
    """Return an example figure for each member and indicator that has a previous one."""
    rows = []
    for indicator in round_.indicators.order_by("order", "code"):
        period = indicator.period_of_year(round_.year)
        before = indicator.period_of_year(round_.year - 1)
        if period is None or before is None:
            continue
        last = dict(
            Value.objects.current()
            .totals()
            .filter(indicator=indicator, period=before.code, state="approved")
            .values_list("entity__code", "number")
        )
        for entity in members:
            previous = last.get(entity.code)
            if previous is None or not entity.exists_on(period.end):
                continue
            value = previous * (1 + rng.normal(0.02, 0.03))
            if indicator.count and not indicator.fractions:
                value = max(0, round(value))
            else:
                value = round(value, 2)
            if indicator.bound_high is not None:
                value = min(value, indicator.bound_high)
            rows.append(
                {
                    "indicator": indicator.code,
                    "entity": entity.code,
                    "period": period.code,
                    "value": value,
                    "source": source.code,
                    "published": min(published(period.code), timezone.localdate()),
                }
            )
    return rows
