"""Pages served again while nothing they show can have changed, and only then."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from jalon.access.models import Access
from jalon.dashboard.tests.conftest import PLAN
from jalon.plans.models import Plan
from jalon.values.valuefile import store_values

BASE = f"/plans/{PLAN}"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHANGE = (
    f"jalon: 1\nplan: {PLAN}\nsource: press-release\nstate: approved\nvalues:\n"
    "  - {indicator: students, entity: imt, period: 2022/23, value: 15432}\n"
)


def get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def test_a_page_is_made_once_and_served_again_with_the_readers_own_token(personas):
    viewer = personas["viewer"]
    first = get(viewer, f"{BASE}/")
    with CaptureQueriesContext(connection) as queries:
        again = get(viewer, f"{BASE}/")
    assert again.status_code == 200 and again.context is None  # not rendered anew
    assert len(queries) <= 3  # the session, the reader, and what the page rests on (`_key`)
    strip = lambda page: TOKEN.sub("", page.content.decode())  # noqa: E731
    assert strip(again) == strip(first)
    token = TOKEN.search(again.content.decode()).group(1)
    assert token != TOKEN.search(first.content.decode()).group(1)  # each request its own
    # The token served with the kept page is a good one: the language form takes it.
    viewer.handler.enforce_csrf_checks = True
    answer = viewer.post("/i18n/setlang/", {"language": "fr", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302


def test_a_change_a_language_a_reader_or_an_address_makes_the_page_anew(personas):
    viewer, steward = personas["viewer"], personas["steward"]
    assert "15,432" not in get(viewer, f"{BASE}/indicators/students/").content.decode()
    store_values(CHANGE, "fix.yaml")
    assert "15,432" in get(viewer, f"{BASE}/indicators/students/").content.decode()
    assert "steward" in get(steward, f"{BASE}/").content.decode()
    assert "steward" not in get(viewer, f"{BASE}/").content.decode()
    french = viewer.get(f"{BASE}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    page = viewer.get(f"{BASE}/indicators/students/", HTTP_ACCEPT_LANGUAGE="fr")
    assert re.search("15[\u00a0\u202f]432", page.content.decode())  # French digits
    assert 'lang="fr"' in french
    assert get(viewer, f"{BASE}/?year=2019").context is not None
    assert [get(viewer, "/plans/no-such-plan/").status_code for _ in range(2)] == [404, 404]


def test_a_reader_whose_access_is_revoked_is_refused_at_once(personas):
    contributor = personas["contributor"]
    assert get(contributor, f"{BASE}/").status_code == 200
    user = Access.objects.get(role="contributor").user
    Access.revoke(user, Plan.objects.get(code=PLAN), label="test")  # audited
    assert get(contributor, f"{BASE}/").status_code in (403, 404)


def test_access_changed_outside_the_audit_trail_is_seen_at_once(personas):
    contributor = personas["contributor"]
    assert get(contributor, f"{BASE}/").status_code == 200
    Access.objects.filter(role="contributor").delete()  # as the database's shell would
    assert get(contributor, f"{BASE}/").status_code in (403, 404)


def test_pages_kept_before_a_change_are_let_go_after_it(personas):
    from jalon.dashboard import pagecache

    viewer = personas["viewer"]
    get(viewer, f"{BASE}/")
    get(viewer, f"{BASE}/indicators/students/")
    assert len(pagecache._pages) == 2
    store_values(CHANGE, "fix.yaml")
    get(viewer, f"{BASE}/")
    assert len(pagecache._pages) == 1  # the indicator's page, out of date, is gone
    assert pagecache._size == len(next(iter(pagecache._pages.values()))[0])
