"""The admin is for administrators: stewards work on Jalon's pages; every admin change is
audited under who made it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jalon.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_no_persona_opens_the_admin(personas):
    for name in ("steward", "contributor", "viewer", "outsider"):
        response = personas[name].get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"], name
        assert personas[name].get("/admin/auth/user/").status_code == 302, name


def test_the_demo_steward_is_no_administrator(imt_values):
    from jalon.core.demo import _reset_account

    # A demo database from before: its steward was a superuser. The next demo run mends it.
    old = get_user_model().objects.create_superuser("steward", password="an-old-Pl4n-2025")
    _reset_account("steward", imt_values, "steward", None)
    old.refresh_from_db()
    assert not old.is_staff and not old.is_superuser


@pytest.fixture
def administrator():
    user = get_user_model().objects.create_superuser("root", password="a-long-admin-password-7")
    client = Client()
    client.force_login(user)
    return client


def test_every_admin_change_of_an_account_is_audited(administrator, personas):
    users = get_user_model()
    viewer = users.objects.get(username="viewer")
    url = f"/admin/auth/user/{viewer.pk}/change/"
    form = administrator.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(is_staff="on", date_joined_0="2026-01-01", date_joined_1="00:00:00")
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    assert administrator.post(url, data).status_code == 302
    viewer.refresh_from_db()
    assert viewer.is_staff
    change = AuditEvent.objects.get(action="admin.change")
    assert (change.actor_label, change.object_key) == ("root", "viewer")
    assert "Staff status" in str(change.detail["message"])

    # A password set in the admin: both events, under the administrator's name.
    url = f"/admin/auth/user/{viewer.pk}/password/"
    new = {"password1": "a-new-viewer-Pl4n", "password2": "a-new-viewer-Pl4n"}
    assert administrator.post(url, {**new, "usable_password": "true"}).status_code == 302
    password = AuditEvent.objects.get(action="account.password", object_key="viewer")
    assert password.actor_label == "root"

    # An account made in the admin, then deleted.
    made = {"username": "newcomer", "usable_password": "true"}
    made.update(password1="a-newcomer-Pl4n", password2="a-newcomer-Pl4n")
    assert administrator.post("/admin/auth/user/add/", made).status_code == 302
    created = AuditEvent.objects.get(action="account.create", object_key="newcomer")
    assert created.actor_label == "root"
    assert AuditEvent.objects.filter(action="admin.add", object_key="newcomer").exists()
    newcomer = users.objects.get(username="newcomer")
    url = f"/admin/auth/user/{newcomer.pk}/delete/"
    assert administrator.post(url, {"post": "yes"}).status_code == 302
    deleted = AuditEvent.objects.get(action="admin.delete")
    assert (deleted.actor_label, deleted.object_key) == ("root", "newcomer")
    assert not users.objects.filter(username="newcomer").exists()


def test_a_weak_password_is_refused_in_the_admin_too(administrator):
    made = {"username": "weak", "usable_password": "true", "password1": "1", "password2": "1"}
    page = administrator.post("/admin/auth/user/add/", made, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "too short" in page.content.decode()
    assert not get_user_model().objects.filter(username="weak").exists()
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_an_account_deleted_takes_its_access_said_and_never_a_plans_last_steward(
    administrator, personas
):
    users = get_user_model()
    viewer = users.objects.get(username="viewer")
    assert (
        administrator.post(f"/admin/auth/user/{viewer.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    gone = AuditEvent.objects.get(action="access.revoke", object_key="viewer @ imt-2018-2022")
    assert (gone.actor_label, gone.plan_code) == ("account deleted", "imt-2018-2022")
    steward = users.objects.get(username="steward")
    refused = administrator.post(f"/admin/auth/user/{steward.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403 and users.objects.filter(username="steward").exists()
    page = administrator.get("/admin/auth/user/").content.decode()
    assert "delete_selected" not in page
