from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jalon.organisation.choices import EntityKind, LineageKind


class EntityQuerySet(models.QuerySet):
    def for_tree(self, root_id: int | None = None):
        """Return (code, parent code, valid from, valid to) rows, as the engine's Tree takes them.

        With ``root_id`` (an entity's id), only the entities of its tree: one database can
        hold the federations of several plans, and each plan reads its own.
        """
        rows = list(
            self.values_list("pk", "code", "parent__code", "valid_from", "valid_to").order_by(
                "code"
            )
        )
        if root_id is None:
            return [row[1:] for row in rows]
        kids: dict[str, list[str]] = {}
        for _pk, code, parent, *_dates in rows:
            kids.setdefault(parent, []).append(code)
        frontier = [row[1] for row in rows if row[0] == root_id]
        inside = set(frontier)
        while frontier:
            frontier = [c for p in frontier for c in kids.get(p, ()) if c not in inside]
            inside.update(frontier)
        return [row[1:] for row in rows if row[1] in inside]

    def within(self, root):
        """Return the entities of ``root``'s tree (``root`` included)."""
        return self.filter(code__in=[row[0] for row in self.for_tree(root.pk)])


class Entity(models.Model):
    """A unit of the organisation in the reporting tree (one parent each)."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=16, choices=EntityKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    note_en = models.TextField(blank=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("entities")

    def __str__(self):
        return self.name

    def exists_on(self, day) -> bool:
        """Return whether the entity exists on ``day`` (it counts for a period that ends then)."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )

    def clean(self):
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError(_("An entity cannot end before it starts."))


class Grouping(models.Model):
    """A cross-cutting set of entities, such as a regional consortium."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    note_en = models.TextField(blank=True)
    # The root of the federation whose plan file declares the grouping.
    organisation = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(Entity, through="Membership", related_name="groupings")

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """An entity's membership of a grouping, valid over an interval."""

    grouping = models.ForeignKey(Grouping, on_delete=models.CASCADE, related_name="memberships")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="memberships")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["grouping", "entity"]
        constraints = [
            models.UniqueConstraint(
                fields=["grouping", "entity", "valid_from"], name="unique_membership_start"
            )
        ]

    def __str__(self):
        return (
            f"{self.entity} in {self.grouping} ({self.valid_from or '…'} – {self.valid_to or '…'})"
        )


class Lineage(models.Model):
    """A link from a predecessor to its successor, so series can be shown pro forma."""

    predecessor = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="origins")
    kind = models.CharField(max_length=8, choices=LineageKind.choices)
    date = models.DateField()
    share = models.FloatField(default=1.0)
    note = models.TextField(blank=True)
    note_en = models.TextField(blank=True)

    class Meta:
        ordering = ["date", "successor", "predecessor"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unique_lineage_link"
            ),
            models.CheckConstraint(
                condition=models.Q(share__gt=0) & models.Q(share__lte=1), name="lineage_share_range"
            ),
        ]

    def __str__(self):
        return f"{self.predecessor} → {self.successor} ({self.get_kind_display()}, {self.date})"
