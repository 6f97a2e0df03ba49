"""The error pages: styled, translated, the plan's menu kept where the reader may see the
plan, and what to do next; logging out from a link asks first."""

import pytest
from django.test import Client

from jalon.dashboard.tests.test_pages import BASE, get

pytestmark = pytest.mark.django_db


def test_not_found_and_not_allowed_say_what_to_do_in_both_languages(personas):
    missing = get(personas["viewer"], f"{BASE}/indicators/no-such-thing/")
    page = missing.content.decode()
    assert missing.status_code == 404 and "jalon.css" in page
    assert "This page does not exist, or is not yours to see" in page
    assert f'href="{BASE}/indicators/"' in page  # the plan's menu, kept
    assert "Back to the plan&#x27;s overview" in page or "Back to the plan's overview" in page
    french = personas["viewer"].get(f"{BASE}/indicators/no-such-thing/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cette page n’existe pas" in french.content.decode()
    refused = get(personas["contributor"], f"{BASE}/access/")
    page = refused.content.decode()
    assert refused.status_code == 403 and "Your access does not allow this" in page
    assert "You are: Contributor." in page and f'href="{BASE}/"' in page
    # A plan out of reach: no menu of it, nothing said of it.
    elsewhere = get(personas["outsider"], f"{BASE}/").content.decode()
    assert f'href="{BASE}/indicators/"' not in elsewhere and "Back to your plans" in elsewhere


def test_a_server_error_is_a_page_that_asks_nothing_of_the_database(settings):
    from django.template import loader

    page = loader.get_template("500.html").render({})
    assert "Something went wrong on our side" in page and "jalon.css" in page


def test_logging_out_from_a_link_asks_first(personas):
    client = personas["viewer"]
    page = client.get("/logout/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log out?" in page and 'method="post"' in page
    assert client.get(f"{BASE}/").status_code == 200  # still logged in
    assert client.post("/logout/").status_code == 302
    assert client.get(f"{BASE}/").status_code == 302  # to the login page
    assert (
        "You are logged out" in Client().get("/logout/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
