"""What a hostile (or merely unlucky) person tries: small files that explode, formulas in
comments, invisible characters, stuck work, mail servers that refuse, and the quieter
slips: a template sent back untouched, an approved figure left as it was."""

import datetime as dt
import io
import smtplib
import time

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from jalon.collection.models import CollectionRound, Upload
from jalon.collection.sheets import import_figures, read_sheets
from jalon.collection.tasks import daily_reminders
from jalon.collection.tests.test_grid import GRID, check
from jalon.collection.tests.test_import_page import IMPORT, filled_template, send
from jalon.collection.tests.test_rounds import ROUNDS, get, open_round, post, submit
from jalon.core.yamlsource import FileProblems, read_yaml
from jalon.dashboard.tests.conftest import PLAN
from jalon.plans.models import Plan
from jalon.values.models import Value

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)},"
    f" *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)},"
    f" *{chr(97 + k)}, *{chr(97 + k)}]\n"
    for k in range(9)
)


def test_a_yaml_file_of_aliases_is_refused_at_once():
    start = time.perf_counter()
    with pytest.raises(FileProblems, match="aliases"):
        read_yaml(LAUGHS, "laughs.yaml")
    assert time.perf_counter() - start < 5
    # An honest alias or two still reads.
    assert read_yaml("a: &x [1, 2]\nb: *x\n", "ok.yaml").data == {"a": [1, 2], "b": [1, 2]}


def test_a_cell_far_away_makes_no_huge_sheet():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["indicator", "entity", "period", "value"])
    sheet.append(["students", "imt-mines-ales", "2022/23", 1400])
    sheet.cell(row=200_000, column=120, value="far")
    out = io.BytesIO()
    book.save(out)
    (read,) = read_sheets("far.xlsx", out.getvalue())
    assert read.header == ["indicator", "entity", "period", "value"]
    assert [n for n, _ in read.rows] == [2]  # the far row holds nothing in these columns


def test_every_problem_is_said_even_beside_a_huge_number(imt_values):
    text = (
        "indicator,entity,period,value,state\n"
        "students,imt-mines-ales,2022/23,1e300,approved\n"
        "students,nowhere,2022/23,5,approved\n"
    )
    with pytest.raises(FileProblems) as caught:
        import_figures("f.csv", text.encode(), imt_values)
    said = str(caught.value)
    assert "row 2, column D (value): 1e+300 is too large to be a figure" in said
    assert "row 3, column B (entity): no entity has the code 'nowhere'" in said


def test_an_untouched_template_sent_back_changes_nothing(personas):
    open_round(personas)
    client = personas["contributor"]
    post(client, GRID, {"v-students": "1400", "v-doctoral-students": "85", "action": "draft"})
    post(client, GRID, {"v-students": "1400", "action": "submit"})
    value = Value.objects.current().get(period="2022/23", indicator__code="students")
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "approved", "comment": ""},
    )
    data = filled_template(client, {})
    page = send(client, "same.xlsx", data).content.decode()
    # Only the draft left to send is sent; the approved figure is not resubmitted.
    assert "0 new, 1 revised, 0 unchanged; stored as 1 submitted" in page
    assert "<td>doctoral-students at imt-mines-ales for 2022/23</td>" in page
    assert "<td>students at imt-mines-ales for 2022/23</td>" not in page


