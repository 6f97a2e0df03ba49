import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from jalon.core.revisions import RevisionQuerySet
from jalon.engine.periods import Period, PeriodError
from jalon.engine.rollup import project_status
from jalon.organisation.models import Entity
from jalon.plans.choices import (
    Across,
    Frequency,
    IndicatorKind,
    OverTime,
    PlanStatus,
    Polarity,
    ProjectStatus,
    Shape,
    WrittenAs,
)
from jalon.plans.links import validate_web_address


def new_stamp() -> str:
    """Return a fresh random stamp for a version of a plan's data."""
    return uuid.uuid4().hex


# Sent when a plan load makes an indicator take its figures from another plan's
# (``indicator``, ``keeper``), inside the load's transaction; ``problem(text)`` refuses the
# load. The figures app copies the keeper's figures then (it may not be imported here).
figures_shared = Signal()


LANGUAGES = (("fr", "français"), ("en", "English"))


def in_reader_language(record, field: str, original: str = "fr") -> tuple[str, str | None]:
    """Return a text of ``record`` in the reader's language, and the language it falls
    back to when the record does not give it in the reader's (else None).

    ``field`` holds the text in the plan's language, ``original``; ``field_en``, when the
    record has it, the English. A blank text is blank in every language.
    """
    reader = "en" if (get_language() or "").startswith("en") else "fr"
    text = getattr(record, field) or ""
    english = getattr(record, f"{field}_en", "") or ""
    if reader == "en" and english:
        return english, None
    if text:
        return text, None if original == reader else original
    if english:  # only the English was given
        return english, None if reader == "en" else "en"
    return "", None


class Bilingual(models.Model):
    """A record with a name in the plan's language and, optionally, in English."""

    name = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{getattr(self, 'code', '')} {self.label}".strip()

    @property
    def label(self) -> str:
        """Return the name in the active language, falling back to the original."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Source(models.Model):
    """A document a figure or a target comes from; example data is a source too, marked so."""

    code = models.SlugField(max_length=64, unique=True)
    title = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True, validators=[validate_web_address])
    published = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    is_example = models.BooleanField(default=False)
    # The plans whose files list it: sources are shared, and a source goes only when no
    # plan lists it any more and nothing refers to it.
    plans = models.ManyToManyField("Plan", blank=True, related_name="sources")

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.title

    @property
    def label(self) -> str:
        """Return the title in the reader's language where the file gives it, else as written."""
        return in_reader_language(self, "title")[0]


