from django.contrib import admin

from jalon.core.admin_base import ReadOnlyAdmin
from jalon.values.models import Value


@admin.register(Value)
class ValueAdmin(ReadOnlyAdmin):
    list_display = (
        "indicator",
        "entity",
        "period",
        "member",
        "number",
        "source",
        "example",
        "state",
        "revision",
        "recorded_at",
        "superseded_at",
    )
    list_filter = ("indicator__plan", "indicator", "state", "source")
    list_select_related = ("indicator", "entity", "member", "source")
    search_fields = ("indicator__code", "entity__code", "period")

    @admin.display(boolean=True, description="example data")
    def example(self, obj):
        return obj.is_example
