"""Invitations by e-mail: an account where there is none, a one-time link to set a password.

The link is Django's password-reset token: valid once, for PASSWORD_RESET_TIMEOUT, and
void as soon as the password is set.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jalon.access.models import Access
from jalon.audit.models import AuditEvent


def invite(email: str, plan, role: str, entity, *, by, build_url) -> Access:
    """Return the access given to the person at ``email``, who is told so by e-mail.

    A new account gets a link to set its password; an existing one, a link to log in.
    ``build_url`` turns a path into an absolute URL (the request's).
    """
    users = get_user_model().objects
    user = users.filter(email__iexact=email).order_by("pk").first()
    created = user is None
    if created:
        user = users.create_user(username=email.lower(), email=email)  # no password yet
    access = Access.grant(user, plan, role, entity, by=by)
    if user.has_usable_password():
        link = build_url(reverse("login"))
    else:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = build_url(reverse("password_reset_confirm", args=[uid, token]))
    context = {
        "plan": plan,
        "access": access,
        "link": link,
        "username": user.get_username(),
        "new_account": created or not user.has_usable_password(),
        "by": by.get_username() if by else "",
    }
    # The invitee's language is not known yet: the message is in both.
    parts = []
    for language in ("fr", "en"):
        with translation.override(language):
            parts.append(render_to_string("people/invitation.txt", context))
    send_mail(f"Jalon — {plan.name}", "\n\n----\n\n".join(parts), None, [user.email])
    AuditEvent.record(
        "access.invite",
        "access",
        f"{user.get_username()} @ {plan.code}",
        actor=by,
        plan=plan.code,
        email=user.email,
        role=role,
        entity=entity.code if entity else None,
        new_account=created,
    )
    return access
