"""The verdicts on the pages: states of figures, every target, outcomes, no hindsight,
carried figures, breaks, shares of a whole that means it, the plan's own words."""

import json

from django.core.management import call_command

from jalon.access.models import Access
from jalon.conftest import IMT_PLAN, PLANS, load_plan_text
from jalon.dashboard.tests.conftest import PLAN
from jalon.dashboard.tests.test_pages import BASE, get
from jalon.organisation.models import Entity
from jalon.values.valuefile import store_values, withdraw_figure

STUDENTS = f"{BASE}/indicators/students/"


def figures(state: str, rows: str, name: str = "v.yaml"):
    head = f"jalon: 1\nplan: {PLAN}\nsource: examples\nstate: {state}\nvalues:\n"
    return store_values(head + rows, name)


def chart_of(page: str) -> dict:
    raw = page.split('<script id="chart-main" type="application/json">')[1].split("</script>")[0]
    return json.loads(raw)


def test_submitted_figures_count_only_when_asked_and_are_marked(personas):
    figures("submitted", "  - {indicator: students, entity: imt, period: 2021/22, value: 13500}\n")
    page = get(personas["viewer"], STUDENTS).content.decode()
    assert "13,000\xa0students against 18,680 expected" in page  # the approved figure counts
    assert "Waiting beside it: 13,500 (Submitted), which counts once approved." in page
    asked = get(personas["viewer"], STUDENTS + "?submitted=on").content.decode()
    assert "13,500\xa0students against 18,680 expected" in asked
    assert '<span class="unapproved"' in asked.split("</section>")[0]
    assert "Submitted figures count here beside approved ones" in asked
    assert 'name="submitted" checked' in asked.replace(' id="id_submitted"', "")


def test_a_draft_correction_waits_beside_the_approved_figure(personas):
    figures("draft", "  - {indicator: students, entity: imt, period: 2021/22, value: 12000}\n")
    steward = get(personas["steward"], STUDENTS).content.decode()
    assert "13,000\xa0students against 18,680 expected" in steward  # never hidden by its successor
    assert "Waiting beside it: 12,000 (Draft)" in steward
    viewer = get(personas["viewer"], STUDENTS).content.decode()
    assert "13,000\xa0students against 18,680 expected" in viewer and "12,000 (Draft)" not in viewer


def test_every_target_has_its_own_verdict_and_the_share_of_the_way(personas):
    page = get(personas["viewer"], STUDENTS).content.decode()
    targets = page.split('id="targets-h"')[1].split("</table>")[0]
    rows = targets.split("<tr")[2:]
    assert "Primary" in rows[0] and "20,000 · 2022/23" in rows[0] and "−6 %" in rows[0]
    assert "Signing of the contract" in rows[1] and "15,600 · 2022/23" in rows[1]
    assert "badge-off_track" in rows[1] and "−18 %" in rows[1]
    assert "Achievement −6 %: moving away from the target, from 13,400 towards 20,000" in page
    overview = get(personas["viewer"], f"{BASE}/").content.decode()
    assert "Achievement: −6 % of the way" in overview


def test_a_past_target_period_shows_its_outcome_not_a_probability(personas):
    figures(
        "approved",
        "  - {indicator: students, entity: imt, period: 2022/23, value: 13500, source: press-release}\n",
    )
    page = get(personas["viewer"], STUDENTS + "?year=2022").content.decode()
    head = page.split("</section>")[0]
    assert "13,500\xa0students at the target period, against a target of 20,000 → missed." in head
    assert (
        "Outcome in 2022/23: 13,500\xa0students against 20,000 → missed by 6,500 (−32.5 %)." in head
    )
    assert "probability of reaching the target" not in head
    later = get(personas["viewer"], f"{BASE}/indicators/students/").content.decode()
    assert "Outcome in 2022/23" in later  # the latest figure is the target period's
    overview = get(personas["viewer"], f"{BASE}/").content.decode()
    assert "Outcome 13,500\xa0students: missed" in overview


