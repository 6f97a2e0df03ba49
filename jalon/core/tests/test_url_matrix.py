"""Every URL of Jalon (pages and API, from the URL configuration) × every method × every
role: the answer each gets, and nothing changed in the database where it was refused.

A URL with no rule here fails the suite: whoever adds one says who may do what with it.
The admin (`/admin/`) keeps Django's own rules, tested in `people/tests/test_admin.py`.
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.test import Client
from django.urls import URLResolver, get_resolver

from jalon.access.models import Access
from jalon.api.models import ApiToken
from jalon.audit.models import AuditEvent
from jalon.collection.models import CollectionRound, Upload
from jalon.dashboard.tests.conftest import personas  # noqa: F401 - the roles' clients
from jalon.plans.models import Plan, Target
from jalon.reports.models import Commentary, Report
from jalon.values.models import Value

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "viewer", "contributor", "steward", "administrator")
P = "imt-2018-2022"

# Who gets what, by role in ROLES' order.
READ = (302, 404, 200, 200, 200, 404)  # a plan's page: everyone with access to the plan
WORK = (302, 404, 403, 200, 200, 404)  # stewards and contributors
STEWARD = (302, 404, 403, 403, 200, 404)  # stewards only
ANYONE = (200,) * 6
LOGGED_IN = (302, 200, 200, 200, 200, 200)
NOT_ALLOWED = (405,) * 6
API_READ = (401, 404, 200, 200, 200, 404)
API_WORK = (401, 404, 403, 200, 200, 404)

RULES = {
    # A reader of one plan is sent to it; of none (or several), the list.
    "": {"GET": (302, 200, 302, 302, 302, 200), "POST": NOT_ALLOWED},
    "healthz": {"GET": ANYONE, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/indicators/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/indicators/<slug:code>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/schools/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/schools/<slug:code>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/projects/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/projects/<slug:code>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/axes/<slug:code>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/levers/<slug:code>/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/search/": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/access/": {"GET": STEWARD, "POST": STEWARD},
    "password/forgotten/": {"GET": ANYONE, "POST": ANYONE},
    "password/sent/": {"GET": ANYONE, "POST": NOT_ALLOWED},
    "password/set/<uidb64>/<token>/": {"GET": ANYONE, "POST": ANYONE},
    "password/done/": {"GET": ANYONE, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/rounds/": {"GET": WORK, "POST": STEWARD},
    "plans/<slug:plan>/rounds/<int:year>/": {"GET": WORK, "POST": STEWARD},
    "plans/<slug:plan>/review/": {"GET": STEWARD, "POST": STEWARD},
    # Saving a grid sends back to it; checking a cell needs one named (none: 404).
    "plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/": {
        "GET": WORK,
        "POST": (302, 404, 403, 302, 302, 404),
    },
    "plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/check/": {
        "GET": NOT_ALLOWED,
        "POST": (302, 404, 403, 404, 404, 404),
    },
    "plans/<slug:plan>/import/": {"GET": WORK, "POST": WORK},
    # The contributor's upload: its stewards read it; only its uploader acts on it.
    "plans/<slug:plan>/import/<int:pk>/": {"GET": WORK, "POST": (302, 404, 403, 302, 403, 404)},
    "plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/template.<str:kind>": {
        "GET": WORK,
        "POST": NOT_ALLOWED,
    },
    "plans/<slug:plan>/download/figures.<str:kind>": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/download/history.<str:kind>": {"GET": READ, "POST": NOT_ALLOWED},
    "plans/<slug:plan>/trail/": {"GET": STEWARD, "POST": NOT_ALLOWED},
    "trail/": {"GET": (302, 403, 403, 403, 403, 200), "POST": NOT_ALLOWED},
    "tokens/": {"GET": LOGGED_IN, "POST": LOGGED_IN},
    "login/": {"GET": ANYONE, "POST": ANYONE},
    "logout/": {"GET": ANYONE, "POST": (302,) * 6},  # a link asks; the button logs out
    "i18n/setlang/": {"GET": (302,) * 6, "POST": (302,) * 6},
    "favicon.ico": {"GET": (301,) * 6, "POST": NOT_ALLOWED},
    # A board report: any reader asks for one (an empty form is said again); only its
    # requester follows and downloads it (here the steward's, made; others: as missing).
    "plans/<slug:plan>/report/": {"GET": READ, "POST": (302, 404, 200, 200, 200, 404)},
    "plans/<slug:plan>/report/<int:pk>/": {
        "GET": (302, 404, 404, 404, 200, 404),
        "POST": NOT_ALLOWED,
    },
    "plans/<slug:plan>/report/<int:pk>/file": {
        "GET": (302, 404, 404, 404, 200, 404),
        "POST": NOT_ALLOWED,
    },
    "plans/<slug:plan>/commentary/": {"GET": STEWARD, "POST": STEWARD},
    "api/v1/openapi.json": {"GET": ANYONE, "POST": NOT_ALLOWED},
    "api/v1/docs": {"GET": ANYONE, "POST": NOT_ALLOWED},
    "api/v1/": {"GET": (404,) * 6, "POST": (404,) * 6},
    "api/v1/plans": {"GET": (401, 200, 200, 200, 200, 200), "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/entities": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/axes": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/levers": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/projects": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/indicators": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/targets": {"GET": API_READ, "POST": NOT_ALLOWED},
    # Writing no figure: refused by role, else done (nothing to write).
    "api/v1/plans/<plan>/figures": {"GET": API_READ, "POST": (401, 404, 403, 200, 200, 404)},
    "api/v1/plans/<plan>/evaluation": {"GET": API_READ, "POST": NOT_ALLOWED},
    "api/v1/plans/<plan>/rounds": {"GET": API_WORK, "POST": NOT_ALLOWED},
    "api/v1/audit": {"GET": (401, 403, 403, 403, 403, 200), "POST": NOT_ALLOWED},
}
NO_FIGURE = {"state": "draft", "values": []}  # what the API is sent to write
# Every other method is refused wherever it is not named.
OTHER_METHODS = ("PUT", "PATCH", "DELETE")


def routes() -> set[str]:
    """Return every route of the URL configuration, the admin's apart."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    return {r for r in walk(get_resolver().url_patterns) if not r.startswith("admin/")}


