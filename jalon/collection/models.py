import datetime as dt

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jalon.access.choices import Role
from jalon.audit.models import AuditEvent
from jalon.organisation.models import Entity
from jalon.plans.models import Indicator, Plan
from jalon.values.choices import ValueState
from jalon.values.models import Value
from jalon.values.sharing import sharing_plans
from jalon.values.valuefile import Scope

# What a figure of a round is, seen from the completeness page.
EXPECTED_STATES = ("approved", "submitted", "draft", "returned", "withdrawn", "missing")
STATE_LABELS = {
    "missing": _("missing"),
    ValueState.DRAFT: ValueState.DRAFT.label,
    ValueState.SUBMITTED: ValueState.SUBMITTED.label,
    ValueState.RETURNED: ValueState.RETURNED.label,
    ValueState.APPROVED: ValueState.APPROVED.label,
    ValueState.WITHDRAWN: ValueState.WITHDRAWN.label,
}


class RoundError(ValueError):
    """A round that cannot be opened, closed or reopened: said in a sentence."""


class CollectionRoundQuerySet(models.QuerySet):
    def closed(self):
        """Return the rounds closed: their figures are locked for contributors."""
        return self.filter(closed_at__isnull=False)


class CollectionRound(models.Model):
    """A call for figures: a year of the plan, its indicators and entities, a deadline."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rounds")
    year = models.PositiveIntegerField(help_text=_("Each indicator's period of this year."))
    deadline = models.DateField()
    indicators = models.ManyToManyField(Indicator, related_name="rounds")
    entities = models.ManyToManyField(Entity, related_name="rounds")
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CollectionRoundQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-year"]
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="one_round_a_year")]

    def __str__(self):
        return f"{self.plan.code} {self.year}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def expected(self) -> list[tuple[Indicator, Entity, str]]:
        """Return every figure the round asks for: (indicator, entity, period code).

        An entity is asked only for the periods it exists at the end of.
        """
        out = []
        entities = list(self.entities.order_by("name"))
        for indicator in self.indicators.order_by("order", "code"):
            period = indicator.period_of_year(self.year)
            if period is None:
                continue
            out += [(indicator, e, period.code) for e in entities if e.exists_on(period.end)]
        return out

    def states(self) -> dict[tuple[int, int], str]:
        """Return the state of each expected figure, by (indicator id, entity id).

        The newest revision in force says it: a proposal in the works (draft, submitted,
        returned) is newer than the decision beside it; else approved or withdrawn;
        nothing at all: missing.
        """
        expected = self.expected()
        wanted = {(i.pk, e.pk, p) for i, e, p in expected}
        found: dict[tuple[int, int], tuple[int, str]] = {}
        rows = (
            Value.objects.current()
            .totals()
            .filter(
                indicator__in=[i for i, _, _ in expected],
                entity__in=[e for _, e, _ in expected],
            )
            .values_list("indicator_id", "entity_id", "period", "state", "revision")
        )
        for indicator, entity, period, state, revision in rows:
            if (indicator, entity, period) in wanted:
                key = (indicator, entity)
                if key not in found or revision > found[key][0]:
                    found[key] = (revision, state)
        return {(i.pk, e.pk): found.get((i.pk, e.pk), (0, "missing"))[1] for i, e, _ in expected}

    def completeness(self) -> list[dict]:
        """Return, per entity, how many expected figures are in each state."""
        states = self.states()
        rows = {}
        for indicator, entity, period in self.expected():
            row = rows.setdefault(
                entity.pk,
                {"entity": entity, "counts": dict.fromkeys(EXPECTED_STATES, 0), "items": []},
            )
            state = states[(indicator.pk, entity.pk)]
            row["counts"][state] += 1
            row["items"].append((indicator, period, state, STATE_LABELS[state]))
        for row in rows.values():
            row["total"] = sum(row["counts"].values())
            row["done"] = row["counts"]["approved"]
        return sorted(rows.values(), key=lambda r: r["entity"].name.casefold())

    def missing_for(self, entity: Entity) -> list[tuple[Indicator, str]]:
        """Return the figures the entity has not sent yet (missing, draft or returned)."""
        states = self.states()
        return [
            (indicator, period)
            for indicator, e, period in self.expected()
            if e.pk == entity.pk
            and states[(indicator.pk, e.pk)] in ("missing", "draft", "returned")
        ]

    def locked(self) -> frozenset[tuple[str, str, str]]:
        """Return the figures a closed round locks: (indicator, entity, period) codes."""
        if self.is_open:
            return frozenset()
        return frozenset((i.code, e.code, p) for i, e, p in self.expected())

    @classmethod
    def open(cls, plan: Plan, year: int, deadline, indicators, entities, *, by=None, label=""):
        """Return a new round, recorded in its history and the audit trail."""
        if cls.objects.filter(plan=plan, year=year).exists():
            raise RoundError(f"plan {plan.code} has a round for {year} already")
        with transaction.atomic():
            round_ = cls.objects.create(plan=plan, year=year, deadline=deadline, opened_by=by)
            round_.indicators.set(indicators)
            round_.entities.set(entities)
            round_.record("open", by=by, label=label)
        return round_

    def close(self, *, by=None, label="") -> None:
        """Close the round: its figures are locked for contributors."""
        if not self.is_open:
            raise RoundError(f"the round {self.year} is closed already")
        self.closed_at = timezone.now()
        self.save(update_fields=["closed_at"])
        self.record("close", by=by, label=label)

    def reopen(self, reason: str, *, by=None, label="") -> None:
        """Reopen a closed round; a steward says why, and the history keeps it."""
        if self.is_open:
            raise RoundError(f"the round {self.year} is open already")
        if not (reason or "").strip():
            raise RoundError("reopening a round needs a reason")
        self.closed_at = None
        self.save(update_fields=["closed_at"])
        self.record("reopen", reason=reason.strip(), by=by, label=label)

    def record(self, action: str, *, reason: str = "", by=None, label="", entity=None) -> None:
        RoundEvent.objects.create(
            round=self, action=action, reason=reason, by=by, label=label, entity=entity
        )
        AuditEvent.record(
            f"round.{action}",
            "round",
            str(self),
            actor=by,
            label=label,
            plan=self.plan.code,
            reason=reason,
            entity=entity.code if entity else None,
        )


class RoundEvent(models.Model):
    """A step in a round's history: opened, closed, reopened (with why), reminded."""

    round = models.ForeignKey(CollectionRound, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    label = models.CharField(max_length=150, blank=True)
    entity = models.ForeignKey(  # the entity a reminder was about
        Entity, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["round", "at", "pk"]

    def __str__(self):
        return f"{self.round} {self.action} {self.at:%Y-%m-%d}"


def _shared_locks(plan) -> frozenset[tuple[str, str, str]]:
    """Return the figures of ``plan`` that another plan sharing them locks (closed rounds)."""
    locked: set = set()
    for plan_id, codes in sharing_plans(plan).items():
        for round_ in CollectionRound.objects.closed().filter(plan_id=plan_id):
            locked |= {key for key in round_.locked() if key[0] in codes}
    return frozenset(locked)


def scope_for(access) -> Scope:
    """Return what a person's access lets them write: stewards anything, contributors their
    entity (and the entities below it) as drafts or submissions, never in a closed round."""
    if access.role == Role.STEWARD:
        # Anything of their plan; a figure shared with another plan is locked by that
        # plan's closed rounds even so: its stewards closed them.
        return Scope(who=_("you steward the plan"), locked=_shared_locks(access.plan))
    if access.role != Role.CONTRIBUTOR:
        return Scope(entities=frozenset(), states=frozenset(), who=_("you read the plan"))
    mine = {access.entity.code} | {e.code for e in Entity.objects.within(access.entity)}
    locked = frozenset().union(*(r.locked() for r in access.plan.rounds.closed()))
    locked |= _shared_locks(access.plan)
    return Scope(
        entities=frozenset(mine),
        states=frozenset({"draft", "submitted"}),
        who=str(_("you report for %(entity)s") % {"entity": access.entity.code}),
        locked=locked,
    )


class UploadStatus(models.TextChoices):
    CHECKING = "checking", _("Checking")
    READY = "ready", _("Ready to import")
    REFUSED = "refused", _("Refused")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class Upload(models.Model):
    """A file sent on the import page: checked (a preview), then imported, all or nothing.

    The file is kept until it is imported, so the import writes exactly what was previewed
    and a background worker can read it. Its phase and progress say what the work is doing.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=200)
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, help_text=_("The state of rows that give none."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.CHECKING
    )
    phase = models.CharField(max_length=200, blank=True)
    progress = models.FloatField(default=0.0)
    summary = models.CharField(max_length=300, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # the report's counts, to say in words
    details = models.JSONField(default=list, blank=True)  # the preview's first figures
    problems = models.JSONField(default=list, blank=True)  # every problem, located
    worked_at = models.DateTimeField(default=timezone.now)  # the work's last sign of life
    finished_at = models.DateTimeField(null=True, blank=True)

    # Work with no sign of life for this long has stopped (a worker killed, or none
    # running): nothing was written, since an import is one transaction.
    STALE = dt.timedelta(minutes=30)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def working(self) -> bool:
        return self.status in (UploadStatus.CHECKING, UploadStatus.IMPORTING)

    def summary_in_words(self) -> str:
        """Return the summary in the reader's language: "1 new, 0 revised, 2 unchanged…"."""
        c = {k: self.counts.get(k, 0) for k in ("new", "revised", "unchanged", "withdrawn")}
        text = _("%(new)s new, %(revised)s revised, %(unchanged)s unchanged") % c
        if c["withdrawn"]:
            text += ", " + _("%(withdrawn)s withdrawn") % c
        stored = [
            f"{self.counts[state]} {str(STATE_LABELS[state]).lower()}"
            for state in ("approved", "submitted", "draft")
            if self.counts.get(state)
        ]
        if stored:
            text += "; " + _("stored as %(states)s") % {"states": ", ".join(stored)}
        return str(text)

    def report_progress(self, phase: str, share: float) -> None:
        """Record what the work is doing; saved at once, outside any import transaction."""
        self.phase, self.progress = phase[:200], max(0.0, min(1.0, share))
        self.worked_at = timezone.now()
        Upload.objects.filter(pk=self.pk).update(
            phase=self.phase, progress=self.progress, worked_at=self.worked_at
        )

    def give_up_if_stale(self) -> bool:
        """Mark work that stopped long ago as failed; return whether it did."""
        if not self.working or timezone.now() - self.worked_at < self.STALE:
            return False
        waited = self.phase == "queued"
        self.status = UploadStatus.FAILED
        self.problems = [
            "No worker took this file: is `jalon worker` (or `jalon serve`) running? Nothing"
            " was imported; send it again."
            if waited
            else "The work stopped before it finished (was the worker stopped?). Nothing was"
            " imported; send the file again."
        ]
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "problems", "finished_at"])
        return True
