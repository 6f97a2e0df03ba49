"""Reminders by e-mail: each entity of an open round is told the figures it has not sent.

Sent a week and a day before the deadline, the day after it, then weekly while figures
are missing (`due`); `jalon remind` sends them at once, the daily task on that schedule.
An entity is reminded at most once a day, and every reminder is in the round's history.
"""

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from jalon.access.choices import Role
from jalon.access.models import Access, ancestors
from jalon.collection.models import CollectionRound

logger = logging.getLogger(__name__)
BEFORE = (7, 1)  # days before the deadline
AFTER_EVERY = 7  # days between reminders once the deadline has passed


def due(round_: CollectionRound, today: dt.date) -> bool:
    """Return whether the round's reminders go out on ``today``."""
    days = (round_.deadline - today).days
    return days in BEFORE or (days < 0 and (-days - 1) % AFTER_EVERY == 0)


@dataclass
class Reminder:
    """One entity's reminder: who is told, and which figures are missing."""

    round: CollectionRound
    entity: object
    recipients: list[str]
    missing: list = field(default_factory=list)  # (indicator, period code)
    sent: bool = False
    error: str = ""  # why it could not be sent


def recipients_of(round_: CollectionRound, entity) -> list[str]:
    """Return the e-mails of the contributors who report for the entity (or above it)."""
    above = [entity.pk, *(a.pk for a in ancestors(entity))]
    accesses = Access.objects.filter(
        plan=round_.plan, role=Role.CONTRIBUTOR, entity_id__in=above
    ).select_related("user")
    return sorted({a.user.email for a in accesses if a.user.email and a.user.is_active})


def remind(
    rounds, *, today: dt.date | None = None, only_due: bool = False, dry_run: bool = False
) -> list[Reminder]:
    """Send the reminders of ``rounds`` (open ones only); return what was or would be sent."""
    today = today or timezone.localdate()
    out = []
    for round_ in rounds:
        if not round_.is_open or (only_due and not due(round_, today)):
            continue
        already = set(
            round_.events.filter(action="remind", at__date=today).values_list(
                "entity_id", flat=True
            )
        )
        for entity in round_.entities.order_by("name"):
            missing = round_.missing_for(entity)
            if not missing or entity.pk in already:
                continue
            reminder = Reminder(round_, entity, recipients_of(round_, entity), missing)
            if reminder.recipients and not dry_run:
                try:
                    _send(reminder, today)
                except (OSError, smtplib.SMTPException) as error:
                    # One server's refusal stops no other reminder; it is said, and kept.
                    reminder.error = str(error) or type(error).__name__
                    logger.warning("reminder to %s not sent: %s", entity.code, reminder.error)
                else:
                    reminder.sent = True
            out.append(reminder)
    return out


def _send(reminder: Reminder, today: dt.date) -> None:
    round_, entity = reminder.round, reminder.entity
    path = reverse("grid", args=[round_.plan.code, round_.year, entity.code])
    context = {
        "round": round_,
        "entity": entity,
        "missing": reminder.missing,
        "days": (round_.deadline - today).days,
        "link": settings.SITE_URL + path,
    }
    # The contributors' language is not known: the message is in both.
    parts = []
    for language in ("fr", "en"):
        with translation.override(language):
            parts.append(render_to_string("collection/reminder.txt", context))
    subject = f"Jalon — {round_.plan.name} {round_.year}: {entity.name}"
    send_mail(subject, "\n\n----\n\n".join(parts), None, reminder.recipients)
    # The history says how many were told, not who: the round's page is read by others.
    round_.record(
        "remind",
        reason=f"{len(reminder.missing)} missing; {len(reminder.recipients)} told",
        label="reminder",
        entity=entity,
    )