class Plan(Bilingual):
    """A strategic plan of an organisation over a horizon."""

    code = models.SlugField(max_length=64, unique=True)
    organisation = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="plans")
    horizon_start = models.PositiveIntegerField()
    horizon_end = models.PositiveIntegerField()
    adopted_on = models.DateField(null=True, blank=True)
    adopted_by = models.CharField(max_length=200, blank=True)
    adopted_by_en = models.CharField(max_length=200, blank=True)
    adoption_note = models.TextField(blank=True)
    adoption_note_en = models.TextField(blank=True)
    # The language the plan's texts are written in; `…_en` fields give them in English.
    language = models.CharField(max_length=2, choices=LANGUAGES, default="fr")
    status = models.CharField(max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    projects_note = models.TextField(blank=True)
    projects_note_en = models.TextField(blank=True)
    announced_projects = models.PositiveIntegerField(null=True, blank=True)
    on_track_threshold = models.FloatField(default=0.95)
    at_risk_threshold = models.FloatField(default=0.85)
    # A figure entered that moves more than this share from the previous one asks for a
    # comment (0.25: a quarter up or down).
    explain_change_above = models.FloatField(default=0.25)
    # Disclosure control: a total shown to a reader who may not see every member below it
    # must rest on at least this many members' figures; else it is suppressed.
    fewest_members = models.PositiveSmallIntegerField(default=3)
    # The plan's own word for its members (school, campus, university, agency), in the
    # plan's language and in English; blank: "member".
    member_singular = models.CharField(max_length=60, blank=True)
    member_plural = models.CharField(max_length=60, blank=True)
    member_singular_en = models.CharField(max_length=60, blank=True)
    member_plural_en = models.CharField(max_length=60, blank=True)
    # Drawn anew by every change to the plan, its targets or its figures: cached
    # evaluations are keyed by it, so a change invalidates them at once. Random rather than
    # a counter, so a rolled-back or restored database never meets a stale cache entry.
    data_stamp = models.CharField(max_length=32, default=new_stamp, editable=False)
    # Drawn anew by a plan load only (indicators, targets, the tree): while it holds, a
    # change to figures is applied to a cached evaluation indicator by indicator.
    structure_stamp = models.CharField(max_length=32, default=new_stamp, editable=False)

    class Meta:
        ordering = ["code"]

    @property
    def adopted_by_text(self) -> str:
        """Return who adopted the plan in the reader's language where the file gives it."""
        return in_reader_language(self, "adopted_by", self.language)[0]

    def member_noun(self, count: int = 2) -> str:
        """Return the plan's word for its members in the reader's language, by count.

        The English words serve English readers; the plan's own words serve the others;
        either falls back to the other, and to "member" where the plan says nothing.
        """
        english = (get_language() or "").startswith("en")
        many = count != 1 if english else count > 1
        own = self.member_plural if many else self.member_singular
        en = self.member_plural_en if many else self.member_singular_en
        word = (en or own) if english else (own or en)
        if word:
            return word
        return str(ngettext("member", "members", count))

    @property
    def members_title(self) -> str:
        """Return the plan's word for its members, plural and capitalised: a menu entry."""
        word = self.member_noun(2)
        return word[:1].upper() + word[1:]

    def touch(self, indicators: Iterable[int] | None = None) -> None:
        """Record that the plan's data changed, so its cached evaluations are stale.

        With ``indicators`` (ids), only the figures of those indicators changed; without,
        anything may have (a plan load).
        """
        stamp = new_stamp()
        if indicators is None:
            Plan.objects.filter(pk=self.pk).update(data_stamp=stamp, structure_stamp=stamp)
            Indicator.objects.filter(plan_id=self.pk).update(data_stamp=stamp)
        else:
            Indicator.objects.filter(pk__in=list(indicators)).update(data_stamp=stamp)
            Plan.objects.filter(pk=self.pk).update(data_stamp=stamp)


class PlanRevision(models.Model):
    """A load of the plan file, kept whole with its reason, so every version can be read again."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    reason = models.TextField(blank=True)
    content = models.TextField()
    digest = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)
    loaded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="unique_plan_revision")
        ]

    def __str__(self):
        return f"{self.plan.code} revision {self.number}"


class PlanPart(Bilingual):
    """A coded, ordered part of a plan that indicators and projects serve."""

    code = models.SlugField(max_length=64)
    order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)

    class Meta:
        abstract = True

    def served_indicators(self) -> list:
        """Return the indicators that serve it, directly or through its projects.

        Reads prefetched ``indicators`` and ``projects__indicators`` when there are some.
        """
        found = {i.pk: i for i in self.indicators.all()}
        for project in self.projects.all():
            found.update({i.pk: i for i in project.indicators.all()})
        return sorted(found.values(), key=lambda i: (i.order, i.code))


class Axis(PlanPart):
    """A strategic objective of the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="axes")

    class Meta:
        ordering = ["plan", "order", "code"]
        verbose_name_plural = _("axes")
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="unique_axis_code")]


