"""Collection rounds and the stewards' review: personas, completeness, locks, decisions."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jalon.access.models import Access
from jalon.audit.models import AuditEvent
from jalon.collection.models import CollectionRound, scope_for
from jalon.core.yamlsource import FileProblems
from jalon.dashboard.tests.conftest import INVALID, PLAN
from jalon.plans.models import Plan
from jalon.values.models import Value
from jalon.values.valuefile import store_data, store_values

ROUNDS = f"/plans/{PLAN}/rounds/"


def get(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        assert INVALID not in response.content.decode()
    return response


def post(client, url, data):
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en", follow=True)


def open_round(personas, year=2022):
    page = get(personas["steward"], ROUNDS).content.decode()
    assert "Open a round" in page
    form = Client()  # the form's defaults: every member's figures, from every member
    plan = Plan.objects.get(code=PLAN)
    from jalon.collection.forms import OpenRoundForm

    form = OpenRoundForm(plan=plan)
    data = {
        "year": year,
        "deadline": "2023-01-31",
        "indicators": form.fields["indicators"].initial,
        "entities": form.fields["entities"].initial,
    }
    done = post(personas["steward"], ROUNDS, data)
    assert f"The round {year} is open." in done.content.decode()
    return CollectionRound.objects.get(year=year)


def submit(entity="imt-mines-ales", value=1400, state="submitted", period="2022/23"):
    store_values(
        f"jalon: 1\nplan: {PLAN}\nsource: examples\nstate: {state}\nvalues:\n"
        f"  - {{indicator: students, entity: {entity}, period: {period}, value: {value},"
        " comment: census}\n",
        "grid.yaml",
    )


def test_a_steward_opens_a_round_and_follows_its_completeness(personas):
    round_ = open_round(personas)
    assert round_.indicators.count() == 10 and round_.entities.count() == 13
    submit()
    page = get(personas["steward"], f"{ROUNDS}2022/").content.decode()
    assert "Completeness, entity by entity" in page and "IMT Mines Alès" in page
    ales = page.split("IMT Mines Alès")[1].split("</tr>")[0]
    assert '<td class="num state-submitted">1</td>' in ales
    # The contributor sees their own school's row only; the viewer, nothing.
    mine = get(personas["contributor"], f"{ROUNDS}2022/").content.decode()
    assert (
        "IMT Mines Alès" in mine and "Télécom Paris" not in mine and "Close the round" not in mine
    )
    assert get(personas["viewer"], f"{ROUNDS}2022/").status_code == 403
    assert post(personas["contributor"], ROUNDS, {"year": 2021}).status_code == 403
    assert AuditEvent.objects.filter(action="round.open").count() == 1


def test_a_round_is_opened_once_a_year(personas):
    open_round(personas)
    again = post(
        personas["steward"],
        ROUNDS,
        {"year": 2022, "deadline": "2023-01-31", "indicators": [], "entities": []},
    ).content.decode()
    assert "This field is required." in again or "has a round for 2022 already" in again
    assert CollectionRound.objects.count() == 1


def test_closing_locks_the_figures_for_contributors_and_reopening_says_why(personas):
    round_ = open_round(personas)
    post(personas["steward"], f"{ROUNDS}2022/", {"action": "close"})
    round_.refresh_from_db()
    assert not round_.is_open
    contributor = Access.objects.get(role="contributor")
    located_text = (
        f"jalon: 1\nplan: {PLAN}\nsource: examples\nstate: submitted\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1400}\n"
    )
    from jalon.core.yamlsource import read_yaml

    with pytest.raises(FileProblems, match="the round of 2022/23 is closed"):
        store_data(read_yaml(located_text, "g.yaml"), "g.yaml", scope=scope_for(contributor))
    assert not Value.objects.filter(period="2022/23").exists()
    refused = post(personas["steward"], f"{ROUNDS}2022/", {"action": "reopen", "reason": ""})
    assert "Say why the round is reopened." in refused.content.decode()
    post(personas["steward"], f"{ROUNDS}2022/", {"action": "reopen", "reason": "a late census"})
    round_.refresh_from_db()
    assert round_.is_open
    page = get(personas["steward"], f"{ROUNDS}2022/").content.decode()
    assert "reopen · steward — a late census" in page
    store_data(read_yaml(located_text, "g.yaml"), "g.yaml", scope=scope_for(contributor))
    assert Value.objects.filter(period="2022/23").count() == 1


def test_a_contributor_writes_their_own_school_only(personas):
    contributor = Access.objects.get(role="contributor")
    from jalon.core.yamlsource import read_yaml

    text = (
        f"jalon: 1\nplan: {PLAN}\nsource: examples\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: telecom-paris, period: 2022/23, value: 1}\n"
    )
    with pytest.raises(FileProblems) as caught:
        store_data(read_yaml(text, "g.yaml"), "g.yaml", scope=scope_for(contributor))
    messages = " ".join(p.message for p in caught.value.problems)
    assert "may give figures as draft, submitted, not approved" in messages
    assert "'telecom-paris' is outside your scope: you report for imt-mines-ales" in messages
    assert not Value.objects.filter(period="2022/23").exists()


def test_the_steward_approves_and_the_verdict_follows(personas):
    submit(value=1400)  # Alès's 2022/23 census, its own target
    page = get(personas["steward"], f"/plans/{PLAN}/review/").content.decode()
    row = page.split("IMT Mines Alès")[1].split("</tr>")[0]
    assert "1,400" in row and "census" in row and "1,400" in row.split("num")[-1] or "1,400" in row
    school = f"/plans/{PLAN}/indicators/students/?entity=imt-mines-ales&year=2022"
    before = get(personas["viewer"], school).content.decode()
    assert "No figure for this period." in before  # a submission counts only once approved
    value = Value.objects.get(period="2022/23", state="submitted")
    done = post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "approved", "comment": ""},
    )
    assert "1 figure approved." in done.content.decode()
    after = get(personas["viewer"], school).content.decode()
    assert "1,400\xa0students at the target period, against a target of 1,400 → achieved." in after
    record = Value.objects.current().get(period="2022/23")
    assert (record.state, record.number, record.recorded_by.username) == (
        "approved",
        1400,
        "steward",
    )
    assert AuditEvent.objects.filter(action="values.approve").count() == 1


def test_the_steward_returns_with_a_comment_and_the_contributor_sees_it(personas):
    submit(value=1500)
    value = Value.objects.get(period="2022/23", state="submitted")
    refused = post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "returned", "comment": ""},
    )
    assert "Say why the figures are returned." in refused.content.decode()
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "returned", "comment": "1,500 is above the census"},
    )
    returned = Value.objects.current().get(period="2022/23")
    assert (returned.state, returned.comment) == ("returned", "1,500 is above the census")
    page = get(
        personas["contributor"],
        f"/plans/{PLAN}/indicators/students/?entity=imt-mines-ales&year=2022",
    ).content.decode()
    assert "1,500 is above the census" in page


def test_only_stewards_review(personas):
    for name in ("viewer", "contributor"):
        assert get(personas[name], f"/plans/{PLAN}/review/").status_code == 403
    assert get(personas["outsider"], f"/plans/{PLAN}/review/").status_code == 404
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="steward"))
    assert client.post(f"/plans/{PLAN}/review/", {"decision": "approved"}).status_code == 403


def test_reminders_list_what_is_missing(personas):
    round_ = open_round(personas)
    submit()
    missing = round_.missing_for(round_.entities.get(code="imt-mines-ales"))
    codes = {(i.code, p) for i, p in missing}
    assert ("students", "2022/23") not in codes and ("own-resources", "2022") in codes
    assert round_.deadline == dt.date(2023, 1, 31)
