from django.contrib import admin

from jalon.core.admin_base import ReadOnlyAdmin
from jalon.organisation.models import Entity, Grouping, Lineage, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
