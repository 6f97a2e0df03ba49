"""Store a validated plan file, updating in place by code; export a plan back to a file.

Loading is all or nothing (one transaction). A target that changed keeps its previous
version, superseded, with the reason the file gives.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from jalon.audit.models import AuditEvent
from jalon.core.revisions import day_start
from jalon.core.yamlsource import FileProblems, Located, Problem
from jalon.organisation.models import Entity, Grouping, Lineage, Membership
from jalon.plans.models import (
    Axis,
    Dimension,
    DimensionMember,
    Indicator,
    Lever,
    Milestone,
    Plan,
    PlanRevision,
    Project,
    Source,
    Target,
    figures_shared,
)
from jalon.plans.planfile import (
    SCHEMA_VERSION,
    Existing,
    IndicatorDef,
    PlanFile,
    TargetDef,
    resolved_bounds,
    resolved_decimals,
)


@dataclass
class LoadReport:
    """What a load did, counted per kind of record."""

    plan: Plan | None = None
    counts: Counter = field(default_factory=Counter)
    target_changes: list[str] = field(default_factory=list)
    revision: int | None = None

    def count(self, kind: str, what: str) -> None:
        self.counts[f"{kind} {what}"] += 1

    def summary(self) -> str:
        """Return one line saying what changed."""
        changed = {k: v for k, v in sorted(self.counts.items()) if not k.endswith("unchanged")}
        parts = [f"{v} {k}" for k, v in changed.items()] or ["nothing changed"]
        return ", ".join(parts)


def _none_to_blank(value):
    return "" if value is None else value


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str, shared=None):
    """Return the record found by ``lookup``, created or updated to ``values``.

    ``shared``: a callable told the fields that would change when the record is another
    plan's too; it returns whether they may (else the record is left as it is).
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.count(kind, "created")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed and shared is not None and not shared(changed):
        return obj
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.count(kind, "updated")
    else:
        report.count(kind, "unchanged")
    return obj


class _Known(dict):
    """The file's records by code, and the database's on first use: a plan may refer to
    the federation's existing entities and sources without listing them again."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.referred: set[str] = set()

    def __missing__(self, code: str):
        record = self.model.objects.filter(code=code).first()
        if record is None:
            raise KeyError(code)
        self.referred.add(code)
        self[code] = record
        return record


@dataclass
class Sharing:
    """What other plans use: entities (their federations), sources they list, by code,
    each with one of those plans' codes. A load changes or removes none of it."""

    entities: dict[str, str]
    sources: dict[str, str]
    change: bool = False  # change shared records all the same (`plan load --change-shared`)

    @classmethod
    def around(cls, code: str, change: bool = False) -> Sharing:
        entities: dict[str, str] = {}
        sources: dict[str, str] = {}
        for other in Plan.objects.exclude(code=code).select_related("organisation"):
            for entity in Entity.objects.within(other.organisation).values_list("code", flat=True):
                entities.setdefault(entity, other.code)
            for source in other.sources.values_list("code", flat=True):
                sources.setdefault(source, other.code)
        return cls(entities, sources, change)

    def refuse(self, kind: str, code: str, user: str, changed: list[str], located, path, problems):
        problems.append(
            located.problem(
                path,
                f"the {kind} '{code}' is used by plan '{user}' too: this file would change"
                f" its {', '.join(changed)}. Leave it out of this file to use it as it is, or"
                " load with --change-shared to change it for every plan",
            )
        )


def existing() -> Existing:
    """Return the entities (with their parents) and sources a plan file may refer to."""
    parents = dict(Entity.objects.values_list("code", "parent__code"))
    return Existing(
        entities=parents, sources=frozenset(Source.objects.values_list("code", flat=True))
    )


def _set_m2m(manager, objects) -> bool:
    wanted = {o.pk for o in objects}
    if set(manager.values_list("pk", flat=True)) != wanted:
        manager.set(objects)
        return True
    return False


def _member_noun(noun) -> dict:
    words = noun.model_dump() if noun else {}
    return {
        f"member_{form}": words.get(form) or ""
        for form in ("singular", "plural", "singular_en", "plural_en")
    }


def _published(target: TargetDef, info, version: int):
    """Return when a target's version became known: the file's date, else the plan's
    adoption for a first version, else None (the moment it is stored)."""
    if target.published:
        return day_start(target.published)
    if version == 1 and info.adopted_on:
        return day_start(info.adopted_on)
    return None


def _target_content(target: TargetDef) -> dict:
    return {
        "primary": target.primary,
        "baseline_period": target.baseline.period,
        "baseline_value": None if target.baseline.measured else target.baseline.value,
        "target_period": target.target.period,
        "target_value": target.target.value,
        "target_relative": target.target.relative,
        "shape": target.shape,
        "milestones": [m.model_dump(exclude_none=True) for m in target.milestones],
        "note": _none_to_blank(target.note),
    }


