"""The entry grid: personas enter, check, save, submit; the rules say why a figure waits."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jalon.audit.models import AuditEvent
from jalon.collection.grid import cell_text, parse_number
from jalon.collection.tests.test_rounds import ROUNDS, get, open_round, post
from jalon.dashboard.tests.conftest import PLAN
from jalon.plans.models import Indicator
from jalon.values.models import Value

GRID = f"{ROUNDS}2022/grid/imt-mines-ales/"
OTHER = f"{ROUNDS}2022/grid/telecom-paris/"


def check(client, code, value, comment=""):
    return client.post(
        GRID + "check/",
        {"row": code, f"v-{code}": value, f"c-{code}": comment},
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_HX_REQUEST="true",
    )


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13400", 13400),
        ("13 400", 13400),
        ("13\u202f400", 13400),
        ("1 234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("78,1 %", 78.1),
        ("-2", -2),
        (".5", 0.5),
    ],
)
def test_a_cell_reads_numbers_as_people_type_them(typed, number):
    assert parse_number(typed, share=True) == number


@pytest.mark.parametrize("typed", ["", "abc", "12a", "1e5", "1 2 3,4,5.6", "--1", "inf", "9" * 40])
def test_a_cell_refuses_what_is_no_number(typed):
    with pytest.raises(ValueError):
        parse_number(typed)


def test_a_contributor_sees_their_grid_with_previous_figures_and_targets(personas):
    open_round(personas)
    page = get(personas["contributor"], GRID).content.decode()
    row = page.split('id="v-students"')[0].rsplit("<tr", 1)[1]
    assert "1,184" in row and "2021/22" in row  # the previous census, with its period
    rest = page.split('id="v-students"')[1].split("</tr>")[0]
    assert "1,400 (2022/23)" in rest  # Alès's own target
    assert "Like a spreadsheet" in page and "htmx" in page and "grid.js" in page
    # Another school's grid answers as if missing; the viewer's is refused; the
    # outsider's plan is out of reach, which answers as if missing.
    assert get(personas["contributor"], OTHER).status_code == 404
    assert get(personas["viewer"], GRID).status_code == 403
    assert get(personas["outsider"], GRID).status_code == 404
    assert get(personas["steward"], OTHER).status_code == 200


def test_each_cell_is_checked_as_one_types(personas):
    open_round(personas)
    client = personas["contributor"]
    said = check(client, "students", "12,5x").content.decode()
    assert "Type a number" in said and 'class="note error"' in said
    said = check(client, "students", "1190.5").content.decode()
    assert "in whole numbers: 1190.5 is not one" in said
    said = check(client, "students", "-3").content.decode()
    assert "cannot be negative" in said
    # A jump of more than the plan's share (25 %) from 1,184 asks for a comment…
    said = check(client, "students", "2000").content.decode()
    assert "moves +69 % from the previous one (1,184): say why" in said
    assert "ok" in check(client, "students", "2000", "a new campus").content.decode()
    # …and so does a figure off the school's target path (1,400 for 2022/23).
    said = check(client, "students", "1190").content.decode()
    assert "misses the target, 1,400 for 2022/23: a comment is required." in said
    assert "✓" in check(client, "students", "1400").content.decode()
    # A share written as a fraction is typed as a percentage.
    share = Indicator.objects.get(plan__code=PLAN, code="foreign-students-share")
    assert cell_text(0.781, share) == "78.1"


def test_a_contributor_saves_drafts_then_submits_and_the_steward_approves(personas):
    open_round(personas)
    client = personas["contributor"]
    saved = post(
        client,
        GRID,
        {"v-students": "1 400", "c-students": "", "v-doctoral-students": "85", "action": "draft"},
    ).content.decode()
    assert "2 figures saved as drafts." in saved
    drafts = Value.objects.current().filter(period="2022/23", state="draft", member=None)
    assert {(v.indicator.code, v.number) for v in drafts} == {
        ("students", 1400),
        ("doctoral-students", 85),
    }
    assert all(v.recorded_by.username == "contributor" for v in drafts)
    # Submitting the same grid: both drafts become submissions; nothing else is written.
    done = post(
        client,
        GRID,
        {"v-students": "1400", "v-doctoral-students": "85", "action": "submit"},
    ).content.decode()
    assert "2 figures submitted for approval." in done
    assert Value.objects.current().filter(period="2022/23", state="submitted").count() == 2
    again = post(
        client, GRID, {"v-students": "1400", "v-doctoral-students": "85", "action": "submit"}
    ).content.decode()
    assert "Nothing to save: no figure changed." in again
    assert AuditEvent.objects.filter(action="values.grid").count() == 2
    # The steward approves; the grid then shows the figure of record, approved.
    value = Value.objects.current().get(period="2022/23", indicator__code="students")
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "approved", "comment": ""},
    )
    page = get(client, GRID).content.decode()
    row = page.split('id="v-students"')[1].split("</tr>")[0]
    assert "Approved" in row


def test_a_grid_with_a_problem_writes_nothing(personas):
    open_round(personas)
    page = post(
        personas["contributor"],
        GRID,
        {"v-students": "1400", "v-doctoral-students": "many", "action": "submit"},
    ).content.decode()
    assert "Nothing was saved" in page and "Type a number" in page
    assert 'value="many"' in page  # what was typed stays in its cell
    assert not Value.objects.filter(period="2022/23").exists()


def test_no_one_writes_another_school_or_a_closed_round(personas):
    open_round(personas)
    refused = personas["contributor"].post(OTHER, {"v-students": "5", "action": "submit"})
    assert refused.status_code == 404
    assert personas["viewer"].post(GRID, {"v-students": "5"}).status_code == 403
    post(personas["steward"], f"{ROUNDS}2022/", {"action": "close"})
    closed = personas["contributor"].post(GRID, {"v-students": "5", "action": "submit"})
    assert closed.status_code == 403
    page = get(personas["contributor"], GRID).content.decode()
    assert "The round is closed: these figures are locked." in page and "readonly" in page
    assert not Value.objects.filter(period="2022/23").exists()
    # Without the CSRF token, nothing either.
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="steward"))
    assert client.post(GRID, {"v-students": "5", "action": "submit"}).status_code == 403


def test_returned_figures_stand_out_with_the_stewards_comment(personas):
    open_round(personas)
    post(personas["contributor"], GRID, {"v-students": "1400", "action": "submit"})
    value = Value.objects.current().get(period="2022/23", indicator__code="students")
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "returned", "comment": "check the census date"},
    )
    page = get(personas["contributor"], GRID).content.decode()
    assert "1 figure was returned by a steward" in page
    assert "check the census date" in page and 'class="state-returned' in page
    # Answering it writes a new submission, even with the same figure.
    post(
        personas["contributor"],
        GRID,
        {"v-students": "1400", "c-students": "census of 15 Nov", "action": "submit"},
    )
    answer = Value.objects.current().proposals().get(period="2022/23", indicator__code="students")
    assert (answer.state, answer.comment) == ("submitted", "census of 15 Nov")


def test_the_grid_speaks_french(personas):
    open_round(personas)
    page = personas["contributor"].get(GRID, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Enregistrer en brouillon" in page and "Soumettre pour validation" in page
    said = (
        personas["contributor"]
        .post(
            GRID + "check/",
            {"row": "students", "v-students": "abc"},
            HTTP_ACCEPT_LANGUAGE="fr",
        )
        .content.decode()
    )
    assert "Tapez un nombre" in said
