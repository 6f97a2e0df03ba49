"""The accounts in the admin, which is for administrators only: whatever it changes there
is in Jalon's audit trail, under who changed it, like every other change.

Stewards are not administrators: they manage what the plan's roles allow (access, rounds,
approval) on Jalon's own pages.
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin  # registers the accounts first
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from jalon.access.models import last_steward_of
from jalon.audit.models import AuditEvent
from jalon.people.accounts import acting


class AuditedAdmin:
    """An admin whose every addition, change and deletion is also an audit event."""

    def _audit(self, request, action: str, obj, **detail) -> None:
        AuditEvent.record(
            f"admin.{action}",
            obj._meta.label_lower,
            str(obj),
            actor=request.user,
            **detail,
        )

    def save_model(self, request, obj, form, change):
        with acting(request.user.get_username()):  # names them on account events too
            super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        self._audit(request, "add", obj, message=message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, "change", obj, message=message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:  # called before the deletion: the objects are still there
            self._audit(request, "delete", obj)
        return super().log_deletions(request, queryset)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(AuditedAdmin, auth_admin.UserAdmin):
    def has_delete_permission(self, request, obj=None):
        # A plan always keeps a steward: its last one is not deleted (deactivate them, or
        # make someone else steward first). One by one, so never in bulk.
        if obj is not None and last_steward_of(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def user_change_password(self, request, id, form_url=""):
        with acting(request.user.get_username()):
            return super().user_change_password(request, id, form_url)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, auth_admin.GroupAdmin):
    pass