def store_plan(
    plan_file: PlanFile,
    located: Located,
    text: str,
    filename: str,
    *,
    reason: str = "",
    actor_label: str = "",
    change_shared: bool = False,
) -> LoadReport:
    """Store ``plan_file``; return what changed. Raise FileProblems and write nothing on error.

    What another plan uses (entities of its federation, sources it lists, groupings and
    lineage links of those entities) is neither removed nor changed, unless
    ``change_shared``; the file may refer to existing entities and sources without
    listing them.
    """
    with transaction.atomic():
        sharing = Sharing.around(plan_file.plan.code, change=change_shared)
        report = _store(plan_file, located, filename, actor_label, sharing)
        digest = hashlib.sha256(text.encode()).hexdigest()
        plan = report.plan
        last = plan.revisions.order_by("-number").first()
        if last is None or last.digest != digest:
            number = (last.number + 1) if last else 1
            PlanRevision.objects.create(
                plan=plan,
                number=number,
                reason=reason,
                content=text,
                digest=digest,
                loaded_by=actor_label,
            )
            report.revision = number
        # What a load changes may be shared with other plans (the organisation's
        # entities, groupings and lineages, the sources): every plan is evaluated anew.
        for each in Plan.objects.all():
            each.touch()
        AuditEvent.record(
            "plan.load",
            "plan",
            plan.code,
            label=actor_label,
            plan=plan.code,
            file=Path(filename).name,  # never a path of the server's
            revision=report.revision,
            counts=dict(report.counts),
            target_changes=report.target_changes,
        )
    return report


