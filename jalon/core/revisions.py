"""Records kept as revisions: each change adds a row and marks the previous one superseded."""

from django.db import models
from django.db.models import Q


class RevisionQuerySet(models.QuerySet):
    """Reads over rows with ``recorded_at`` and ``superseded_at``."""

    def current(self):
        """Return the revisions in force now (the latest of each)."""
        return self.filter(superseded_at__isnull=True)

    def as_of(self, moment):
        """Return the revisions that were in force at ``moment``: what a reader saw then."""
        return self.filter(recorded_at__lte=moment).filter(
            Q(superseded_at__isnull=True) | Q(superseded_at__gt=moment)
        )
