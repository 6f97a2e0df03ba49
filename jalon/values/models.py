from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jalon.core.revisions import RevisionQuerySet
from jalon.organisation.models import Entity
from jalon.plans.models import DimensionMember, Indicator, Source
from jalon.values.choices import DECISIONS, PROPOSALS, ValueState


class ValueQuerySet(RevisionQuerySet):
    def totals(self):
        """Return the figures of the indicator as a whole, not of a breakdown member."""
        return self.filter(member__isnull=True)

    def decisions(self):
        """Return the revisions that settle what counts: approvals and withdrawals."""
        return self.filter(state__in=DECISIONS)

    def proposals(self):
        """Return the revisions still in the works: drafts, submissions, returned ones."""
        return self.filter(state__in=PROPOSALS)

    def pending(self, *, moment=None):
        """Return the proposals in force (at ``moment``): what waits beside the figure of record."""
        proposals = self.proposals()
        return proposals.as_of(moment) if moment is not None else proposals.current()

    def counting(self, *, include_submitted: bool = False):
        """Return the revisions that may count: approved ones, and submitted ones if asked.

        Read it with current() or as_of(): per figure, at most one approved revision is in
        force, and at most one proposal; a proposal in force is always the newer of the two.
        """
        states = [ValueState.APPROVED]
        if include_submitted:
            states.append(ValueState.SUBMITTED)
        return self.filter(state__in=states)


class Value(models.Model):
    """One revision of a figure: indicator × entity × period (× breakdown member).

    Revisions are append-only, on two tracks (see ValueState): a decision supersedes the
    previous decision and every proposal before it; a proposal supersedes the previous
    proposal only. So the approved figure counts until its successor is approved, and any
    page can be rebuilt as it was at a past moment.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="values")
    period = models.CharField(max_length=16)
    member = models.ForeignKey(
        DimensionMember, null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    comment = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=ValueState.choices, default=ValueState.DRAFT)
    revision = models.PositiveIntegerField(default=1)
    published_at = models.DateTimeField(null=True, blank=True)  # when its source made it public
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    recorded_via = models.CharField(max_length=100, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ValueQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "entity", "period", "member", "revision"]
        indexes = [
            models.Index(fields=["indicator", "entity", "period"], name="value_figure"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "entity", "period"],
                condition=Q(superseded_at__isnull=True, member__isnull=True, state__in=track),
                name=f"one_current_total_{name}",
            )
            for name, track in (("decision", DECISIONS), ("proposal", PROPOSALS))
        ] + [
            models.UniqueConstraint(
                fields=["indicator", "entity", "period", "member"],
                condition=Q(superseded_at__isnull=True, member__isnull=False, state__in=track),
                name=f"one_current_member_value_{name}",
            )
            for name, track in (("decision", DECISIONS), ("proposal", PROPOSALS))
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.entity.code} {self.period} = {self.number}"

    @property
    def origin(self) -> str:
        """Return where the figure came from, in words: who, and which way (the grid, a
        file by its name, the review, the command line); never a path of the server's."""
        via, _sep, label = self.recorded_via.partition(" · ")
        ways = {
            "grid": _("the entry grid"),
            "review": _("the review"),
            "command line": _("the command line"),
        }
        how = ways.get(via) or (_("file %(name)s") % {"name": via} if via else "")
        who = self.recorded_by.get_username() if self.recorded_by_id else label
        if who.startswith("cli:"):  # a command run on the server by that account
            who = who.removeprefix("cli:")
            if via != "command line":
                how = (
                    _("%(way)s, by the command line") % {"way": how}
                    if how
                    else ways["command line"]
                )
        return " · ".join(part for part in (who, how) if part) or "—"

    @property
    def known_at(self):
        """Return when the figure became known: its publication, else its storing."""
        return self.published_at or self.recorded_at

    @property
    def is_decision(self) -> bool:
        """Return whether this revision settles what counts (an approval or a withdrawal)."""
        return self.state in DECISIONS

    @property
    def is_example(self) -> bool:
        """Return whether this figure is generated example data, not a real measurement."""
        return bool(self.source and self.source.is_example)