def _store(
    pf: PlanFile, located: Located, filename: str, actor_label: str, sharing: Sharing
) -> LoadReport:
    report = LoadReport()
    problems: list[Problem] = []
    now = timezone.now()

    def shared(kind: str, code: str, user: str | None, path):
        """Return the `_upsert` check for a record another plan (``user``) uses."""
        if user is None or sharing.change:
            return None

        def may(changed: list[str]) -> bool:
            sharing.refuse(kind, code, user, changed, located, path, problems)
            return False

        return may

    sources = _Known(Source)
    for n, s in enumerate(pf.sources):
        sources[s.code] = _upsert(
            Source,
            {"code": s.code},
            {
                "title": s.title,
                "title_en": _none_to_blank(s.title_en),
                "publisher": _none_to_blank(s.publisher),
                "url": _none_to_blank(s.url),
                "published": _none_to_blank(s.published),
                "note": _none_to_blank(s.note),
                "note_en": _none_to_blank(s.note_en),
                "is_example": s.example,
            },
            report,
            "sources",
            shared("source", s.code, sharing.sources.get(s.code), ("sources", n)),
        )

    entities = _Known(Entity)
    for n, e in enumerate(pf.entities):
        entities[e.code] = _upsert(
            Entity,
            {"code": e.code},
            {
                "name": e.name,
                "name_en": _none_to_blank(e.name_en),
                "kind": e.kind,
                "valid_from": e.valid_from,
                "valid_to": e.valid_to,
                "note": _none_to_blank(e.note),
                "note_en": _none_to_blank(e.note_en),
            },
            report,
            "entities",
            shared("entity", e.code, sharing.entities.get(e.code), ("entities", n)),
        )
    for n, e in enumerate(pf.entities):
        entity = entities[e.code]
        parent = entities[e.parent] if e.parent else None
        if entity.parent_id != (parent.pk if parent else None):
            user = sharing.entities.get(e.code)
            if user and not sharing.change:
                sharing.refuse(
                    "entity", e.code, user, ["parent"], located, ("entities", n, "parent"), problems
                )
                continue
            entity.parent = parent
            entity.save(update_fields=["parent"])

    root_user = sharing.entities.get(pf.plan.organisation)
    organisation = entities[pf.plan.organisation]
    for n, g in enumerate(pf.groupings):
        owner = (
            Grouping.objects.filter(code=g.code, organisation__isnull=False)
            .exclude(organisation=organisation)
            .first()
        )
        if owner is not None:  # another federation's grouping (or everyone's): not this file's
            problems.append(
                located.problem(
                    ("groupings", n, "code"),
                    f"the grouping code '{g.code}' is taken by another federation's grouping:"
                    " choose another code",
                )
            )
            continue
        grouping = _upsert(
            Grouping,
            {"code": g.code},
            {
                "name": g.name,
                "name_en": _none_to_blank(g.name_en),
                "note": _none_to_blank(g.note),
                "note_en": _none_to_blank(g.note_en),
                "organisation": entities[pf.plan.organisation],
            },
            report,
            "groupings",
            shared("grouping", g.code, root_user, ("groupings", n)),
        )
        wanted = {(entities[m.entity].pk, m.valid_from, m.valid_to) for m in g.members}
        have = set(grouping.memberships.values_list("entity_id", "valid_from", "valid_to"))
        if wanted != have and have and root_user and not sharing.change:
            sharing.refuse(
                "grouping",
                g.code,
                root_user,
                ["members"],
                located,
                ("groupings", n, "members"),
                problems,
            )
        elif wanted != have:
            grouping.memberships.all().delete()
            Membership.objects.bulk_create(
                Membership(grouping=grouping, entity_id=e, valid_from=f, valid_to=t)
                for e, f, t in sorted(wanted, key=str)
            )

    in_file = {e.code for e in pf.entities}
    kept = set()
    for n, link in enumerate(pf.lineage):
        user = sharing.entities.get(link.predecessor) or sharing.entities.get(link.successor)
        new = not Lineage.objects.filter(
            predecessor=entities[link.predecessor], successor=entities[link.successor]
        ).exists()
        if new and user and not sharing.change:
            sharing.refuse(
                "lineage of", f"{link.predecessor} → {link.successor}", user, ["links"],
                located, ("lineage", n), problems,
            )  # fmt: skip
            continue
        obj = _upsert(
            Lineage,
            {
                "predecessor": entities[link.predecessor],
                "successor": entities[link.successor],
            },
            {
                "kind": link.kind,
                "date": link.date,
                "share": link.share,
                "note": _none_to_blank(link.note),
                "note_en": _none_to_blank(link.note_en),
            },
            report,
            "lineage links",
            shared("lineage link", f"{link.predecessor} → {link.successor}", user, ("lineage", n)),
        )
        kept.add(obj.pk)
    # Links between the file's entities that it no longer lists go, unless another plan
    # uses those entities.
    mine = in_file - set(sharing.entities)
    Lineage.objects.filter(predecessor__code__in=mine, successor__code__in=mine).exclude(
        pk__in=kept
    ).delete()

    try:
        root = entities[pf.plan.organisation]
    except KeyError:
        raise FileProblems(
            filename,
            [
                located.problem(
                    ("plan", "organisation"), f"no entity has the code '{pf.plan.organisation}'"
                )
            ],
        ) from None
    _remove_absent(
        Grouping.objects.filter(organisation=root)
        if root_user is None
        else Grouping.objects.none(),  # another plan's federation: its groupings stay
        {g.code for g in pf.groupings},
        problems,
        report,
        "groupings",
    )

    info = pf.plan
    plan = _upsert(
        Plan,
        {"code": info.code},
        {
            "name": info.name,
            "name_en": _none_to_blank(info.name_en),
            "language": info.language,
            "organisation": entities[info.organisation],
            "horizon_start": info.horizon[0],
            "horizon_end": info.horizon[1],
            "adopted_on": info.adopted_on,
            "adopted_by": _none_to_blank(info.adopted_by),
            "adopted_by_en": _none_to_blank(info.adopted_by_en),
            "adoption_note": _none_to_blank(info.adoption_note),
            "adoption_note_en": _none_to_blank(info.adoption_note_en),
            "status": info.status,
            "description": _none_to_blank(info.description),
            "description_en": _none_to_blank(info.description_en),
            "announced_projects": info.announced_projects,
            "projects_note": _none_to_blank(info.projects_note),
            "projects_note_en": _none_to_blank(info.projects_note_en),
            "on_track_threshold": info.thresholds.on_track,
            "at_risk_threshold": info.thresholds.at_risk,
            "explain_change_above": info.collection.explain_change_above,
            "fewest_members": info.disclosure.fewest_members,
            **_member_noun(info.member_noun),
        },
        report,
        "plans",
    )
    report.plan = plan

    def ordered(model, items, kind):
        found = {}
        for order, item in enumerate(items):
            found[item.code] = _upsert(
                model,
                {"plan": plan, "code": item.code},
                {
                    "name": item.name,
                    "name_en": _none_to_blank(item.name_en),
                    "order": order,
                    "description": _none_to_blank(item.description),
                    "description_en": _none_to_blank(item.description_en),
                },
                report,
                kind,
            )
        model.objects.filter(plan=plan).exclude(code__in=found).delete()
        return found

    axes = ordered(Axis, pf.axes, "axes")
    levers = ordered(Lever, pf.levers, "levers")

    indicators = {}
    for order, d in enumerate(pf.indicators):
        thresholds = d.thresholds
        calendar = (d.frequency, (d.start_month or 9) if d.frequency == "academic_year" else 1)
        before = Indicator.objects.filter(plan=plan, code=d.code).first()
        # Stored figures and past target versions are periods of the old calendar.
        if (
            before is not None
            and (before.frequency, before.start_month) != calendar
            and (
                before.values.exists()
                or before.targets.filter(superseded_at__isnull=False).exists()
            )
        ):
            problems.append(
                located.problem(
                    ("indicators", order, "frequency"),
                    f"'{d.code}' has figures or past targets by {before.frequency.replace('_', ' ')}:"
                    " its frequency cannot change; make a new indicator",
                )
            )
            raise FileProblems(filename, problems)
        indicators[d.code] = _upsert(
            Indicator,
            {"plan": plan, "code": d.code},
            {
                "name": d.name,
                "name_en": _none_to_blank(d.name_en),
                "order": order,
                "definition": _none_to_blank(d.definition),
                "definition_en": _none_to_blank(d.definition_en),
                "unit": d.unit,
                "unit_en": _none_to_blank(d.unit_en),
                "data_source": _none_to_blank(d.data_source),
                "data_source_en": _none_to_blank(d.data_source_en),
                "owner": _none_to_blank(d.owner),
                "owner_en": _none_to_blank(d.owner_en),
                "frequency": d.frequency,
                "start_month": (d.start_month or 9) if d.frequency == "academic_year" else 1,
                "polarity": d.polarity,
                "band_low": d.band[0] if d.band else None,
                "band_high": d.band[1] if d.band else None,
                "kind": d.kind,
                "across": d.across,
                "over_time": d.over_time,
                "formula": _none_to_blank(d.formula),
                "written_as": _none_to_blank(d.written_as),
                "count": d.count,
                "fractions": d.fractions,
                "bound_low": resolved_bounds(d)[0],
                "bound_high": resolved_bounds(d)[1],
                "decimals": resolved_decimals(d),
                "carry_forward": d.carry_forward,
                "breaks": [b.model_dump(exclude_none=True) for b in d.breaks],
                "headline": d.headline,
                "on_track_threshold": thresholds.on_track if thresholds else None,
                "at_risk_threshold": thresholds.at_risk if thresholds else None,
            },
            report,
            "indicators",
        )
    for i, d in enumerate(pf.indicators):
        indicator = indicators[d.code]
        links = {
            part: indicators[getattr(d, part)] if getattr(d, part) else None
            for part in ("numerator", "denominator", "weight")
        }
        changed = [
            p for p, o in links.items() if getattr(indicator, f"{p}_id") != (o.pk if o else None)
        ]
        for part in changed:
            setattr(indicator, part, links[part])
        if changed:
            indicator.save(update_fields=changed)
        _set_m2m(indicator.axes, [axes[c] for c in d.axes])
        _set_m2m(indicator.levers, [levers[c] for c in d.levers])
        dims = {}
        for b in d.breakdowns:
            dim = _upsert(
                Dimension,
                {"indicator": indicator, "code": b.code},
                {"name": b.name, "name_en": _none_to_blank(b.name_en)},
                report,
                "breakdowns",
            )
            dims[b.code] = dim
            members = []
            for order, m in enumerate(b.members):
                members.append(
                    _upsert(
                        DimensionMember,
                        {"dimension": dim, "code": m.code},
                        {"name": m.name, "name_en": _none_to_blank(m.name_en), "order": order},
                        report,
                        "breakdown members",
                    ).code
                )
            try:
                with transaction.atomic():
                    dim.members.exclude(code__in=members).delete()
            except ProtectedError:
                problems.append(
                    located.problem(
                        ("indicators", i, "breakdowns"),
                        f"a breakdown member of '{d.code}' that the file no longer lists has values; keep it",
                    )
                )
        try:
            with transaction.atomic():
                indicator.dimensions.exclude(code__in=dims).delete()
        except ProtectedError:
            problems.append(
                located.problem(
                    ("indicators", i),
                    f"a breakdown of '{d.code}' that the file no longer lists has values; keep it",
                )
            )
    _share_figures(pf, plan, indicators, located, problems)
    for gone in Indicator.objects.filter(plan=plan).exclude(code__in=indicators):
        if gone.sharers.exists():
            problems.append(
                Problem(
                    1,
                    1,
                    f"the indicator '{gone.code}' is no longer in the file but plan"
                    f" '{gone.sharers.first().plan.code}' takes its figures from it; keep it in the file",
                )
            )
        elif gone.values.exists():
            problems.append(
                Problem(
                    1,
                    1,
                    f"the indicator '{gone.code}' is no longer in the file but has values; keep it in the file",
                )
            )
        else:
            gone.delete()
            report.count("indicators", "removed")

    organisation = info.organisation
    seen = set()
    for i, t in enumerate(pf.targets):
        indicator = indicators[t.indicator]
        entity = entities[t.entity or organisation]
        document = sources[t.document]
        key = f"{t.indicator} @ {entity.code} ({t.document})"
        content = _target_content(t)
        current = (
            Target.objects.current()
            .filter(indicator=indicator, entity=entity, document=document)
            .first()
        )
        if current is not None:
            seen.add(current.pk)
        english = {"note_en": _none_to_blank(t.note_en), "reason_en": _none_to_blank(t.reason_en)}
        if current is not None and current.content() == content:
            # When it became known, and its texts in English, are about the target, not a
            # new target.
            published = _published(t, info, current.version)
            retold = {k: v for k, v in english.items() if getattr(current, k) != v}
            if current.published_at != published or retold:
                current.published_at = published
                for field, text in retold.items():
                    setattr(current, field, text)
                current.save(update_fields=["published_at", *retold])
                report.count("targets", "updated" if retold else "dated")
            else:
                report.count("targets", "unchanged")
            continue
        reason = (t.reason or "").strip()
        version = 1
        if current is not None:
            if not reason:
                problems.append(
                    located.problem(
                        ("targets", i), f"the target {key} changed: say why with reason:"
                    )
                )
                continue
            if reason == current.reason:
                problems.append(
                    located.problem(
                        ("targets", i, "reason"),
                        f"the target {key} changed again: give this change its own reason",
                    )
                )
                continue
            version = current.version + 1
            current.superseded_at = _published(t, info, version) or now
            current.save(update_fields=["superseded_at"])
            report.target_changes.append(f"{key}: version {version}, because {reason}")
            report.count("targets", "changed")
        else:
            last = (
                Target.objects.filter(indicator=indicator, entity=entity, document=document)
                .order_by("-version")
                .first()
            )
            version = last.version + 1 if last else 1
            report.count("targets", "created")
        created = Target.objects.create(
            indicator=indicator,
            entity=entity,
            document=document,
            version=version,
            reason=reason,
            published_at=_published(t, info, version),
            recorded_at=now,
            **content,
            **english,
        )
        seen.add(created.pk)
        AuditEvent.record(
            "target.set",
            "target",
            key,
            label=actor_label,
            plan=plan.code,
            version=version,
            reason=reason,
            content=content,
        )
    for gone in Target.objects.current().filter(indicator__plan=plan).exclude(pk__in=seen):
        gone.superseded_at = now
        gone.save(update_fields=["superseded_at"])
        report.count("targets", "withdrawn")
        AuditEvent.record("target.withdraw", "target", str(gone), label=actor_label, plan=plan.code)

    projects = {}
    for order, p in enumerate(pf.projects):
        project = _upsert(
            Project,
            {"plan": plan, "code": p.code},
            {
                "name": p.name,
                "name_en": _none_to_blank(p.name_en),
                "order": order,
                "description": _none_to_blank(p.description),
                "description_en": _none_to_blank(p.description_en),
                "lead": entities[p.lead] if p.lead else None,
                "owner": _none_to_blank(p.owner),
                "owner_en": _none_to_blank(p.owner_en),
                "start": p.start,
                "end": p.end,
                "status_override": _none_to_blank(p.status_override),
                "override_comment": _none_to_blank(p.override_comment),
                "override_comment_en": _none_to_blank(p.override_comment_en),
                "source": sources[p.source] if p.source else None,
            },
            report,
            "projects",
        )
        projects[p.code] = project
        _set_m2m(project.axes, [axes[c] for c in p.axes])
        _set_m2m(project.levers, [levers[c] for c in p.levers])
        _set_m2m(project.participants, [entities[c] for c in p.participants])
        _set_m2m(project.indicators, [indicators[c] for c in p.indicators])
        for m in p.milestones:
            _upsert(
                Milestone,
                {"project": project, "code": m.code},
                {
                    "name": m.name,
                    "name_en": _none_to_blank(m.name_en),
                    "due": m.due,
                    "done_on": m.done_on,
                },
                report,
                "milestones",
            )
        project.milestones.exclude(code__in=[m.code for m in p.milestones]).delete()
    Project.objects.filter(plan=plan).exclude(code__in=projects).delete()

    # Entities and sources last: what referred to them has been removed above. Only this
    # federation's entities are the file's to remove; sources are shared by every plan, so
    # a source the file no longer lists goes only when no plan lists it any more.
    # Kept: what the file lists or refers to, and what another plan uses.
    kept = set(entities) | set(sharing.entities)
    _remove_absent(Entity.objects.within(root), kept, problems, report, "entities")
    before = set(plan.sources.values_list("pk", flat=True))
    plan.sources.set(sources.values())  # the sources it refers to are the plan's too
    _remove_absent(
        Source.objects.filter(pk__in=before, plans=None),
        set(sources),
        problems,
        report,
        "sources",
    )
    if problems:
        raise FileProblems(filename, problems)
    return report


