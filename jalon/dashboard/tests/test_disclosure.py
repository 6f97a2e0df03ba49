"""Disclosure control on the pages and downloads: a total resting on fewer members than
the plan's threshold is suppressed for a reader who may not see those members (a
contributor of another school), on every page, chart, table and download; the stewards
and viewers, who see every member, read it."""

import csv
import io
import json

from jalon.dashboard.tests.test_pages import BASE, get
from jalon.dashboard.tests.test_verdict_pages import STUDENTS, figures

ONE_SCHOOL = "  - {indicator: students, entity: telecom-paris, period: 2022/23, value: 4321}\n"
SUPPRESSED = "suppressed (fewer than 3 members)"


def chart_values(page: str) -> list:
    raw = page.split('<script id="chart-main" type="application/json">')[1].split("</script>")[0]
    return [row for layer in json.loads(raw)["layer"] for row in layer["data"]["values"]]


def test_a_total_of_one_school_is_suppressed_for_another_schools_contributor(personas):
    figures("approved", ONE_SCHOOL)
    year = STUDENTS + "?year=2022"
    steward = get(personas["steward"], year).content.decode()
    assert "4,321" in steward.split("</section>")[0]  # the institute's total: one school
    page = get(personas["contributor"], year).content.decode()
    assert "4,321" not in page and "4321" not in page
    head = page.split("</section>")[0]
    assert '<span class="badge badge-suppressed">suppressed</span>' in head
    assert "Suppressed: this total rests on fewer than 3 members" in head
    assert all(row.get("value") != 4321 for row in chart_values(page))
    table = page.split('<details class="data-table">')[1].split("</table>")[0]
    assert f'<td>2022/23</td><td class="num">{SUPPRESSED}' in table
    # The downloads say the same.
    for shape in ("long", "wide"):
        text = get(personas["contributor"], f"{BASE}/download/figures.csv?shape={shape}&year=2022")
        rows = list(csv.reader(io.StringIO(text.content.decode())))
        institute = [r for r in rows if "imt" in r and "students" in r]
        assert institute and all("4321" not in r for r in institute), shape
        assert any(SUPPRESSED in r for r in institute), shape
    # The overview's latest figure is not that total either.
    assert "4,321" not in get(personas["contributor"], f"{BASE}/").content.decode()
    # Three schools behind the total: shown to all.
    figures(
        "approved",
        "  - {indicator: students, entity: imt-atlantique, period: 2022/23, value: 1000}\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1000}\n",
        "more.yaml",
    )
    page = get(personas["contributor"], year).content.decode()
    assert "6,321" in page.split("</section>")[0] and SUPPRESSED not in page


def test_the_threshold_is_the_plans_and_a_viewer_reads_every_total(personas, imt_values):
    figures("approved", ONE_SCHOOL)
    year = STUDENTS + "?year=2022"
    assert "4,321" in get(personas["viewer"], year).content.decode().split("</section>")[0]
    imt_values.fewest_members = 1
    imt_values.save()
    page = get(personas["contributor"], year).content.decode()
    assert "4,321" in page.split("</section>")[0] and SUPPRESSED not in page
