"""Spreadsheets both ways on the web: templates out, files in with a preview, workers."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from jalon.collection import tasks
from jalon.collection.models import Upload
from jalon.collection.tests.test_grid import GRID
from jalon.collection.tests.test_rounds import get, open_round, post
from jalon.dashboard.tests.conftest import PLAN
from jalon.values.models import Value

IMPORT = f"/plans/{PLAN}/import/"


def filled_template(client, values: dict) -> bytes:
    """Return the XLSX template of Alès, with ``values`` typed in (by indicator code)."""
    response = get(client, GRID + "template.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-imt-mines-ales.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Figures"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        code = row[header.index("indicator")].value
        if code in values:
            row[header.index("value")].value = values[code]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def send(client, name: str, data: bytes, state: str = "submitted"):
    return post(client, IMPORT, {"file": SimpleUploadedFile(name, data), "state": state})


def test_the_xlsx_template_guards_its_header_and_checks_its_figures(personas):
    open_round(personas)
    response = get(personas["contributor"], GRID + "template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Figures"]
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["indicator", "entity", "period", "value", "comment", "state", "published"]
    assert "Unit" in header and "Previous figure" in header and "Target" in header
    assert sheet.protection.sheet  # the sheet is protected…
    assert sheet["A1"].protection.locked and sheet["A2"].protection.locked  # …keys locked
    assert not sheet["D2"].protection.locked  # …the figures open
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    students = rows["students"]
    assert (students[1].value, students[2].value) == ("imt-mines-ales", "2022/23")
    assert students[header.index("Previous figure")].value == 1184
    assert students[header.index("Target")].value == 1400
    checks = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    assert checks["D2"].type == "whole" and checks["D2"].formula1 == "0"
    assert any(dv.type == "list" and "submitted" in dv.formula1 for dv in checks.values())
    assert "Read me" in book.sheetnames
    # Another school's template: refused, like its grid.
    assert (
        get(
            personas["contributor"],
            GRID.replace("imt-mines-ales", "telecom-paris") + "template.xlsx",
        ).status_code
        == 404
    )


def test_fill_the_template_preview_import_and_import_again(personas):
    open_round(personas)
    client = personas["contributor"]
    data = filled_template(client, {"students": 1400, "doctoral-students": 85})
    preview = send(client, "ales.xlsx", data).content.decode()
    assert "The file is valid. Importing it would give:" in preview
    assert "2 new, 0 revised, 0 unchanged; stored as 2 submitted" in preview
    assert "students at imt-mines-ales for 2022/23" in preview
    assert not Value.objects.filter(period="2022/23").exists()  # a preview writes nothing
    upload = Upload.objects.get()
    done = post(client, f"{IMPORT}{upload.pk}/", {"action": "import"}).content.decode()
    assert "Imported:" in done and "2 new" in done
    assert Value.objects.current().filter(period="2022/23", state="submitted").count() == 2
    assert Upload.objects.get(pk=upload.pk).data in (b"", memoryview(b""))
    # The same file again: nothing changes.
    again = send(client, "ales.xlsx", data).content.decode()
    assert "0 new, 0 revised, 2 unchanged" in again


def test_a_file_with_problems_lists_them_all_and_writes_nothing(personas):
    open_round(personas)
    text = (
        "indicator,entity,period,value\n"
        "students,imt-mines-ales,2022/23,-4\n"
        "students,telecom-paris,2022/23,900\n"
        "nonsense,imt-mines-ales,2022/23,1\n"
    )
    page = send(personas["contributor"], "bad.csv", text.encode()).content.decode()
    assert "Nothing was imported." in page and "3 problems to correct in the file:" in page
    assert (
        "bad.csv, row 2, column D (value): &#x27;students&#x27; counts students: -4 cannot be negative"
        in page
    )
    assert "row 3, column B (entity)" in page and "outside your scope" in page
    assert "row 4, column A (indicator)" in page
    assert not Value.objects.filter(period="2022/23").exists()


def test_the_csv_template_speaks_excel_in_french(personas):
    open_round(personas)
    client = personas["contributor"]
    response = client.get(GRID + "template.csv", HTTP_ACCEPT_LANGUAGE="fr")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["indicator", "entity", "period", "value"]
    own = next(r for r in rows if r[0] == "own-resources")
    own[3] = "8,9"  # typed in French Excel
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    page = send(client, "ales.csv", out.getvalue().encode("utf-8-sig")).content.decode()
    assert "1 new, 0 revised, 0 unchanged; stored as 1 submitted" in page


def test_only_people_who_write_import_and_each_sees_their_own(personas):
    open_round(personas)
    assert get(personas["viewer"], IMPORT).status_code == 403
    assert get(personas["outsider"], IMPORT).status_code == 404
    send(personas["contributor"], "a.csv", b"indicator,entity,period,value\n")
    upload = Upload.objects.get()
    assert get(personas["viewer"], f"{IMPORT}{upload.pk}/").status_code == 403
    assert get(personas["steward"], f"{IMPORT}{upload.pk}/").status_code == 200
    # The steward sees it but cannot import it in the contributor's name.
    assert (
        personas["steward"].post(f"{IMPORT}{upload.pk}/", {"action": "import"}).status_code == 403
    )
    refused = send(personas["contributor"], "a.exe", b"MZ").content.decode()
    assert "Send a .csv, .xlsx, .ods or .yaml file." in refused
    approved = send(personas["contributor"], "a.csv", b"x", state="approved").content.decode()
    assert "Select a valid choice" in approved


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after each task
def test_a_large_file_is_checked_and_imported_by_the_worker(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    open_round(personas)
    monkeypatch.setattr(tasks, "AT_ONCE_BYTES", 10)
    client = personas["contributor"]
    data = filled_template(client, {"students": 1400})
    with django_capture_on_commit_callbacks(execute=True):
        page = send(client, "ales.xlsx", data).content.decode()
    assert "Waiting for a worker" in page and 'hx-trigger="every 1s"' in page
    upload = Upload.objects.get()
    fragment = client.get(f"{IMPORT}{upload.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="progress"') and "<html" not in fragment
    call_command("worker", batch=True, verbosity=0)
    polled = client.get(f"{IMPORT}{upload.pk}/", HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"  # done: the page reloads to show the outcome
    upload.refresh_from_db()
    assert (upload.status, upload.summary) == (
        "ready",
        "1 new, 0 revised, 0 unchanged; stored as 1 submitted",
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"{IMPORT}{upload.pk}/", {"action": "import"})
    assert not Value.objects.filter(period="2022/23").exists()  # queued, not yet done
    call_command("worker", batch=True, verbosity=0)
    upload.refresh_from_db()
    assert upload.status == "done"
    assert Value.objects.current().get(period="2022/23", member=None).number == 1400


@pytest.mark.parametrize("kind", ["pdf", "xls"])
def test_no_other_template_kind(personas, kind):
    open_round(personas)
    assert personas["contributor"].get(GRID + f"template.{kind}").status_code == 404
