"""The JSON API: tokens (hashed, owner's access, read-only, expiry, revoked), reads as the
pages show them (scope, drafts, disclosure control), figures written with the import's
checks, all or nothing, one error shape, the OpenAPI document."""

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from jalon.api.models import ApiToken, digest
from jalon.audit.models import AuditEvent
from jalon.dashboard.tests.test_disclosure import ONE_SCHOOL
from jalon.dashboard.tests.test_verdict_pages import figures
from jalon.values.models import Value

pytestmark = pytest.mark.django_db
API = "/api/v1"
PLAN = f"{API}/plans/imt-2018-2022"


def client_of(name: str, *, read_only=True, days=90) -> tuple[Client, ApiToken]:
    user = get_user_model().objects.get(username=name)
    token, text = ApiToken.make(user, f"{name}'s", read_only=read_only, days=days)
    return Client(HTTP_AUTHORIZATION=f"Bearer {text}"), token


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "problems"} <= set(body["error"])
    return body["error"]


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_tokens_are_kept_hashed_and_stop_when_revoked_or_expired(personas):
    user = get_user_model().objects.get(username="viewer")
    token, text = ApiToken.make(user, "script")
    assert text not in str(ApiToken.objects.values_list()) and token.digest == digest(text)
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
    assert reader.get(f"{API}/plans").status_code == 200
    token.revoke(by=user)
    assert error_of(reader.get(f"{API}/plans"))["code"] == "unauthorized"
    expired, _ = client_of("viewer")
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert expired.get(f"{API}/plans").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer jalon_made-up").get(f"{API}/plans").status_code == 401
    assert {"token.create", "token.revoke"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )


