"""The board report's stewards' commentary, and the reports made in the background."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jalon.organisation.models import Entity
from jalon.plans.models import Plan, in_reader_language


class Subject(models.TextChoices):
    PLAN = "plan", _("the plan")
    AXIS = "axis", _("axis")
    LEVER = "lever", _("lever")
    INDICATOR = "indicator", _("indicator")


class CommentaryQuerySet(models.QuerySet):
    def valid_at(self, moment):
        """Return the texts in force at ``moment``: written by then, not yet replaced."""
        return self.filter(written_at__lte=moment).filter(
            Q(superseded_at__isnull=True) | Q(superseded_at__gt=moment)
        )


class Commentary(models.Model):
    """A steward's short narrative on the plan, an axis, a lever or an indicator, for a
    reporting year; a new text replaces the previous one, which stays in the history."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="commentaries")
    subject = models.CharField(max_length=10, choices=Subject.choices)
    code = models.SlugField(max_length=64, blank=True)  # the axis's, lever's or indicator's
    year = models.PositiveIntegerField()
    text = models.TextField(blank=True)  # in the plan's language
    text_en = models.TextField(blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = CommentaryQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "year", "subject", "code", "-written_at"]
        indexes = [models.Index(fields=["plan", "year"], name="commentary_plan_year")]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "subject", "code", "year"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_commentary",
            )
        ]

    def __str__(self):
        return f"{self.plan.code} {self.subject} {self.code} {self.year}"

    @property
    def said(self) -> bool:
        """Return whether the text says anything, in either language."""
        return bool(self.text.strip() or self.text_en.strip())

    @property
    def words(self) -> tuple[str, str | None]:
        """Return the text in the reader's language, and the language it falls back to."""
        return in_reader_language(self, "text", self.plan.language)


class ReportState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("being made")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")


class Report(models.Model):
    """A board report asked for in the web interface, made by the background worker."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=2, choices=[("fr", "français"), ("en", "English")])
    as_of = models.DateField()
    year = models.PositiveIntegerField(null=True, blank=True)  # none: the latest figures
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=4, choices=[("pdf", "PDF"), ("html", "HTML")])
    # The requester's access when they asked: the file is theirs only while it still is.
    role = models.CharField(max_length=12)
    scope = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=ReportState.choices, default="queued")
    progress = models.FloatField(default=0.0)
    message = models.TextField(blank=True)
    content = models.BinaryField(blank=True, default=b"")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.plan.code} report {self.as_of} {self.language}.{self.kind}"

    @property
    def filename(self) -> str:
        scope = "" if self.entity_id == self.plan.organisation_id else f"-{self.entity.code}"
        return (
            f"{self.plan.code}{scope}-report-{self.as_of.isoformat()}-{self.language}.{self.kind}"
        )
