from django.conf import settings
from django.db import models
from django.utils import timezone


class TrailIsFixed(Exception):
    """The audit trail is written once: no event is changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TrailIsFixed("the audit trail cannot be changed")

    def delete(self):
        raise TrailIsFixed("the audit trail cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise TrailIsFixed("the audit trail cannot be changed")

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            raise TrailIsFixed("the audit trail cannot be changed")
        return super().bulk_create(objs, *args, **kwargs)

    def update_or_create(self, *args, **kwargs):
        raise TrailIsFixed("the audit trail cannot be changed")

    def for_plan(self, code: str):
        """Return the events of the plan ``code``: its loads, figures, rounds and access."""
        return self.filter(plan_code=code)


class AuditEvent(models.Model):
    """One change made to Jalon's data: who, when, what, and the details. Written once:
    the model refuses any change, and on PostgreSQL so does the database (a trigger)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who acted stays known: an account that acted cannot be deleted (deactivate it).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60)
    object_key = models.CharField(max_length=200)
    # The plan the change belongs to ("" for accounts and the admin): its stewards' trail.
    plan_code = models.CharField(max_length=64, blank=True, db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        base_manager_name = "objects"  # Django's own updates and deletions refused too

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type} {self.object_key}"

    def save(self, *args, **kwargs):
        if kwargs.get("force_update") or kwargs.get("update_fields") is not None:
            raise TrailIsFixed("the audit trail cannot be changed")
        kwargs["force_insert"] = True  # a new event, never an update of another
        super().save(*args, **kwargs)

    def save_base(self, *args, **kwargs):
        # The way every save goes, fixtures' (loaddata) included.
        if (
            not self._state.adding
            or kwargs.get("force_update")
            or kwargs.get("update_fields") is not None
            or (self.pk is not None and type(self).objects.filter(pk=self.pk).exists())
        ):
            raise TrailIsFixed("the audit trail cannot be changed")
        super().save_base(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TrailIsFixed("the audit trail cannot be changed")

    @classmethod
    def record(
        cls, action: str, obj_type: str, key: str, *, actor=None, label="", plan="", **detail
    ):
        """Return a new audit event, saved (``plan``: the code of the plan it belongs to)."""
        return cls.objects.create(
            action=action,
            object_type=obj_type,
            object_key=key,
            actor=actor,
            actor_label=label or (actor.get_username() if actor else ""),
            plan_code=plan,
            detail=detail,
        )