class Lever(PlanPart):
    """An enabler of the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="levers")

    class Meta:
        ordering = ["plan", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="unique_lever_code")]


class Indicator(Bilingual):
    """A key performance indicator and the rules that consolidate it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(max_length=64)
    order = models.PositiveIntegerField(default=0)
    definition = models.TextField(blank=True)
    definition_en = models.TextField(blank=True)
    unit = models.CharField(max_length=40)
    unit_en = models.CharField(max_length=40, blank=True)
    data_source = models.CharField(max_length=300, blank=True)
    data_source_en = models.CharField(max_length=300, blank=True)
    owner = models.CharField(max_length=200, blank=True)
    owner_en = models.CharField(max_length=200, blank=True)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    start_month = models.PositiveSmallIntegerField(default=1)
    polarity = models.CharField(max_length=12, choices=Polarity.choices)
    band_low = models.FloatField(null=True, blank=True)
    band_high = models.FloatField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=IndicatorKind.choices)
    across = models.CharField(max_length=16, choices=Across.choices)
    over_time = models.CharField(max_length=12, choices=OverTime.choices)
    numerator = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    denominator = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    weight = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    formula = models.CharField(max_length=500, blank=True)
    # How figures are written and what they can be (DESIGN.md, "Indicator"): shares say
    # whether 78.1 % is written 78.1 or 0.781; counts are whole and never negative; every
    # figure lies within the bounds (resolved at load: never below 0 unless the plan says).
    written_as = models.CharField(max_length=8, choices=WrittenAs.choices, blank=True)
    count = models.BooleanField(default=False)
    fractions = models.BooleanField(default=False)
    bound_low = models.FloatField(null=True, blank=True)
    bound_high = models.FloatField(null=True, blank=True)
    decimals = models.PositiveSmallIntegerField(default=1)
    carry_forward = models.PositiveSmallIntegerField(default=0)
    breaks = models.JSONField(default=list, blank=True)
    headline = models.BooleanField(default=False)
    on_track_threshold = models.FloatField(null=True, blank=True)
    at_risk_threshold = models.FloatField(null=True, blank=True)
    axes = models.ManyToManyField(Axis, blank=True, related_name="indicators")
    levers = models.ManyToManyField(Lever, blank=True, related_name="indicators")
    # The same measure in another plan of the federation (IMT's students in 2018-2022 and
    # in 2023-2027): a figure entered for either is recorded for both, so it is entered
    # once and both plans show it. Points at the first plan's indicator.
    figures_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sharers"
    )
    # Drawn anew with the plan's data stamp when this indicator's figures change: tells a
    # cached evaluation which indicators to read and evaluate again.
    data_stamp = models.CharField(max_length=32, default=new_stamp, editable=False)

    class Meta:
        ordering = ["plan", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_indicator_code")
        ]

    @property
    def unit_label(self) -> str:
        """Return the unit in the active language ("%" and symbols stay as they are)."""
        if self.unit_en and (get_language() or "").startswith("en"):
            return self.unit_en
        return self.unit

    def period_of_year(self, year: int):
        """Return the indicator's period for a year, read as the plan file reads it.

        2020 is the academic year 2020/21 for an academic indicator, the year itself for a
        yearly one, and its last quarter or month for the finer frequencies; None where
        that year is out of range.
        """
        try:
            return Period.containing(dt.date(year, 12, 31), self.frequency, self.start_month)
        except (PeriodError, ValueError, OverflowError):
            return None

    @property
    def is_share(self) -> bool:
        """Return whether figures are shares, shown as percentages."""
        return self.unit == "%"

    @property
    def percent_factor(self) -> float:
        """Return what a figure is multiplied by to read as shown: 100 for a fraction."""
        return 100.0 if self.written_as == WrittenAs.FRACTION else 1.0

    def figure_problem(self, number: float) -> str | None:
        """Return why ``number`` cannot be a figure of this indicator, or None if it can.

        In the active language: the grid says it as one types, the files in English.
        """
        low, high = self.bound_low, self.bound_high
        if (
            (low is None or number >= low)
            and (high is None or number <= high)
            and not (
                self.count and (number < 0 or not (self.fractions or float(number).is_integer()))
            )
            and not (self.written_as == WrittenAs.FRACTION and 1 < number <= 100)
        ):
            return None  # the common case, said quickly
        said = {
            "n": f"{number:g}",
            "code": self.code,
            "unit": self.unit_label,
            "low": f"{low:g}" if low is not None else "",
            "high": f"{high:g}" if high is not None else "",
        }
        if self.is_share and self.written_as == WrittenAs.FRACTION and 1 < number <= 100:
            return (
                gettext(
                    "%(n)s is not a share written as a fraction: '%(code)s' writes 78.1 %% as"
                    " 0.781 (written_as: fraction in the plan)"
                )
                % said
            )
        if self.count and number < 0:
            return gettext("'%(code)s' counts %(unit)s: %(n)s cannot be negative") % said
        if self.count and not self.fractions and not float(number).is_integer():
            return (
                gettext(
                    "'%(code)s' counts %(unit)s in whole numbers: %(n)s is not one (the plan"
                    " can allow fractions: true)"
                )
                % said
            )
        if low is not None and number < low:
            return gettext("%(n)s is below %(low)s, the lowest figure '%(code)s' can take") % said
        if high is not None and number > high:
            return gettext("%(n)s is above %(high)s, the highest figure '%(code)s' can take") % said
        return None

    @property
    def thresholds(self) -> tuple[float, float]:
        """Return (on track, at risk): the indicator's own, else the plan's."""
        plan = self.plan
        on_track, at_risk = self.on_track_threshold, self.at_risk_threshold
        return (
            plan.on_track_threshold if on_track is None else on_track,
            plan.at_risk_threshold if at_risk is None else at_risk,
        )


