from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One change made to Jalon's data: who, when, what, and the details."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60)
    object_key = models.CharField(max_length=200)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type} {self.object_key}"

    @classmethod
    def record(cls, action: str, obj_type: str, key: str, *, actor=None, label="", **detail):
        """Return a new audit event, saved."""
        return cls.objects.create(
            action=action,
            object_type=obj_type,
            object_key=key,
            actor=actor,
            actor_label=label or (actor.get_username() if actor else ""),
            detail=detail,
        )