def _used_sources(plan: Plan) -> set[int]:
    """Return the ids of the sources that the plan's records refer to."""
    found = set()
    for relation in ("targets__indicator__plan", "value__indicator__plan", "project__plan"):
        found |= set(Source.objects.filter(**{relation: plan}).values_list("pk", flat=True))
    return found


def _remove_absent(candidates, kept: set[str], problems, report, kind: str) -> None:
    """Delete the records the file no longer lists; a record still referred to stays, said."""
    model = candidates.model
    gone = candidates.exclude(code__in=kept)
    if model is Entity:
        # Absent entities may be each other's parents: unlink them first. On any problem
        # the whole load rolls back, this included.
        Entity.objects.filter(pk__in=list(gone.values_list("pk", flat=True))).update(parent=None)
    for record in model.objects.filter(pk__in=list(gone.values_list("pk", flat=True))).order_by(
        "-pk"
    ):
        try:
            with transaction.atomic():
                if model is Entity:
                    # Lineage links and memberships describe the entity: they go with it.
                    Lineage.objects.filter(Q(predecessor=record) | Q(successor=record)).delete()
                    Membership.objects.filter(entity=record).delete()
                record.delete()
        except ProtectedError:
            problems.append(
                Problem(
                    1,
                    1,
                    f"the {kind[:-1] if kind != 'entities' else 'entity'} '{record.code}' is no longer in the file,"
                    " but figures, targets or another plan refer to it: keep it in the file"
                    + (" (end it with valid_to)" if model is Entity else ""),
                )
            )
        else:
            report.count(kind, "removed")


