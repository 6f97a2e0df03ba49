"""Every account's password passes the password checks, however the account is made, and
every account made or password set is in the audit trail.

Django sets ``user._password`` to the new password on `set_password` until the user is
saved, and to None when it only re-hashes a password at login (Argon2 replacing an older
hash): a password set is checked then, a re-hash never.
"""

import contextlib
import contextvars

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db.models.signals import post_save, pre_save

from jalon.audit.models import AuditEvent

_acting = contextvars.ContextVar("acting", default="")


@contextlib.contextmanager
def acting(label: str):
    """Name who makes or changes accounts meanwhile, for the audit trail (a command's user)."""
    token = _acting.set(label)
    try:
        yield
    finally:
        _acting.reset(token)


def _check_password(sender, instance, **kwargs) -> None:
    password = getattr(instance, "_password", None)
    if password is not None:
        validate_password(password, instance)  # raises ValidationError: nothing is saved
        instance._password_set = True


def _audit(sender, instance, created, **kwargs) -> None:
    if created:
        AuditEvent.record(
            "account.create", "user", instance.get_username(),
            label=_acting.get(), superuser=instance.is_superuser,
        )  # fmt: skip
    elif getattr(instance, "_password_set", False):
        AuditEvent.record(
            "account.password", "user", instance.get_username(),
            label=_acting.get(),
        )  # fmt: skip
    instance._password_set = False


def connect() -> None:
    """Connect the checks to the user model (from the app's `ready`)."""
    user = get_user_model()
    pre_save.connect(_check_password, sender=user, dispatch_uid="jalon.people.check_password")
    post_save.connect(_audit, sender=user, dispatch_uid="jalon.people.audit_account")