def test_a_selected_period_sees_only_the_figures_up_to_it(personas):
    # The same forecast as `jalon status --period 2019`: fitted on 2015/16-2019/20 only.
    page = get(personas["viewer"], STUDENTS + "?year=2019").content.decode()
    assert "Forecast for 2022/23: 14,242 [12,554 – 15,931]" in page
    assert "Seen from 2019/20: only the figures up to then." in page
    assert (
        "13,188\xa0students against 16,040 expected" in page
    )  # the status sentence is for 2019/20
    assert "Reaching 20,000\xa0students in 2022/23 takes" in page
    rules = chart_of(page)["layer"][0]["data"]["values"]
    assert {"period": "2019/20", "label": "Period shown", "note": ""} in rules
    latest = get(personas["viewer"], STUDENTS).content.decode()
    assert "14,242" not in latest  # with every figure, another forecast


def test_a_share_of_the_institute_only_where_the_total_means_it(personas):
    page = get(personas["contributor"], f"{BASE}/schools/imt-mines-ales/").content.decode()
    courses = page.split("Courses taught in English")[1].split("</tr>")[0]
    # The school alone reported: the total is its own figure (nothing withheld from its
    # contributor), and a share of a partial total means nothing.
    assert "1 of 9 schools reported: a share of a partial total means nothing" in courses
    share_cell = courses.rsplit('<td class="num">', 1)[1]
    assert "%" not in share_cell.split("<br>")[0]  # no 100 %: a dash and why
    students = page.split(">Students<")[1].split("</tr>")[0]
    assert "%" in students.rsplit("<td", 1)[1]  # every school reported: a share


def test_figures_keep_their_decimals(personas):
    page = get(personas["viewer"], f"{BASE}/").content.decode()
    assert "200.4" in page  # own resources, M€ with one decimal
    ales = get(
        personas["viewer"], f"{BASE}/indicators/apprenticeship-revenue/?entity=imt-mines-ales"
    )
    assert "2.81" in ales.content.decode()  # two decimals, as the plan says