SAME_MEASURE = ("frequency", "start_month", "kind", "across", "over_time", "count", "written_as")


def _breakdown_codes(indicator: Indicator) -> set[tuple[str, str]]:
    return set(indicator.dimensions.values_list("code", "members__code"))


def _share_figures(pf: PlanFile, plan: Plan, indicators: dict, located, problems) -> None:
    """Link the indicators that take their figures from another plan's (``figures_from``)
    to the first plan's, checking they are the same measure; the figures app copies the
    figures already recorded there (`figures_shared`)."""
    for i, d in enumerate(pf.indicators):
        indicator = indicators[d.code]
        keeper = None
        where = ("indicators", i, "figures_from")
        for sharer in indicator.sharers.select_related("plan"):
            # Others take their figures from this one: it stays the same measure.
            differ = [n for n in SAME_MEASURE if getattr(sharer, n) != getattr(indicator, n)]
            if differ or _breakdown_codes(sharer) != _breakdown_codes(indicator):
                problems.append(
                    located.problem(
                        ("indicators", i),
                        f"plan '{sharer.plan.code}' shares the figures of '{d.code}': its"
                        f" {', '.join(differ) or 'breakdowns'} must stay as they are there",
                    )
                )
        if d.figures_from and indicator.sharers.exists():
            problems.append(
                located.problem(
                    where,
                    f"other plans take the figures of '{d.code}' from this one: it cannot"
                    " take its own from another",
                )
            )
            continue
        if d.figures_from:
            found = len(problems)
            other = (
                Indicator.objects.filter(plan__code=d.figures_from, code=d.code)
                .exclude(plan=plan)
                .select_related("figures_from__plan", "plan__organisation")
                .first()
            )
            if other is None:
                problems.append(
                    located.problem(
                        where, f"no other plan '{d.figures_from}' has an indicator '{d.code}'"
                    )
                )
                continue
            keeper = other.figures_from or other
            differ = [n for n in SAME_MEASURE if getattr(keeper, n) != getattr(indicator, n)]
            if keeper.plan.organisation_id != plan.organisation_id:
                problems.append(
                    located.problem(
                        where,
                        f"plan '{keeper.plan.code}' follows another federation: figures are"
                        " shared within one",
                    )
                )
            elif differ:
                problems.append(
                    located.problem(
                        where,
                        f"'{d.code}' differs from plan '{keeper.plan.code}''s in its"
                        f" {', '.join(differ)}: only the same measure shares its figures",
                    )
                )
            elif _breakdown_codes(keeper) != _breakdown_codes(indicator):
                problems.append(
                    located.problem(
                        where,
                        f"'{d.code}' is broken down otherwise than in plan"
                        f" '{keeper.plan.code}': the same breakdowns share their figures",
                    )
                )
            if len(problems) > found:
                continue
        if indicator.figures_from_id != (keeper.pk if keeper else None):
            if keeper is not None:
                figures_shared.send(
                    sender=Indicator,
                    indicator=indicator,
                    keeper=keeper,
                    problem=lambda text, where=where: problems.append(located.problem(where, text)),
                )
            indicator.figures_from = keeper
            indicator.save(update_fields=["figures_from"])