def test_the_tokens_page_makes_shows_once_and_revokes(personas):
    page = (
        personas["viewer"]
        .post(
            "/tokens/",
            {"action": "make", "name": "nightly", "days": "30"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        .content.decode()
    )
    text = page.split('<code class="token">')[1].split("</code>")[0]
    assert text.startswith("jalon_") and "Your new token, shown this once" in page
    token = ApiToken.holder(text)
    assert token.read_only and token.name == "nightly"
    assert (token.expires_at - timezone.now()).days in (29, 30)
    again = personas["viewer"].get("/tokens/").content.decode()
    assert text not in again and token.hint in again
    # Someone else cannot revoke it; its owner can.
    personas["steward"].post("/tokens/", {"action": "revoke", "token": token.pk})
    assert ApiToken.holder(text) is not None
    personas["viewer"].post("/tokens/", {"action": "revoke", "token": token.pk})
    assert ApiToken.holder(text) is None


def test_reads_keep_to_the_owners_access(personas):
    contributor, _ = client_of("contributor")
    entities = contributor.get(f"{PLAN}/entities").json()["items"]
    assert [e["code"] for e in entities] == ["imt", "imt-mines-ales"]
    other = contributor.get(f"{PLAN}/evaluation?entity=telecom-paris")
    assert error_of(other)["code"] == "not_found"
    assert error_of(contributor.get(f"{API}/plans/nope"))["code"] == "not_found"
    outsider, _ = client_of("outsider")
    assert outsider.get(PLAN).status_code == 404  # as if it did not exist
    assert error_of(contributor.get(f"{API}/audit"))["code"] == "forbidden"
    viewer, _ = client_of("viewer")
    assert viewer.get(f"{PLAN}/rounds").status_code == 403
    figures(
        "draft", "  - {indicator: students, entity: telecom-paris, period: 2022/23, value: 9}\n"
    )
    steward, _ = client_of("steward")
    seen = {f["state"] for f in steward.get(f"{PLAN}/figures?limit=500").json()["items"]}
    assert "draft" in seen
    assert "draft" not in {
        f["state"] for f in viewer.get(f"{PLAN}/figures?limit=500").json()["items"]
    }


def test_the_evaluation_withholds_what_the_pages_withhold(personas):
    figures("approved", ONE_SCHOOL)
    contributor, _ = client_of("contributor")
    steward, _ = client_of("steward")
    url = f"{PLAN}/evaluation?year=2022&limit=1"
    theirs = steward.get(url).json()["items"][0]
    assert (theirs["indicator"], theirs["value"], theirs["suppressed"]) == ("students", 4321, False)
    mine = contributor.get(url).json()["items"][0]
    assert mine["value"] is None and mine["suppressed"] and mine["status"] == "suppressed"
    assert "4321" not in contributor.get(f"{PLAN}/evaluation?year=2022").content.decode()
    # No two moments to compare for a reader who may not see every member.
    compared = contributor.get(f"{PLAN}/evaluation?as_of=2020-01-01")
    assert error_of(compared)["code"] == "whole_readers_only"
    assert steward.get(f"{PLAN}/evaluation?as_of=2020-01-01").status_code == 200


def test_figures_are_written_with_the_imports_checks_all_or_nothing(personas):
    contributor, _ = client_of("contributor", read_only=False)
    before = Value.objects.count()
    wrong = post(contributor, f"{PLAN}/figures", {
        "state": "submitted", "source": "examples",
        "values": [
            {"indicator": "students", "entity": "imt-mines-ales", "period": "2022/23", "value": 1300},
            {"indicator": "students", "entity": "telecom-paris", "period": "2022/23", "value": 3},
            {"indicator": "students", "entity": "imt-mines-ales", "period": "2023/24", "value": -5},
        ],
    })  # fmt: skip
    error = error_of(wrong)
    assert wrong.status_code == 422 and error["code"] == "invalid_figures"
    where = {p["where"] for p in error["problems"]}
    assert {"values[1].entity", "values[2].value"} <= where
    assert "outside your scope" in str(error["problems"])
    assert Value.objects.count() == before
    approve = post(contributor, f"{PLAN}/figures", {"state": "approved", "source": "examples",
        "values": [{"indicator": "students", "entity": "imt-mines-ales", "period": "2022/23", "value": 1300}]})  # fmt: skip
    assert approve.status_code == 422 and Value.objects.count() == before
    good = {"state": "submitted", "source": "examples", "note": "from the registrar",
            "values": [{"indicator": "students", "entity": "imt-mines-ales", "period": "2022/23", "value": 1300}]}  # fmt: skip
    preview = post(contributor, f"{PLAN}/figures?dry_run=true", good)
    assert preview.json() == {"dry_run": True, "counts": {"new": 1, "submitted": 1}}
    assert Value.objects.count() == before
    done = post(contributor, f"{PLAN}/figures", good)
    assert done.status_code == 200 and Value.objects.count() == before + 1
    stored = Value.objects.latest("pk")
    assert (stored.state, stored.recorded_by.username) == ("submitted", "contributor")
    event = AuditEvent.objects.filter(action="values.api").first()
    assert event.detail["note"] == "from the registrar" and event.actor_label == "contributor"


def test_read_only_tokens_and_readers_do_not_write(personas):
    reader, _ = client_of("contributor", read_only=True)
    body = {"state": "draft", "values": []}
    assert error_of(post(reader, f"{PLAN}/figures", body))["code"] == "read_only_token"
    viewer, _ = client_of("viewer", read_only=False)
    assert post(viewer, f"{PLAN}/figures", body).status_code == 403
    broken = viewer.post(f"{PLAN}/figures", "{not json", content_type="application/json")
    assert broken.status_code in (400, 403, 422)
    assert "error" in broken.json()


def test_pages_of_items_and_the_openapi_document(personas):
    steward, _ = client_of("steward")
    first = steward.get(f"{PLAN}/figures?limit=5").json()
    second = steward.get(f"{PLAN}/figures?limit=5&offset=5").json()
    assert len(first["items"]) == 5 and first["count"] == second["count"] > 10
    assert first["items"] != second["items"]
    schema = Client().get(f"{API}/openapi.json").json()
    assert schema["openapi"].startswith("3.") and f"{API}/plans/{{plan}}/figures" in schema["paths"]
    docs = Client().get(f"{API}/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


def test_throttled_beyond_the_rate(personas, settings):
    from jalon.api import api as module

    reader, _ = client_of("viewer")
    throttle = module.api.throttle[1]
    rate = throttle.rate
    throttle.rate, (throttle.num_requests, throttle.duration) = "2/m", (2, 60)
    try:
        from django.core.cache import cache

        cache.clear()
        codes = [reader.get(f"{API}/plans").status_code for _ in range(4)]
        assert codes[:2] == [200, 200] and codes[-1] == 429
        assert error_of(reader.get(f"{API}/plans"))["code"] == "throttled"
    finally:
        throttle.rate, (throttle.num_requests, throttle.duration) = rate, throttle.parse_rate(rate)
