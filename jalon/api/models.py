import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from jalon.audit.models import AuditEvent

PREFIX = "jalon_"


def digest(token: str) -> str:
    """Return how a token is kept: its SHA-256 (a token is 256 random bits: no slow hash
    is needed to make guessing it hopeless)."""
    return hashlib.sha256(token.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def usable(self):
        """Return the tokens neither revoked nor expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal access token: the API acts as its owner, within the owner's access, and
    only reads if it is read-only. Kept hashed: shown once, when made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    hint = models.CharField(max_length=12)  # the token's first characters, to recognise it
    digest = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.hint}…)"

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @classmethod
    def make(cls, user, name: str, *, read_only: bool = True, days: int | None = 90):
        """Return a new token of ``user`` and its secret text (never kept: shown once)."""
        text = PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            hint=text[: len(PREFIX) + 4],
            digest=digest(text),
            read_only=read_only,
            expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
        )
        AuditEvent.record(
            "token.create", "token", str(token), actor=user,
            read_only=read_only, expires=token.expires_at.isoformat() if token.expires_at else None,
        )  # fmt: skip
        return token, text

    def revoke(self, *, by) -> None:
        """Revoke the token at once; audited."""
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
            AuditEvent.record("token.revoke", "token", str(self), actor=by)

    @classmethod
    def holder(cls, text: str):
        """Return the usable token whose text is ``text``, else None."""
        if not text.startswith(PREFIX):
            return None
        return cls.objects.usable().select_related("user").filter(digest=digest(text)).first()