def _clean(mapping: dict) -> dict:
    """Return ``mapping`` without empty values, so exported files stay short."""
    return {k: v for k, v in mapping.items() if v not in (None, "", [], {})}


def _names(obj) -> dict:
    return {"name": obj.name, "name_en": obj.name_en}


def export_plan(plan: Plan) -> dict:
    """Return the plan as plan-file data that loads back to the same state."""
    entities = Entity.objects.within(plan.organisation).select_related("parent").order_by("code")
    mine = set(plan.sources.values_list("pk", flat=True)) | _used_sources(plan)
    indicators = list(
        plan.indicators.select_related("numerator", "denominator", "weight")
        .prefetch_related("axes", "levers", "dimensions__members")
        .order_by("order", "code")
    )
    targets = (
        Target.objects.current()
        .filter(indicator__plan=plan)
        .select_related("indicator", "entity", "document")
        .order_by("indicator__order", "entity__code", "document__code")
    )
    projects = plan.projects.prefetch_related(
        "axes", "levers", "participants", "indicators", "milestones"
    ).select_related("lead", "source")
    data = {
        "jalon": SCHEMA_VERSION,
        "plan": _clean(
            {
                "code": plan.code,
                **_names(plan),
                "organisation": plan.organisation.code,
                "language": plan.language if plan.language != "fr" else None,
                "horizon": [plan.horizon_start, plan.horizon_end],
                "adopted_on": plan.adopted_on,
                "adopted_by": plan.adopted_by,
                "adopted_by_en": plan.adopted_by_en,
                "adoption_note": plan.adoption_note,
                "adoption_note_en": plan.adoption_note_en,
                "status": plan.status,
                "description": plan.description,
                "description_en": plan.description_en,
                "announced_projects": plan.announced_projects,
                "projects_note": plan.projects_note,
                "projects_note_en": plan.projects_note_en,
                "thresholds": {
                    "on_track": plan.on_track_threshold,
                    "at_risk": plan.at_risk_threshold,
                },
                "collection": {"explain_change_above": plan.explain_change_above},
                "disclosure": {"fewest_members": plan.fewest_members},
                "member_noun": _clean(
                    {
                        form: getattr(plan, f"member_{form}")
                        for form in ("singular", "plural", "singular_en", "plural_en")
                    }
                ),
            }
        ),
        "sources": [
            _clean(
                {
                    "code": s.code,
                    "title": s.title,
                    "title_en": s.title_en,
                    "publisher": s.publisher,
                    "url": s.url,
                    "published": s.published,
                    "note": s.note,
                    "note_en": s.note_en,
                    "example": s.is_example or None,
                }
            )
            # The sources the plan lists or refers to (another plan's stay out).
            for s in Source.objects.filter(pk__in=mine).order_by("code")
        ],
        "entities": [
            _clean(
                {
                    "code": e.code,
                    **_names(e),
                    "kind": e.kind,
                    "parent": e.parent.code if e.parent else None,
                    "valid_from": e.valid_from,
                    "valid_to": e.valid_to,
                    "note": e.note,
                    "note_en": e.note_en,
                }
            )
            for e in entities
        ],
        "groupings": [
            _clean(
                {
                    "code": g.code,
                    **_names(g),
                    "note": g.note,
                    "note_en": g.note_en,
                    "members": [
                        _clean(
                            {
                                "entity": m.entity.code,
                                "valid_from": m.valid_from,
                                "valid_to": m.valid_to,
                            }
                        )
                        for m in g.memberships.select_related("entity").order_by(
                            "entity__code", "valid_from"
                        )
                    ],
                }
            )
            for g in Grouping.objects.filter(
                Q(organisation=plan.organisation) | Q(organisation__isnull=True)
            ).order_by("code")
        ],
        "lineage": [
            _clean(
                {
                    "predecessor": link.predecessor.code,
                    "successor": link.successor.code,
                    "kind": link.kind,
                    "date": link.date,
                    "share": link.share if link.share != 1.0 else None,
                    "note": link.note,
                    "note_en": link.note_en,
                }
            )
            for link in Lineage.objects.filter(successor__in=entities, predecessor__in=entities)
            .select_related("predecessor", "successor")
            .order_by("date", "successor__code", "predecessor__code")
        ],
        "axes": [
            _clean(
                {
                    "code": a.code,
                    **_names(a),
                    "description": a.description,
                    "description_en": a.description_en,
                }
            )
            for a in plan.axes.all()
        ],
        "levers": [
            _clean(
                {
                    "code": a.code,
                    **_names(a),
                    "description": a.description,
                    "description_en": a.description_en,
                }
            )
            for a in plan.levers.all()
        ],
        "indicators": [_export_indicator(i) for i in indicators],
        "targets": [_export_target(t, plan) for t in targets],
        "projects": [_export_project(p) for p in projects],
    }
    return _clean(data) | {"jalon": SCHEMA_VERSION, "entities": data["entities"]}


