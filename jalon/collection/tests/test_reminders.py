"""Reminders: each entity told its missing figures, by command and by the daily task."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from jalon.audit.models import AuditEvent
from jalon.collection.models import CollectionRound
from jalon.collection.reminders import due
from jalon.collection.tasks import daily_reminders, schedule_reminders
from jalon.collection.tests.test_rounds import open_round, submit


@pytest.mark.parametrize(
    ("days_before", "sent"),
    [
        (14, False),
        (7, True),
        (3, False),
        (1, True),
        (0, False),
        (-1, True),
        (-2, False),
        (-8, True),
    ],
)
def test_reminders_fall_before_and_after_the_deadline(days_before, sent):
    round_ = CollectionRound(year=2022, deadline=dt.date(2023, 1, 31))
    assert due(round_, round_.deadline - dt.timedelta(days=days_before)) is sent


def test_remind_tells_each_school_its_missing_figures_once_a_day(personas, settings):
    settings.SITE_URL = "https://jalon.example.org"
    open_round(personas)
    user = get_user_model().objects.get(username="contributor")
    user.email = "ales@example.org"
    user.save()
    submit()  # Alès's students are sent; the rest is missing
    out = StringIO()
    call_command("remind", "--dry-run", stdout=out)
    assert "imt-2018-2022 2022 · imt-mines-ales: 9 missing · would remind ales@example.org" in (
        out.getvalue()
    )
    assert "telecom-paris: 10 missing · cannot remind nobody" in out.getvalue()
    assert not mail.outbox
    call_command("remind", stdout=StringIO())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ales@example.org"] and "IMT Mines Alès" in message.subject
    assert "Own resources (own-resources), 2022" in message.body
    assert "Students (students)" not in message.body  # submitted: not missing
    assert "Ressources propres (own-resources), 2022" in message.body  # and in French
    assert "https://jalon.example.org/plans/imt-2018-2022/rounds/2022/grid/imt-mines-ales/" in (
        message.body
    )
    round_ = CollectionRound.objects.get()
    assert round_.events.filter(action="remind", entity__code="imt-mines-ales").count() == 1
    assert AuditEvent.objects.filter(action="round.remind").count() == 1
    call_command("remind", stdout=StringIO())  # again today: nothing more
    assert len(mail.outbox) == 1


def test_the_daily_task_reminds_when_due_and_schedules_the_next(personas):
    open_round(personas)  # deadline 2023-01-31
    user = get_user_model().objects.get(username="contributor")
    user.email = "ales@example.org"
    user.save()
    waiting = DBTaskResult.objects.ready().filter(task_path=daily_reminders.module_path)
    with time_machine.travel(dt.datetime(2023, 1, 20, 8, 0), tick=False):
        assert daily_reminders.call() == 0  # 11 days before: not due
        assert not mail.outbox
    assert waiting.get().run_after.date() == dt.date(2023, 1, 21)  # tomorrow's is queued
    waiting.delete()  # as if it had run
    with time_machine.travel(dt.datetime(2023, 1, 24, 8, 0), tick=False):
        assert daily_reminders.call() == 1  # a week before
    assert len(mail.outbox) == 1
    assert waiting.count() == 1  # tomorrow's, once, however often it is scheduled
    assert not schedule_reminders()
    assert waiting.get().run_after.date() == dt.date(2023, 1, 25)
