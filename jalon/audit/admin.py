from django.contrib import admin

from jalon.audit.models import AuditEvent
from jalon.core.admin_base import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_key")
    list_filter = ("action", "object_type")
    search_fields = ("object_key", "actor_label")