def test_every_url_has_a_rule():
    assert routes() - set(RULES) == set(), "say who may do what with these URLs"
    assert set(RULES) - routes() == set(), "rules for URLs that are gone"


def fingerprint() -> tuple:
    """Return what a refused request must leave as it was."""
    return tuple(
        (model.__name__, model.objects.count(), model.objects.aggregate(m=Max("pk"))["m"])
        for model in (
            Value,
            AuditEvent,
            Access,
            ApiToken,
            CollectionRound,
            Upload,
            Target,
            Plan,
            Report,
            Commentary,
        )  # fmt: skip
    ) + (get_user_model().objects.count(),)


@pytest.fixture
def world(personas):  # noqa: F811 - the fixture imported above
    """Return each role's client (API clients carry the role's token), and the URLs' parts."""
    from jalon.collection.forms import OpenRoundForm

    plan = Plan.objects.get(code=P)
    form = OpenRoundForm(plan=plan)
    opened = personas["steward"].post(
        f"/plans/{P}/rounds/",
        {
            "year": 2022,
            "deadline": "2023-01-31",
            "indicators": form.fields["indicators"].initial,
            "entities": form.fields["entities"].initial,
        },
    )
    assert opened.status_code == 302
    users = get_user_model()
    admin = users.objects.create_superuser("root", password="a-long-admin-Pl4n-1")
    contributor = users.objects.get(username="contributor")
    upload = Upload.objects.create(
        plan=plan, filename="f.csv", data=b"x", size=1, state="draft", uploaded_by=contributor
    )
    # The steward's report, made, under the same number as the upload (the URLs' `pk`).
    Report.objects.create(
        pk=upload.pk,
        plan=plan,
        requested_by=users.objects.get(username="steward"),
        language="en",
        as_of="2022-06-30",
        entity=plan.organisation,
        kind="pdf",
        role="steward",
        state="done",
        content=b"%PDF-1.7 a report",
    )
    pages = {"anonymous": Client(), **personas, "administrator": Client()}
    pages["administrator"].force_login(admin)
    api = {"anonymous": Client()}
    for role in ROLES[1:]:
        user = admin if role == "administrator" else users.objects.get(username=role)
        _, text = ApiToken.make(user, "matrix", read_only=False)
        api[role] = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
    parts = {
        "plan": P,
        "code": None,  # per route
        "year": "2022",
        "entity": "imt-mines-ales",
        "pk": str(upload.pk),
        "kind": "csv",
        "uidb64": "MQ",
        "token": "no-such-token",
    }
    return pages, api, parts


