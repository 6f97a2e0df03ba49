"""Logins are throttled per account and per address, and passwords hashed with Argon2."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client, RequestFactory

from jalon import settings as jalon_settings
from jalon.people.addresses import client_address

RIGHT = "a-long-right-password"


@pytest.fixture
def accounts(db):
    users = get_user_model().objects
    return [users.create_user(name, password=RIGHT) for name in ("viewer", "steward", "other")]


def login(username, password, *, address="10.0.0.1", language="en"):
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language)
    answer = client.post("/login/", {"username": username, "password": password})
    return answer, "_auth_user_id" in client.session


def test_after_five_wrong_passwords_the_right_one_is_refused_too(accounts):
    for _ in range(4):
        answer, logged_in = login("viewer", "wrong")
        assert answer.status_code == 200 and not logged_in
    assert login("viewer", "wrong")[0].status_code == 429  # the fifth locks it
    answer, logged_in = login("viewer", RIGHT)
    assert answer.status_code == 429 and not logged_in
    page = answer.content.decode()
    assert "Too many failed logins" in page and "locked for 15 minutes" in page
    # From any address: the account is locked, not only the address.
    assert login("viewer", RIGHT, address="10.9.9.9")[0].status_code == 429
    # In French too.
    answer, _ = login("viewer", RIGHT, language="fr")
    assert "Trop de connexions" in answer.content.decode()
    # Another account, from another address, logs in.
    assert login("steward", RIGHT, address="10.9.9.9")[1]


def test_an_address_trying_many_accounts_is_locked_out(accounts):
    for n in range(5):
        login(f"guess-{n}", "wrong", address="10.0.0.66")
    answer, logged_in = login("other", RIGHT, address="10.0.0.66")
    assert answer.status_code == 429 and not logged_in
    assert login("other", RIGHT, address="10.0.0.67")[1]


def test_a_lockout_ends_after_its_time(accounts, time_machine):
    time_machine.move_to(dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC), tick=False)
    for _ in range(5):
        login("viewer", "wrong")
    assert login("viewer", RIGHT)[0].status_code == 429
    time_machine.move_to(dt.datetime(2026, 1, 1, 9, 16, tzinfo=dt.UTC), tick=False)
    assert login("viewer", RIGHT)[1]


def test_a_right_password_clears_the_failures_before_it(accounts):
    for _ in range(4):
        login("viewer", "wrong")
    assert login("viewer", RIGHT)[1]
    for _ in range(4):
        login("viewer", "wrong")
    assert login("viewer", RIGHT)[1]


def test_behind_proxies_the_address_is_the_one_the_outermost_proxy_saw(settings):
    factory = RequestFactory()
    forged = "6.6.6.6, 203.0.113.7"  # the client wrote the first; the proxy added the last
    request = factory.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forged)
    settings.PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.2"
    settings.PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.7"
    request = factory.get("/", REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == "10.0.0.2"  # no header: the connection's


def test_passwords_are_hashed_with_argon2():
    # The tests hash with a fast hasher; Jalon's own settings put Argon2 first.
    assert jalon_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = Argon2PasswordHasher().encode(RIGHT, Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$") and Argon2PasswordHasher().verify(RIGHT, encoded)


def test_every_way_of_making_an_account_checks_its_password(db, monkeypatch):
    from django.core.exceptions import ValidationError
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from jalon.audit.models import AuditEvent

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "1")
    with pytest.raises(CommandError, match="This password is too short"):
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@x.org")
    dana = get_user_model()(username="dana")
    dana.set_password("dana")
    with pytest.raises(ValidationError):
        dana.save()
    assert not get_user_model().objects.exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password")
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@x.org")
    made = AuditEvent.objects.get(action="account.create", object_key="root")
    assert made.actor_label.startswith("cli") and made.detail == {"superuser": True}
    # A new password is audited; a hash upgraded at login is not a new password.
    user = get_user_model().objects.get(username="root")
    user.set_password("another-long-password")
    user.save()
    assert AuditEvent.objects.filter(action="account.password", object_key="root").count() == 1
    user.check_password("another-long-password")  # no upgrade under the tests' hasher
    assert AuditEvent.objects.filter(action="account.password").count() == 1
