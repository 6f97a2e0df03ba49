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


def schools_but(*codes: str) -> list[str]:
    """Return the codes of the institute's schools in 2022/23 but ``codes``."""
    import datetime as dt

    from django.db.models import Q

    from jalon.organisation.models import Entity

    return sorted(
        Entity.objects.filter(parent__code="imt")
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=dt.date(2023, 8, 31)))
        .exclude(code__in=codes)
        .values_list("code", flat=True)
    )


def row(school: str, value: int, member: str = "") -> str:
    member = f", member: {member}" if member else ""
    return (
        f"  - {{indicator: students, entity: {school}, period: 2022/23{member}, value: {value}}}\n"
    )


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
    # Three schools behind the total, the reader's own and two others: still withheld,
    # for the total less their own would be a total of two.
    figures(
        "approved",
        "  - {indicator: students, entity: imt-atlantique, period: 2022/23, value: 1000}\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1000}\n",
        "more.yaml",
    )
    page = get(personas["contributor"], year).content.decode()
    assert "6,321" not in page and "Suppressed: this total" in page
    assert "6,321" in get(personas["viewer"], year).content.decode()
    # A round under way is a partial total: each figure arriving would show in it, so a
    # contributor reads the total once every school has reported.
    more = schools_but("telecom-paris", "imt-atlantique", "imt-mines-ales")
    figures("approved", "".join(row(school, 1000) for school in more[:-1]), "more.yaml")
    assert "Suppressed: this total" in get(personas["contributor"], year).content.decode()
    figures("approved", row(more[-1], 1000), "last.yaml")
    page = get(personas["contributor"], year).content.decode()
    total = f"{4321 + 1000 * (len(more) + 2):,}"
    assert total in page.split("</section>")[0] and SUPPRESSED not in page


def test_the_threshold_is_the_plans_and_a_viewer_reads_every_total(personas, imt_values):
    figures("approved", ONE_SCHOOL)
    year = STUDENTS + "?year=2022"
    assert "4,321" in get(personas["viewer"], year).content.decode().split("</section>")[0]
    imt_values.fewest_members = 1
    imt_values.save()
    page = get(personas["contributor"], year).content.decode()
    assert "4,321" in page.split("</section>")[0] and SUPPRESSED not in page


def test_no_page_gives_a_withheld_total_away_nor_fails(personas):
    figures("approved", ONE_SCHOOL)
    contributor = personas["contributor"]
    for url in (
        f"{BASE}/?year=2022",
        f"{BASE}/axes/A1/?year=2022",
        f"{BASE}/indicators/?year=2022",
        f"{BASE}/indicators/students/?year=2022",
        f"{BASE}/schools/imt-mines-ales/?year=2022",
        f"{BASE}/search/?q=students&year=2022",
    ):
        page = contributor.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200, url
        assert "4,321" not in page.content.decode(), url
    overview = contributor.get(f"{BASE}/?year=2022", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'badge-suppressed">suppressed</span>' in overview  # counted apart, said


def test_a_contributor_compares_no_two_moments(personas):
    # Between two "as of" dates, or with and without the proposals, the difference of two
    # totals would be one member's figure: a contributor has neither filter.
    contributor = personas["contributor"]
    page = contributor.get(f"{STUDENTS}?as_of=2020-01-01&submitted=on").content.decode()
    assert 'name="as_of"' not in page and 'name="submitted"' not in page
    assert "As known on" not in page
    assert 'name="as_of"' in personas["viewer"].get(STUDENTS).content.decode()


def test_a_breakdown_member_of_one_school_is_withheld_with_its_gap(personas):
    schools = schools_but()
    rows = "".join(row(s, 1000) + row(s, 900, "programme/engineering") for s in schools)
    rows += row("telecom-paris", 77, "programme/doctorate")
    figures("approved", rows)
    total = f"{1000 * len(schools):,}"
    page = get(personas["contributor"], f"{STUDENTS}?year=2022").content.decode()
    assert total in page.split("</section>")[0]  # every school reported: shown
    # Doctorate rests on one school: the whole breakdown of that period is withheld (its
    # other members and the total would give it away), and so is its gap.
    engineering = f"{900 * len(schools):,}"
    assert engineering not in page and ">77<" not in page
    steward = get(personas["steward"], f"{STUDENTS}?year=2022").content.decode()
    assert engineering in steward and "77" in steward
