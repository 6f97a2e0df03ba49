"""People and access: the steward's page, invitations by e-mail, and `jalon access`."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest
from django.test import Client

from jalon.access.models import Access
from jalon.audit.models import AuditEvent
from jalon.dashboard.tests.conftest import INVALID, PLAN
from jalon.plans.models import Plan

PAGE = f"/plans/{PLAN}/access/"


def get(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    if response.status_code == 200:
        assert INVALID not in response.content.decode()
    return response


def post(client, data, url=PAGE):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)


def test_only_stewards_open_the_access_page(personas):
    page = get(personas["steward"], PAGE).content.decode()
    assert "Who has access" in page and "contributor" in page and "IMT Mines Alès" in page
    for name in ("viewer", "contributor"):
        assert get(personas[name], PAGE).status_code == 403, name
    assert get(personas["outsider"], PAGE).status_code == 404  # the plan is out of reach
    assert Client().get(PAGE).status_code == 302  # to the login page
    # The menu links it for stewards only.
    assert f'href="{PAGE}"' in get(personas["steward"], f"/plans/{PLAN}/").content.decode()
    assert f'href="{PAGE}"' not in get(personas["viewer"], f"/plans/{PLAN}/").content.decode()


def test_a_steward_grants_changes_and_revokes_access(personas):
    dana = get_user_model().objects.create_user("dana", password="a-long-password-1")
    steward = personas["steward"]
    done = post(steward, {"action": "grant", "grant-username": "dana", "grant-role": "viewer"})
    assert "dana now has access." in done.content.decode()
    assert Access.objects.get(user=dana).role == "viewer"
    post(
        steward,
        {
            "action": "grant",
            "grant-username": "dana",
            "grant-role": "contributor",
            "grant-entity": "telecom-paris",
        },
    )
    access = Access.objects.get(user=dana)
    assert (access.role, access.entity.code) == ("contributor", "telecom-paris")
    post(steward, {"action": "revoke", "access": access.pk})
    assert not Access.objects.filter(user=dana).exists()
    actions = list(
        AuditEvent.objects.filter(object_key=f"dana @ {PLAN}").values_list("action", flat=True)
    )
    assert sorted(actions) == ["access.grant", "access.grant", "access.revoke"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grant-username": "nobody", "grant-role": "viewer"}, "No account has this username"),
        ({"grant-username": "viewer", "grant-role": "contributor"}, "A contributor reports for"),
        (
            {"grant-username": "viewer", "grant-role": "viewer", "grant-entity": "eurecom"},
            "Stewards and viewers read the whole plan",
        ),
        (
            {"grant-username": "viewer", "grant-role": "contributor", "grant-entity": "nowhere"},
            "Select a valid choice",
        ),
    ],
)
def test_bad_grants_are_refused_and_nothing_changes(personas, data, message):
    before = list(Access.objects.values_list("user__username", "role", "entity__code"))
    page = post(personas["steward"], {"action": "grant", **data}).content.decode()
    assert message in page
    assert list(Access.objects.values_list("user__username", "role", "entity__code")) == before


def test_a_plan_keeps_its_last_steward(personas):
    steward = personas["steward"]
    mine = Access.objects.get(user__username="steward")
    page = post(steward, {"action": "revoke", "access": mine.pk}).content.decode()
    assert "steward is the last steward of plan imt-2018-2022" in page
    assert Access.objects.filter(pk=mine.pk).exists()


def test_an_access_of_another_plan_cannot_be_revoked_from_this_one(personas):
    from jalon.conftest import PLANS, load_plan_text

    csu = PLANS / "csu-gi-2025.yaml"
    other = load_plan_text(csu.read_text(), str(csu)).plan
    user = get_user_model().objects.get(username="viewer")
    elsewhere = Access.objects.create(user=user, plan=other, role="viewer")
    post(personas["steward"], {"action": "revoke", "access": elsewhere.pk})
    assert Access.objects.filter(pk=elsewhere.pk).exists()


def test_the_page_refuses_a_post_without_its_csrf_token(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="steward"))
    response = client.post(
        PAGE, {"action": "grant", "grant-username": "viewer", "grant-role": "steward"}
    )
    assert response.status_code == 403
    assert Access.objects.get(user__username="viewer").role == "viewer"


def test_an_invitation_makes_an_account_whose_owner_sets_a_password_once(personas):
    page = post(
        personas["steward"],
        {
            "action": "invite",
            "invite-email": "Eve.Martin@example.org",
            "invite-role": "contributor",
            "invite-entity": "imt-mines-albi",
        },
    ).content.decode()
    assert "Eve.Martin@example.org is invited" in page
    eve = get_user_model().objects.get(email="Eve.Martin@example.org")
    assert eve.username == "eve.martin@example.org" and not eve.has_usable_password()
    (message,) = mail.outbox
    assert message.to == ["Eve.Martin@example.org"] and "IMT Mines Albi" in message.body
    assert "Choisissez votre mot de passe" in message.body  # in French and in English
    link = re.search(r"http://testserver(/password/set/\S+)", message.body).group(1)
    browser = Client()
    form = browser.get(link, follow=True)
    assert "Choose your password" in form.content.decode() or form.status_code == 200
    url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = browser.post(
        url, {"new_password1": "a-fine-long-passphrase", "new_password2": "a-fine-long-passphrase"}
    )
    assert done.status_code == 302
    assert browser.login(
        request=HttpRequest(), username="eve.martin@example.org", password="a-fine-long-passphrase"
    )
    assert Client().get(link, follow=True).context["validlink"] is False  # used: void
    assert AuditEvent.objects.filter(action="access.invite").count() == 1
    home = browser.get("/", follow=True).content.decode()
    assert "/plans/imt-2018-2022/" in home or "Overall strategy" in home


def test_inviting_someone_who_has_an_account_gives_access_and_a_login_link(personas):
    user = get_user_model().objects.create_user("fred", "fred@example.org", "a-long-password-2")
    post(
        personas["steward"],
        {"action": "invite", "invite-email": "FRED@example.org", "invite-role": "viewer"},
    )
    assert Access.objects.get(user=user).role == "viewer"
    (message,) = mail.outbox
    assert "http://testserver/login/" in message.body and "/password/set/" not in message.body


def test_jalon_access_grant_revoke_and_list(imt_plan, capsys):
    get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-password-3")
    call_command("access", "grant", "admin", "--plan", PLAN, "--role", "steward")
    assert "admin is steward of imt-2018-2022." in capsys.readouterr().out
    get_user_model().objects.create_user("gina", password="a-long-password-4")
    call_command(
        "access", "grant", "gina", "--plan", PLAN, "--role", "contributor", "--entity", "eurecom"
    )
    call_command("access", "list")
    listing = capsys.readouterr().out
    assert "imt-2018-2022  gina  contributor for eurecom" in listing
    assert "imt-2018-2022  admin  steward" in listing
    with pytest.raises(CommandError, match="admin is the last steward"):
        call_command("access", "revoke", "admin", "--plan", PLAN)
    with pytest.raises(CommandError, match="a contributor reports for an entity"):
        call_command("access", "grant", "gina", "--plan", PLAN, "--role", "contributor")
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("access", "grant", "nobody", "--plan", PLAN, "--role", "viewer")
    with pytest.raises(CommandError, match="no plan has the code 'nope'"):
        call_command("access", "grant", "gina", "--plan", "nope", "--role", "viewer")
    call_command("access", "revoke", "gina", "--plan", PLAN)
    assert not Access.objects.filter(user__username="gina").exists()
    assert AuditEvent.objects.filter(action__startswith="access.").count() == 3
    # The README's set-up: a superuser, one grant, then the browser opens the plan.
    client = Client()
    assert client.login(request=HttpRequest(), username="admin", password="a-long-password-3")
    assert client.get(f"/plans/{PLAN}/").status_code == 200
    assert Plan.objects.get(code=PLAN).accesses.filter(role="steward").count() == 1
