"""Figures shared by two plans' indicators (``figures_from``): entered once, recorded for
both. A plan load that links them copies the figures already there; every revision
recorded after is recorded on each indicator of the group (`mirrored`), in the same
transaction, so the two never differ."""

import dataclasses

from django.db.models import Q

from jalon.plans.models import DimensionMember, Indicator, Plan
from jalon.values.models import Value

COPIED = [
    f.attname for f in Value._meta.concrete_fields if f.name not in ("id", "indicator", "member")
]


def _members(source: Indicator, dest: Indicator) -> dict[int, int]:
    """Return the breakdown members of ``source`` (ids) matched to ``dest``'s by code."""
    codes = {
        (m.dimension.code, m.code): m.pk
        for m in DimensionMember.objects.filter(dimension__indicator=dest).select_related(
            "dimension"
        )
    }
    return {
        m.pk: codes[(m.dimension.code, m.code)]
        for m in DimensionMember.objects.filter(dimension__indicator=source).select_related(
            "dimension"
        )
        if (m.dimension.code, m.code) in codes
    }


def _in_force(indicator: Indicator) -> set[tuple]:
    return set(
        Value.objects.current()
        .filter(indicator=indicator)
        .values_list(
            "entity_id",
            "period",
            "member__dimension__code",
            "member__code",
            "number",
            "text",
            "state",
        )  # fmt: skip
    )


def take_figures(sender, indicator: Indicator, keeper: Indicator, problem, **kwargs) -> None:
    """Copy ``keeper``'s figures, every revision, to ``indicator`` as it starts sharing
    them; refuse where ``indicator`` has figures of its own that say otherwise."""
    # No figure of the keeper's recorded meanwhile and missed: its writers wait.
    Plan.objects.select_for_update().filter(pk=keeper.plan_id).values_list("pk").first()
    theirs = Value.objects.filter(indicator=keeper)
    if Value.objects.filter(indicator=indicator).exists():
        if _in_force(indicator) != _in_force(keeper):
            problem(
                f"'{indicator.code}' has figures of its own that differ from plan"
                f" '{keeper.plan.code}''s: they cannot be shared"
            )
        return
    members = _members(keeper, indicator)
    Value.objects.bulk_create(
        (
            Value(
                indicator=indicator,
                member_id=members.get(row[0]),
                **dict(zip(COPIED, row[1:], strict=True)),
            )
            for row in theirs.values_list("member_id", *COPIED).iterator(chunk_size=2000)
            if row[0] is None or row[0] in members
        ),
        batch_size=2000,
    )


def sharing_plans(plan) -> dict[int, set[str]]:
    """Return the other plans (ids) that share figures with ``plan``, each with the codes
    of the indicators shared."""
    mine = Indicator.objects.filter(plan=plan)
    heads = {i.figures_from_id or i.pk: i.code for i in mine}
    out: dict[int, set[str]] = {}
    for plan_id, code in (
        Indicator.objects.filter(Q(pk__in=heads) | Q(figures_from__in=heads))
        .exclude(plan=plan)
        .values_list("plan_id", "code")
    ):
        out.setdefault(plan_id, set()).add(code)
    return out


def groups(ids: set[int]) -> dict[int, list[int]]:
    """Return, for each indicator of ``ids`` that shares its figures, the others of its
    group (those it takes them from, and those taking them from the same)."""
    if not ids or not Indicator.objects.filter(figures_from__isnull=False).exists():
        return {}
    keeper = dict(Indicator.objects.filter(pk__in=ids).values_list("pk", "figures_from_id"))
    heads = {pk: (head or pk) for pk, head in keeper.items()}
    members: dict[int, set[int]] = {}
    for pk, head in Indicator.objects.filter(
        Q(pk__in=set(heads.values())) | Q(figures_from__in=set(heads.values()))
    ).values_list("pk", "figures_from_id"):
        members.setdefault(head or pk, set()).add(pk)
    return {
        pk: sorted(members.get(head, {pk}) - {pk})
        for pk, head in heads.items()
        if len(members.get(head, ())) > 1
    }


def mirrored(entries: list) -> list:
    """Return ``entries`` and, for each on a shared indicator, its copy for every other
    indicator of the group (marked ``mirror``), breakdown members matched by code."""
    shared = groups({e.key[0] for e in entries})
    if not shared:
        return entries
    by_pk = Indicator.objects.in_bulk({pk for pks in shared.items() for pk in [pks[0], *pks[1]]})
    maps: dict[tuple[int, int], dict[int, int]] = {}
    out = list(entries)
    for entry in entries:
        for other in shared.get(entry.key[0], ()):
            member = entry.key[3]
            if member is not None:
                pair = (entry.key[0], other)
                if pair not in maps:
                    maps[pair] = _members(by_pk[pair[0]], by_pk[pair[1]])
                member = maps[pair].get(member)
                if member is None:
                    continue
            key = (other, entry.key[1], entry.key[2], member)
            out.append(dataclasses.replace(entry, key=key, mirror=True))
    return out