class Dimension(Bilingual):
    """A way to break an indicator down (by programme, by gender…)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="dimensions")
    code = models.SlugField(max_length=64)

    class Meta:
        ordering = ["indicator", "code"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "code"], name="unique_dimension_code")
        ]


class DimensionMember(Bilingual):
    """One member of a breakdown dimension (engineering, management, doctorate…)."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="members")
    code = models.SlugField(max_length=64)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dimension", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "code"], name="unique_member_code")
        ]


class Target(models.Model):
    """A version of a target; a change adds a version and keeps the previous one with a reason."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="targets")
    document = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="targets")
    primary = models.BooleanField(default=False)
    baseline_period = models.CharField(max_length=16)
    baseline_value = models.FloatField(null=True, blank=True)
    target_period = models.CharField(max_length=16)
    target_value = models.FloatField(null=True, blank=True)
    target_relative = models.FloatField(null=True, blank=True)
    shape = models.CharField(max_length=12, choices=Shape.choices, default=Shape.LINEAR)
    milestones = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    reason = models.TextField(blank=True)
    reason_en = models.TextField(blank=True)
    # When the target became known: the file's date, else the plan's adoption for a first
    # version; none: the moment it was stored.
    published_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = RevisionQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "entity", "document", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "entity", "document"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_target_per_document",
            ),
            models.UniqueConstraint(
                fields=["indicator", "entity", "document", "version"],
                name="unique_target_version",
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=True) | Q(target_relative__isnull=True),
                name="target_absolute_or_relative",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.code} @ {self.entity.code} ({self.document.code}) v{self.version}"

    CONTENT_FIELDS = (
        "primary",
        "baseline_period",
        "baseline_value",
        "target_period",
        "target_value",
        "target_relative",
        "shape",
        "milestones",
        "note",
    )

    def content(self) -> dict:
        """Return what this version says, to compare it with another version."""
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}


class Project(Bilingual):
    """A flagship initiative of the plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="projects")
    code = models.SlugField(max_length=64)
    order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    axes = models.ManyToManyField(Axis, blank=True, related_name="projects")
    levers = models.ManyToManyField(Lever, blank=True, related_name="projects")
    lead = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="led_projects"
    )
    participants = models.ManyToManyField(Entity, blank=True, related_name="projects")
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="projects")
    owner = models.CharField(max_length=200, blank=True)
    owner_en = models.CharField(max_length=200, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    status_override = models.CharField(max_length=12, choices=ProjectStatus.choices, blank=True)
    override_comment = models.TextField(blank=True)
    override_comment_en = models.TextField(blank=True)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["plan", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="unique_project_code"),
            models.CheckConstraint(
                condition=Q(status_override="") | ~Q(override_comment=""),
                name="override_needs_comment",
            ),
        ]

    def status_on(self, today) -> str:
        """Return where the project stands on ``today``, from its milestones or its override.

        Reads prefetched ``milestones`` when there are some.
        """
        milestones = [(m.due, m.done_on) for m in self.milestones.all()]
        override = self.status_override or None
        return str(project_status(milestones, today, start=self.start, override=override))


class Milestone(Bilingual):
    """A dated step of a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    code = models.SlugField(max_length=64)
    due = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["project", "due", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="unique_milestone_code")
        ]
