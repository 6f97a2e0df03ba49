"""The audit trail: who stored each figure and how, a value file's note, a page per plan
for its stewards and a whole one for administrators, with filters; and nothing changes
or deletes an event."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jalon.audit.models import AuditEvent, TrailIsFixed
from jalon.dashboard.tests.test_pages import BASE, get
from jalon.values.models import Value
from jalon.values.valuefile import store_values

pytestmark = pytest.mark.django_db
TRAIL = f"{BASE}/trail/"
NOTE = """\
jalon: 1
plan: imt-2018-2022
source: examples
state: approved
note: Census of 1 December, checked by the registrar.
values:
  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1300}
"""


def test_every_figure_says_who_stored_it_and_how_and_the_files_note_is_kept(personas):
    store_values(NOTE, "/home/someone/census.yaml", actor_label="alice")
    figure = Value.objects.get(entity__code="imt-mines-ales", period="2022/23", member=None)
    assert figure.recorded_by is None and figure.recorded_via == "census.yaml · alice"
    event = AuditEvent.objects.filter(action="values.import").first()  # the latest
    assert event.detail["note"] == "Census of 1 December, checked by the registrar."
    assert event.plan_code == "imt-2018-2022" and event.actor_label == "alice"
    assert event.detail["file"] == "census.yaml"  # never a path of the server's


def test_stewards_read_their_plans_trail_with_filters(personas):
    store_values(NOTE, "census.yaml", actor_label="alice")
    page = get(personas["steward"], TRAIL).content.decode()
    assert "values.import" in page and "plan.load" in page and "alice" in page
    assert "Census of 1 December" in page
    only = get(personas["steward"], TRAIL + "?action=plan.load").content.decode()
    assert "plan.load" in only and "alice" not in only
    nobody = get(personas["steward"], TRAIL + "?who=nobody-at-all").content.decode()
    assert "No event." in nobody
    bad = get(personas["steward"], TRAIL + "?since=2026-01-02&until=2026-01-01")
    assert bad.status_code == 200 and "The span ends before it starts." in bad.content.decode()
    for name in ("contributor", "viewer"):
        assert get(personas[name], TRAIL).status_code == 403, name
    assert get(personas["outsider"], TRAIL).status_code == 404
    assert get(personas["steward"], "/trail/").status_code == 403  # administrators only
    # The menu links it for stewards.
    assert f'href="{TRAIL}"' in get(personas["steward"], f"{BASE}/").content.decode()


def test_administrators_read_the_whole_trail(personas):
    root = get_user_model().objects.create_superuser("root", password="a-long-admin-Pl4n-1")
    client = Client()
    client.force_login(root)
    page = client.get("/trail/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "account.create" in page and "plan.load" in page


def test_nothing_changes_or_deletes_the_trail(personas):
    event = AuditEvent.objects.first()
    event.action = "forged"
    with pytest.raises(TrailIsFixed):
        event.save()
    with pytest.raises(TrailIsFixed):
        event.delete()
    with pytest.raises(TrailIsFixed):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(TrailIsFixed):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action != "forged"


def test_the_database_refuses_a_change_of_the_trail_on_postgresql(personas):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's trigger; SQLite has the model's refusals (tested above)")
    event = AuditEvent.objects.first()
    for sql in ("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s",
                "DELETE FROM audit_auditevent WHERE id = %s"):  # fmt: skip
        with (
            pytest.raises(DatabaseError, match="the audit trail cannot be changed"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_an_event_is_never_written_over(personas):
    event = AuditEvent.objects.first()
    forged = AuditEvent(pk=event.pk, action="forged", object_type="x", object_key="y")
    with pytest.raises(TrailIsFixed):
        forged.save()
    with pytest.raises(TrailIsFixed):
        event.save(force_update=True)
    with pytest.raises(TrailIsFixed):
        AuditEvent.objects.bulk_create([forged], update_conflicts=True, unique_fields=["id"],
                                       update_fields=["action"])  # fmt: skip
    with pytest.raises(TrailIsFixed):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == event.action
