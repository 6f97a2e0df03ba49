from django.contrib import admin

from jalon.core.admin_base import ReadOnlyAdmin, ReadOnlyInline
from jalon.organisation.models import Entity, Grouping, Lineage, Membership


class MembershipInline(ReadOnlyInline):
    model = Membership


@admin.register(Entity)
class EntityAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "parent", "valid_from", "valid_to")
    list_filter = ("kind",)
    search_fields = ("code", "name", "name_en")


@admin.register(Grouping)
class GroupingAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")
    inlines = [MembershipInline]


@admin.register(Lineage)
class LineageAdmin(ReadOnlyAdmin):
    list_display = ("predecessor", "successor", "kind", "date", "share")