def _export_indicator(i: Indicator) -> dict:
    thresholds = None
    if i.on_track_threshold is not None:
        thresholds = {"on_track": i.on_track_threshold, "at_risk": i.at_risk_threshold}
    # Bounds and decimals are stored resolved: the file says them only where they differ
    # from what the indicator would get without them.
    plain = IndicatorDef(
        code=i.code,
        name=i.name,
        unit=i.unit,
        written_as=i.written_as or None,
        count=i.count,
        fractions=i.fractions,
        frequency=i.frequency,
        polarity=i.polarity,
        kind=i.kind,
        across=i.across,
        over_time=i.over_time,
    )
    bounds = [i.bound_low, i.bound_high]
    return _clean(
        {
            "code": i.code,
            **_names(i),
            "unit": i.unit,
            "unit_en": i.unit_en,
            "written_as": i.written_as,
            "count": i.count or None,
            "fractions": i.fractions or None,
            "bounds": bounds if tuple(bounds) != resolved_bounds(plain) else None,
            "decimals": i.decimals if i.decimals != resolved_decimals(plain) else None,
            "carry_forward": i.carry_forward or None,
            "breaks": i.breaks,
            "frequency": i.frequency,
            "start_month": i.start_month if i.frequency == "academic_year" else None,
            "polarity": i.polarity,
            "band": [i.band_low, i.band_high] if i.band_low is not None else None,
            "kind": i.kind,
            "across": i.across,
            "over_time": i.over_time,
            "numerator": i.numerator.code if i.numerator else None,
            "denominator": i.denominator.code if i.denominator else None,
            "weight": i.weight.code if i.weight else None,
            "formula": i.formula,
            "figures_from": i.figures_from.plan.code if i.figures_from else None,
            "definition": i.definition,
            "definition_en": i.definition_en,
            "data_source": i.data_source,
            "data_source_en": i.data_source_en,
            "owner": i.owner,
            "owner_en": i.owner_en,
            "headline": i.headline or None,
            "thresholds": thresholds,
            "axes": [a.code for a in i.axes.all()],
            "levers": [a.code for a in i.levers.all()],
            "breakdowns": [
                {
                    "code": d.code,
                    **_clean(_names(d)),
                    "members": [{"code": m.code, **_clean(_names(m))} for m in d.members.all()],
                }
                for d in i.dimensions.all()
            ],
        }
    )


