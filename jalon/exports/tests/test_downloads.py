"""Downloads: the pages' figures as CSV and XLSX, long and wide, within the reader's scope."""

import csv
import io

import openpyxl

from jalon.dashboard.tests.conftest import PLAN
from jalon.values.models import Value

FIGURES = f"/plans/{PLAN}/download/figures"
HISTORY = f"/plans/{PLAN}/download/history"


def en(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    text = response.content.decode("utf-8-sig")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_the_overview_downloads_its_figures_as_the_page_shows_them(personas):
    rows = rows_of(en(personas["viewer"], f"{FIGURES}.csv?entity=imt&year=2018"))
    students = next(r for r in rows if r["indicator"] == "students")
    assert students["period"] == "2018/19" and students["entity_name"] == "Institut Mines-Télécom"
    assert float(students["value"]) > 13000 and students["unit"] == "students"
    assert students["target"] == "20000" and students["target_period"] == "2022/23"
    assert students["status"] in ("on track", "at risk", "off track", "achieved")
    assert {r["entity"] for r in rows} == {"imt"}
    assert all(r["period"] in ("2018", "2018/19") for r in rows)
    # A share reads as a percentage, as on the pages.
    share = [r for r in rows if r["unit"] == "%"]
    assert all(0 <= float(r["value"]) <= 100 for r in share)


def test_long_and_wide_agree_and_xlsx_holds_the_same(personas):
    client = personas["steward"]
    long = rows_of(en(client, f"{FIGURES}.csv?indicator=students"))
    wide = rows_of(en(client, f"{FIGURES}.csv?indicator=students&shape=wide"))
    ales = next(r for r in wide if r["entity"] == "imt-mines-ales")
    for r in long:
        if r["entity"] == "imt-mines-ales":
            assert ales[r["period"]] == r["value"]
    book = openpyxl.load_workbook(
        io.BytesIO(en(client, f"{FIGURES}.xlsx?indicator=students").content)
    )
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["indicator", "indicator_name", "entity", "entity_name", "period"]
    assert sheet.max_row - 1 == len(long)


def test_a_contributor_downloads_only_what_they_may_see(personas):
    client = personas["contributor"]
    rows = rows_of(en(client, f"{FIGURES}.csv?indicator=students"))
    assert {r["entity"] for r in rows} == {"imt", "imt-mines-ales"}
    assert en(client, f"{FIGURES}.csv?entity=telecom-paris").status_code == 404
    assert en(personas["outsider"], f"{FIGURES}.csv").status_code == 404
    assert en(personas["viewer"], f"{FIGURES}.csv?indicator=nonsense").status_code == 404
    assert en(personas["viewer"], f"{FIGURES}.pdf").status_code == 404


def test_the_history_downloads_the_revisions_without_others_drafts(personas):
    value = Value.objects.current().filter(entity__code="telecom-paris").first()
    Value.objects.create(
        indicator=value.indicator,
        entity=value.entity,
        period=value.period,
        number=1,
        state="draft",
        revision=value.revision + 1,
    )
    viewer = rows_of(en(personas["viewer"], f"{HISTORY}.csv?entity=telecom-paris"))
    steward = rows_of(en(personas["steward"], f"{HISTORY}.csv?entity=telecom-paris"))
    assert len(steward) == len(viewer) + 1
    assert {r["state"] for r in viewer} <= {"approved", "submitted", "returned", "withdrawn"}


def test_french_downloads_are_for_french_excel(personas):
    response = personas["viewer"].get(
        f"{FIGURES}.csv?entity=imt&year=2018", HTTP_ACCEPT_LANGUAGE="fr"
    )
    text = response.content.decode("utf-8-sig")
    assert text.startswith("indicator;indicator_name;entity")
    assert ",7" in text or ",0" in text or ",5" in text  # decimal commas


def test_the_pages_offer_their_downloads(personas):
    page = en(personas["viewer"], f"/plans/{PLAN}/indicators/students/?year=2020").content
    assert b"download/figures.csv?indicator=students&amp;year=2020" in page
    assert b"download/history.xlsx?indicator=students" in page
    axis = en(personas["viewer"], f"/plans/{PLAN}/axes/A1/").content.decode()
    assert "download/figures.xlsx?indicator=" in axis and "&amp;entity=imt" in axis