CODES = {
    "indicators": "students",
    "schools": "imt-mines-ales",
    "projects": "academie-transformations-educatives",
    "axes": "A1",
    "levers": "L1",
}


def url_of(route: str, parts: dict) -> str:
    import re

    code = next((c for k, c in CODES.items() if f"/{k}/<slug:code>" in route), None)
    kind = "xlsx" if "template." in route else parts["kind"]

    def part(match):
        name = match.group(1).split(":")[-1]
        return {"code": code, "kind": kind}.get(name) or parts[name]

    url = "/" + re.sub(r"<([^>]+)>", part, route)
    return url + ("?q=mines" if route.endswith("search/") else "")


def test_each_role_gets_its_answer_and_a_refusal_changes_nothing(world):
    pages, api, parts = world
    wrong = []
    # Logging out ends the sessions: last.
    for route, methods in sorted(RULES.items(), key=lambda rule: (rule[0] == "logout/", rule[0])):
        url = url_of(route, parts)
        clients = api if route.startswith("api/") else pages
        for method in (*methods, *OTHER_METHODS):
            expected = methods.get(method, NOT_ALLOWED)
            for role, status in zip(ROLES, expected, strict=True):
                before = fingerprint()
                call = getattr(clients[role], method.lower())
                if method == "GET":
                    response = call(url)
                else:
                    response = call(url, json.dumps(NO_FIGURE) if route.startswith("api/") else {},
                                    content_type="application/json" if route.startswith("api/")
                                    else "application/x-www-form-urlencoded")  # fmt: skip
                if response.status_code != status:
                    wrong.append(f"{method} {url} as {role}: {response.status_code}, not {status}")
                refused = response.status_code in (302, 401, 403, 404, 405, 422)
                moves = route in ("logout/", "i18n/setlang/")  # a redirect that is no refusal
                if refused and not moves and fingerprint() != before:
                    wrong.append(f"{method} {url} as {role}: refused, but changed the data")
    assert not wrong, "\n".join(wrong)


def test_out_of_scope_answers_as_missing(world):
    pages, api, parts = world
    contributor = pages["contributor"]
    other = "telecom-paris"
    for url in (
        f"/plans/{P}/schools/{other}/",
        f"/plans/{P}/indicators/students/?entity={other}",
        f"/plans/{P}/rounds/2022/grid/{other}/",
        f"/plans/{P}/download/figures.csv?entity={other}",
    ):
        assert contributor.get(url).status_code == 404, url
    assert api["contributor"].get(f"/api/v1/plans/{P}/evaluation?entity={other}").status_code == 404
    mine = Upload.objects.get(pk=parts["pk"])
    mine.uploaded_by = get_user_model().objects.get(username="steward")
    mine.save()
    assert contributor.get(f"/plans/{P}/import/{mine.pk}/").status_code == 404
