"""Records kept as revisions: each change adds a row and marks the previous one superseded."""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """Return the first moment of ``day`` in the site's time zone: when a dated fact is known."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RevisionQuerySet(models.QuerySet):
    """Reads over rows with ``published_at``, ``recorded_at`` and ``superseded_at``.

    A revision is known from its publication (the day its source made it public), else
    from the moment it was stored; it stops being in force when its successor becomes
    known (``superseded_at``).
    """

    def current(self):
        """Return the revisions in force now (the latest of each)."""
        return self.filter(superseded_at__isnull=True)

    def as_of(self, moment):
        """Return the revisions that were in force at ``moment``: what a reader knew then."""
        return (
            self.alias(known=Coalesce("published_at", "recorded_at"))
            .filter(known__lte=moment)
            .filter(Q(superseded_at__isnull=True) | Q(superseded_at__gt=moment))
        )

    def known_by(self, moment):
        """Return every revision known at ``moment``, in force then or not: the history."""
        return self.alias(known=Coalesce("published_at", "recorded_at")).filter(known__lte=moment)

    def known_between(self, start, end):
        """Return the revisions that became known after ``start`` and by ``end``: what is
        new from one moment to the next."""
        return self.alias(known=Coalesce("published_at", "recorded_at")).filter(
            known__gt=start, known__lte=end
        )
