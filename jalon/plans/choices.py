"""Choices of the plan's vocabulary; values match the engine's enums (tested)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    CLOSED = "closed", _("Closed")


class Frequency(models.TextChoices):
    YEAR = "year", _("Calendar year")
    ACADEMIC_YEAR = "academic_year", _("Academic year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


class Polarity(models.TextChoices):
    UP = "up", _("Higher is better")
    DOWN = "down", _("Lower is better")
    KEEP_ABOVE = "keep_above", _("Keep above a level")
    KEEP_BELOW = "keep_below", _("Keep below a level")
    BAND = "band", _("Keep within a band")


class IndicatorKind(models.TextChoices):
    AMOUNT = "amount", _("Additive amount")
    RATIO = "ratio", _("Ratio of two indicators")
    WEIGHTED_AVERAGE = "weighted_average", _("Weighted average")
    FORMULA = "formula", _("Formula over other indicators")
    QUALITATIVE = "qualitative", _("Qualitative")


class Across(models.TextChoices):
    SUM = "sum", _("Sum")
    RATIO_OF_SUMS = "ratio_of_sums", _("Ratio of sums")
    WEIGHTED_MEAN = "weighted_mean", _("Weighted mean")
    MIN = "min", _("Minimum")
    MAX = "max", _("Maximum")
    NONE = "none", _("Not consolidated")


class OverTime(models.TextChoices):
    FLOW = "flow", _("Flow: sum of sub-periods")
    STOCK = "stock", _("Stock: last value")
    RATE = "rate", _("Rate: recomputed from its parts")
    CUMULATIVE = "cumulative", _("Cumulative since the baseline")


class Shape(models.TextChoices):
    LINEAR = "linear", _("Linear")
    COMPOUND = "compound", _("Compound growth")
    STEP = "step", _("Step")
    MILESTONES = "milestones", _("Through the milestones")


class ProjectStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    LATE = "late", _("Late")
    DONE = "done", _("Done")


class WrittenAs(models.TextChoices):
    PERCENT = "percent", _("As percentages (78.1 for 78.1 %)")
    FRACTION = "fraction", _("As fractions (0.781 for 78.1 %)")