def _export_target(t: Target, plan: Plan) -> dict:
    baseline = {"period": t.baseline_period}
    if t.baseline_value is None:
        baseline["measured"] = True
    else:
        baseline["value"] = t.baseline_value
    return _clean(
        {
            "indicator": t.indicator.code,
            "entity": t.entity.code if t.entity_id != plan.organisation_id else None,
            "document": t.document.code,
            "primary": t.primary or None,
            "baseline": baseline,
            "target": _clean(
                {"period": t.target_period, "value": t.target_value, "relative": t.target_relative}
            ),
            "shape": t.shape if t.shape != "linear" else None,
            "milestones": t.milestones,
            "note": t.note,
            "note_en": t.note_en,
            "reason": t.reason,
            "reason_en": t.reason_en,
            "published": _exported_date(t, plan),
        }
    )


def _exported_date(target: Target, plan: Plan):
    """Return the date a target's file says, where it is not what the file can omit."""
    if target.published_at is None:
        return None
    day = timezone.localtime(target.published_at).date()
    if target.version == 1 and day == plan.adopted_on:
        return None
    return day


def _export_project(p: Project) -> dict:
    return _clean(
        {
            "code": p.code,
            **_names(p),
            "description": p.description,
            "description_en": p.description_en,
            "axes": [a.code for a in p.axes.all()],
            "levers": [a.code for a in p.levers.all()],
            "lead": p.lead.code if p.lead else None,
            "participants": sorted(e.code for e in p.participants.all()),
            "indicators": [i.code for i in p.indicators.all()],
            "owner": p.owner,
            "owner_en": p.owner_en,
            "start": p.start,
            "end": p.end,
            "milestones": [
                _clean({"code": m.code, **_names(m), "due": m.due, "done_on": m.done_on})
                for m in p.milestones.all()
            ],
            "status_override": p.status_override,
            "override_comment": p.override_comment,
            "override_comment_en": p.override_comment_en,
            "source": p.source.code if p.source else None,
        }
    )


def dump_yaml(data: dict) -> str:
    """Return ``data`` as YAML, keys in the file's order, accents kept."""
    header = "# Exported by `jalon plan export`; loads back with `jalon plan load`.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