def test_a_comment_that_looks_like_a_formula_stays_text(personas):
    open_round(personas)
    client = personas["contributor"]
    formula = '=HYPERLINK("http://evil.example","x")'
    post(client, GRID, {"v-students": "1400", "c-students": formula, "action": "draft"})
    book = openpyxl.load_workbook(io.BytesIO(get(client, GRID + "template.xlsx").content))
    cells = [c for row in book["Figures"].iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells)
    text = get(client, GRID + "template.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_invisible_characters_are_refused_in_the_grid_and_in_files(personas):
    open_round(personas)
    said = check(personas["contributor"], "students", "1400", "bad\x01comment").content.decode()
    assert "control characters" in said
    text = "indicator,entity,period,value,comment\nstudents,imt-mines-ales,2022/23,1400,a\x01b\n"
    page = send(personas["contributor"], "nul.csv", text.encode()).content.decode()
    assert "remove the control characters" in page
    assert not Value.objects.filter(period="2022/23").exists()


def test_an_untouched_approved_figure_asks_for_nothing(personas):
    open_round(personas)
    client = personas["contributor"]
    # Alès's doctoral students miss their target (85): approved with the steward's word.
    post(
        client,
        GRID,
        {"v-doctoral-students": "80", "c-doctoral-students": "fewer grants", "action": "submit"},
    )
    value = Value.objects.current().get(period="2022/23", indicator__code="doctoral-students")
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "approved", "comment": ""},
    )
    page = get(client, GRID).content.decode()
    assert 'value="fewer grants"' in page  # the approved figure's comment is shown
    # Changing another cell saves, without re-explaining the untouched approved figure.
    done = post(
        client,
        GRID,
        {
            "v-doctoral-students": "80",
            "c-doctoral-students": "fewer grants",
            "v-students": "1400",
            "action": "submit",
        },
    ).content.decode()
    assert "1 figure submitted for approval." in done
    assert Value.objects.filter(indicator__code="doctoral-students", period="2022/23").count() == 2


def test_reminders_keep_addresses_to_themselves(personas):
    open_round(personas)
    for name, entity in (("contributor", None), ("paris", "telecom-paris")):
        user = get_user_model().objects.get_or_create(username=name)[0]
        user.email = f"{name}@example.org"
        user.save()
        if entity:
            from jalon.access.models import Access
            from jalon.organisation.models import Entity

            Access.objects.create(
                user=user,
                plan=Plan.objects.get(code=PLAN),
                role="contributor",
                entity=Entity.objects.get(code=entity),
            )
    from django.core.management import call_command

    call_command("remind", stdout=io.StringIO())
    assert len(mail.outbox) == 2
    page = get(personas["contributor"], f"{ROUNDS}2022/").content.decode()
    assert "@example.org" not in page and "Télécom Paris" not in page
    assert "IMT Mines Alès" in page and "1 told" in page


def test_a_refusing_mail_server_stops_no_other_reminder(personas, monkeypatch):
    open_round(personas)
    user = get_user_model().objects.get(username="contributor")
    user.email = "ales@example.org"
    user.save()

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("the server hung up")

    monkeypatch.setattr("jalon.collection.reminders.send_mail", refuse)
    import time_machine
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel(dt.datetime(2023, 1, 24, 8, 0), tick=False):
        assert daily_reminders.call() == 0
    assert DBTaskResult.objects.ready().filter(task_path=daily_reminders.module_path).exists()


def test_stuck_work_is_given_up_and_says_why(personas):
    open_round(personas)
    client = personas["contributor"]
    send(client, "a.csv", b"indicator,entity,period,value\n")
    upload = Upload.objects.get()
    Upload.objects.filter(pk=upload.pk).update(
        status="importing", phase="writing", worked_at=timezone.now() - dt.timedelta(hours=2)
    )
    page = get(client, f"{IMPORT}{upload.pk}/").content.decode()
    assert "The work stopped before it finished" in page and "Nothing was imported." in page


def test_breakdown_figures_are_reviewed_too(personas):
    open_round(personas)
    submit()
    from jalon.values.valuefile import store_values

    store_values(
        f"jalon: 1\nplan: {PLAN}\nstate: submitted\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23,"
        " member: programme/engineering, value: 900}\n",
        "m.yaml",
    )
    page = get(personas["steward"], f"/plans/{PLAN}/review/").content.decode()
    assert "Engineering" in page or "engineering" in page


def test_an_approval_counts_from_the_moment_it_is_given(personas):
    open_round(personas)
    from jalon.values.valuefile import store_values

    store_values(
        f"jalon: 1\nplan: {PLAN}\nstate: submitted\npublished: 2022-11-15\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1400}\n",
        "s.yaml",
    )
    value = Value.objects.current().get(period="2022/23", member=None)
    post(
        personas["steward"],
        f"/plans/{PLAN}/review/",
        {"figures": [value.pk], "decision": "approved", "comment": ""},
    )
    approved = Value.objects.current().get(period="2022/23", state="approved", member=None)
    assert approved.published_at is None
    assert timezone.localdate(approved.known_at) == timezone.localdate()  # the site's day
    assert CollectionRound.objects.get().is_open
