from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jalon.core.revisions import RevisionQuerySet
from jalon.organisation.models import Entity
from jalon.plans.models import DimensionMember, Indicator, Source
from jalon.values.choices import ValueState


class ValueQuerySet(RevisionQuerySet):
    def totals(self):
        """Return the figures of the indicator as a whole, not of a breakdown member."""
        return self.filter(member__isnull=True)


class Value(models.Model):
    """One revision of a figure: indicator × entity × period (× breakdown member).

    Revisions are append-only: a correction adds a revision and marks the previous one
    superseded, so any page can be rebuilt as it was at a past moment.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="values")
    period = models.CharField(max_length=16)
    member = models.ForeignKey(
        DimensionMember, null=True, blank=True, on_delete=models.PROTECT, related_name="values"
    )
    number = models.FloatField(null=True, blank=True)
    text = models.TextField(blank=True)
    withdrawn = models.BooleanField(default=False)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    comment = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=ValueState.choices, default=ValueState.DRAFT)
    revision = models.PositiveIntegerField(default=1)
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
                condition=Q(superseded_at__isnull=True, member__isnull=True),
                name="one_current_total",
            ),
            models.UniqueConstraint(
                fields=["indicator", "entity", "period", "member"],
                condition=Q(superseded_at__isnull=True, member__isnull=False),
                name="one_current_member_value",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.entity.code} {self.period} = {self.number}"

    @property
    def is_example(self) -> bool:
        """Return whether this figure is generated example data, not a real measurement."""
        return bool(self.source and self.source.is_example)