def test_the_plans_own_word_for_its_members(personas):
    english = get(personas["viewer"], f"{BASE}/").content.decode()
    assert ">Schools</a>" in english
    french = personas["viewer"].get(f"{BASE}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert ">Écoles</a>" in french
    csu = PLANS / "csu-gi-2025.yaml"
    plan = load_plan_text(csu.read_text(), str(csu)).plan
    Access.objects.create(user=Access.objects.get(role="viewer").user, plan=plan, role="viewer")
    page = get(personas["viewer"], "/plans/csu-gi-2025/").content.decode()
    assert ">Campuses</a>" in page and "Levers" not in page  # a plan without levers


def test_a_break_in_series_is_marked_and_the_trend_restarts(personas):
    text = IMT_PLAN.read_text().replace(
        "    definition: >-\n      Étudiants inscrits dans les écoles",
        "    breaks: [{period: 2020/21, note: counted at census day}]\n"
        "    definition: >-\n      Étudiants inscrits dans les écoles",
    )
    load_plan_text(text, "break.yaml")
    page = get(personas["viewer"], STUDENTS).content.decode()
    assert (
        "Fitted only on the figures since the break in series in 2020/21 (counted at census day)"
        in page
    )
    assert "Linear trend (least squares) on the last 2 figures" not in page
    assert "The line through the last 2 figures" in page
    rules = chart_of(page)["layer"][0]["data"]["values"]
    assert {"period": "2020/21", "label": "Break in series", "note": "counted at census day"} in (
        rules
    )


def test_carried_figures_are_marked_and_counted_apart(personas, capsys):
    text = IMT_PLAN.read_text().replace(
        "    definition: >-\n      Étudiants inscrits dans les écoles",
        "    carry_forward: 1\n    definition: >-\n      Étudiants inscrits dans les écoles",
    )
    load_plan_text(text, "carry.yaml")
    withdraw_figure(PLAN, "students", "eurecom", "2021/22", "not reported yet")
    page = get(personas["steward"], STUDENTS).content.decode()
    assert "Coverage: 8 of 9 schools reported. 1 more is carried forward" in page
    eurecom = page.split(">EURECOM</a>")[1].split("</tr>")[0]
    assert "carried, 1 period old" in eurecom
    call_command("status", "--plan", PLAN)
    students = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    assert "9/9 (1 c)" in students  # the institute's own figure rests on none of them
    assert Entity.objects.filter(code="eurecom").exists()


def test_a_target_past_the_horizon_is_shown_charted_and_said_so(personas):
    uoe = PLANS / "uoe-climate-2016-2026.yaml"
    plan = load_plan_text(uoe.read_text(), str(uoe)).plan
    values = PLANS / "uoe-climate-2016-2026.values.yaml"
    store_values(values.read_text(), str(values))
    Access.objects.create(user=Access.objects.get(role="viewer").user, plan=plan, role="viewer")
    page = get(personas["viewer"], f"/plans/{plan.code}/indicators/carbon-emissions/")
    page = page.content.decode()
    assert "The target period 2039/40 lies beyond the plan's horizon (2016–2026)." in page
    assert "beyond the plan's horizon</small>" in page
    targets = chart_of(page)["layer"][-1]["data"]["values"]
    assert {t["period"] for t in targets} == {"2039/40", "2024/25"}
    assert (
        "70,363\xa0tCO2e against 48,773 expected" in page
    )  # net zero's path, not the 2025 level's


def test_a_period_before_the_figures_knows_nothing_of_them(personas):
    page = get(personas["viewer"], STUDENTS + "?year=2013").content.decode()
    head = page.split("</section>")[0]
    assert "No figure for this period." in head
    assert "Forecast for" not in head and "Estimate of the figure" not in head
    overview = get(personas["viewer"], f"{BASE}/?year=2013").content.decode()
    assert "Probability of reaching it" not in overview


def test_chart_tooltips_write_figures_as_the_page_does_with_units_and_words(personas):
    page = get(personas["viewer"], STUDENTS).content.decode()
    chart = chart_of(page)
    rows = [row for layer in chart["layer"] for row in layer["data"]["values"]]
    actual = next(r for r in rows if r.get("series") == "Actual" and r["period"] == "2021/22")
    assert actual["shown"] == "13,000\xa0students" and actual["status"] == "off track"
    assert actual["about"] == ""
    tips = [t for layer in chart["layer"] for t in layer["encoding"].get("tooltip", [])]
    assert all("format" not in t for t in tips)  # never 1.3e+4
    assert {"example", "primary"}.isdisjoint(t["field"] for t in tips)  # never true/false
    french = personas["viewer"].get(STUDENTS, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    rows = [row for layer in chart_of(french)["layer"] for row in layer["data"]["values"]]
    actual = next(r for r in rows if r.get("period") == "2021/22" and "status" in r)
    assert actual["shown"].replace("\u202f", " ").replace("\xa0", " ") == "13 000 étudiants"
    assert actual["status"] == "en retard"


def test_a_partial_total_is_drawn_apart_and_the_forecast_starts_before_it(personas):
    figures(
        "approved",
        "  - {indicator: students, entity: imt-mines-ales, period: 2022/23, value: 1400}\n",
    )
    page = get(personas["viewer"], STUDENTS).content.decode()
    layers = chart_of(page)["layer"]
    rows = [row for layer in layers for row in layer.get("data", {}).get("values", [])]
    partial = [r for r in rows if r.get("series") == "Partial total (members still reporting)"]
    assert [(r["period"], r["value"]) for r in partial] == [("2022/23", 1400.0)]
    assert partial[0]["about"].endswith("1 of 9 reported")
    assert not [r for r in rows if r.get("series") == "Actual" and r["period"] == "2022/23"]
    forecast = [r for r in rows if r.get("series") == "Forecast"]
    assert forecast and forecast[0]["period"] == "2021/22"  # from the last whole figure
    assert "(partial: 1 of 9 reported)" in page  # and the chart's table says it
