from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404

from jalon.access.choices import Role
from jalon.audit.models import AuditEvent
from jalon.organisation.models import Entity
from jalon.plans.models import Plan


class AccessError(ValueError):
    """A grant or a revocation that cannot be: said in a sentence, nothing written."""


class Access(models.Model):
    """What a person may do with a plan: steward it, contribute for one entity, or read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accesses"
    )
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="accesses")
    role = models.CharField(max_length=12, choices=Role.choices)
    entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="accesses"
    )

    class Meta:
        ordering = ["plan", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "plan"], name="one_access_per_plan"),
            models.CheckConstraint(
                condition=Q(role="contributor", entity__isnull=False) | ~Q(role="contributor"),
                name="contributor_has_an_entity",
            ),
        ]

    def __str__(self):
        scope = f" for {self.entity.code}" if self.entity_id else ""
        return f"{self.user} — {self.get_role_display()} of {self.plan.code}{scope}"

    @property
    def is_steward(self) -> bool:
        return self.role == Role.STEWARD

    @classmethod
    def grant(cls, user, plan: Plan, role: str, entity: Entity | None = None, *, by=None, label=""):
        """Return the user's access to the plan, given or changed to ``role`` (and entity).

        A contributor reports for one entity of the plan's federation; a steward and a
        viewer read it all. A plan always keeps a steward. Recorded in the audit trail.
        """
        if role not in Role.values:
            raise AccessError(f"'{role}' is no role: expected one of {', '.join(Role.values)}")
        if role == Role.CONTRIBUTOR:
            if entity is None:
                raise AccessError("a contributor reports for an entity: name it")
            if not Entity.objects.within(plan.organisation).filter(pk=entity.pk).exists():
                raise AccessError(f"'{entity.code}' is not in the federation of plan {plan.code}")
        elif entity is not None:
            raise AccessError(f"a {role} reads the whole plan: no entity goes with the role")
        with transaction.atomic():
            before = cls.objects.select_for_update().filter(user=user, plan=plan).first()
            if before and before.role == Role.STEWARD and role != Role.STEWARD:
                cls._keep_a_steward(plan, user)
            access, _ = cls.objects.update_or_create(
                user=user, plan=plan, defaults={"role": role, "entity": entity}
            )
            AuditEvent.record(
                "access.grant",
                "access",
                f"{user.get_username()} @ {plan.code}",
                actor=by,
                label=label,
                plan=plan.code,
                role=role,
                entity=entity.code if entity else None,
                before=before.role if before else None,
            )
        return access

    @classmethod
    def revoke(cls, user, plan: Plan, *, by=None, label="") -> None:
        """Take away the user's access to the plan (never its last steward's); audited."""
        with transaction.atomic():
            access = cls.objects.select_for_update().filter(user=user, plan=plan).first()
            if access is None:
                raise AccessError(f"{user.get_username()} has no access to plan {plan.code}")
            if access.role == Role.STEWARD:
                cls._keep_a_steward(plan, user)
            access.said = True  # its own event below: no second one from `_gone`
            access.delete()
            AuditEvent.record(
                "access.revoke",
                "access",
                f"{user.get_username()} @ {plan.code}",
                actor=by,
                label=label,
                plan=plan.code,
                role=access.role,
                entity=access.entity.code if access.entity_id else None,
            )

    @classmethod
    def _keep_a_steward(cls, plan: Plan, leaving) -> None:
        others = cls.objects.filter(plan=plan, role=Role.STEWARD).exclude(user=leaving)
        if not others.exists():
            raise AccessError(
                f"{leaving.get_username()} is the last steward of plan {plan.code}:"
                " make someone else steward first"
            )

    def may_see_entity(self, entity: Entity) -> bool:
        """Return whether the entity's own figures are in this person's scope.

        Stewards and viewers read every entity. A contributor reads the plan's
        organisation (to see their entity's share of it) and their own entity with the
        entities below it; the other members' figures stay theirs.
        """
        if self.role != Role.CONTRIBUTOR:
            return True
        if entity.pk in (self.plan.organisation_id, self.entity_id):
            return True
        return self.entity_id in {a.pk for a in ancestors(entity)}


def ancestors(entity: Entity) -> list[Entity]:
    """Return the entity's ancestors, nearest first (the tree is shallow: a few queries)."""
    found, seen = [], {entity.pk}
    current = entity
    while current.parent_id and current.parent_id not in seen:
        current = Entity.objects.only("pk", "parent_id", "code").get(pk=current.parent_id)
        seen.add(current.pk)
        found.append(current)
    return found


def plan_access(user, code: str) -> tuple[Plan, Access]:
    """Return the plan ``code`` and the user's access to it; raise Http404 otherwise.

    A missing plan and a plan out of reach get the same answer, so the URL says nothing
    of which plans exist. Someone not logged in is refused (and sent to log in).
    """
    if not user.is_authenticated:
        raise PermissionDenied
    access = (
        Access.objects.select_related("plan__organisation", "entity")
        .filter(user=user, plan__code=code)
        .first()
    )
    if access is None:
        raise Http404
    return access.plan, access


def _gone(sender, instance: Access, **kwargs) -> None:
    """Record an access that goes with its account (deleted by an administrator)."""
    if not getattr(instance, "said", False):
        AuditEvent.record(
            "access.revoke", "access", f"{instance.user.get_username()} @ {instance.plan.code}",
            label="account deleted", plan=instance.plan.code, role=instance.role,
        )  # fmt: skip


def last_steward_of(user) -> list[str]:
    """Return the codes of the plans whose only steward ``user`` is."""
    mine = Access.objects.filter(user=user, role=Role.STEWARD).values_list("plan_id", flat=True)
    return [
        code
        for code, others in Plan.objects.filter(pk__in=list(mine))
        .annotate(n=models.Count("accesses", filter=Q(accesses__role=Role.STEWARD)))
        .values_list("code", "n")
        if others <= 1
    ]
