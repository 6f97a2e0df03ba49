from django.contrib import admin

from jalon.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from jalon.plans.models import (
    Axis,
    Indicator,
    Lever,
    Milestone,
    Plan,
    PlanRevision,
    Project,
    Source,
    Target,
)


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "organisation", "horizon_start", "horizon_end", "status")


@admin.register(PlanRevision)
class PlanRevisionAdmin(ReadOnlyAdmin):
    list_display = ("plan", "number", "loaded_at", "loaded_by", "reason")


@admin.register(Axis, Lever)
class AxisAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "name_en", "plan")


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "unit", "frequency", "kind", "across", "over_time", "polarity")
    list_filter = ("plan", "kind", "frequency")
    search_fields = ("code", "name", "name_en")


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = (
        "indicator",
        "entity",
        "document",
        "primary",
        "baseline_period",
        "baseline_value",
        "target_period",
        "target_value",
        "target_relative",
        "version",
        "superseded_at",
    )
    list_filter = ("primary", "document")


class MilestoneInline(ReadOnlyInline):
    model = Milestone


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "lead", "status_override")
    inlines = [MilestoneInline]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ("code", "title", "publisher", "published", "is_example")
