"""Collecting figures in a real browser: the grid by keyboard and paste, then approval.

Skipped loudly without Debian's Chromium, like the dashboard's browser test (whose
fixtures it shares); JALON_REQUIRE_BROWSER=1 makes a missing browser a failure.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from jalon.access.models import Access
from jalon.conftest import IMT_EXAMPLES, IMT_PLAN, IMT_VALUES, load_plan_text
from jalon.dashboard.tests.test_browser import browser, shoot  # noqa: F401 - fixture
from jalon.organisation.models import Entity
from jalon.values.models import Value

PLAN = "imt-2018-2022"
PASSWORD = "a-long-demo-password"


@pytest.fixture
def collecting(transactional_db, live_server):
    """Return the live server's URL, with the IMT plan, a round open for 2022, two people."""
    from jalon.collection.forms import OpenRoundForm
    from jalon.collection.models import CollectionRound
    from jalon.values.valuefile import store_values

    plan = load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN)).plan
    for path in (IMT_VALUES, IMT_EXAMPLES):
        store_values(path.read_text(), str(path))
    users = get_user_model().objects
    Access.objects.create(
        user=users.create_user("steward", password=PASSWORD), plan=plan, role="steward"
    )
    Access.objects.create(
        user=users.create_user("contributor", password=PASSWORD),
        plan=plan,
        role="contributor",
        entity=Entity.objects.get(code="imt-mines-ales"),
    )
    form = OpenRoundForm(plan=plan)
    CollectionRound.open(
        plan,
        2022,
        dt.date(2023, 1, 31),
        form.fields["indicators"].queryset,
        form.fields["entities"].queryset,
    )
    yield live_server.url
    # A request thread of the live server can keep its PostgreSQL session open after the
    # test; end those, so that the test database can be dropped at the end of the run.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def log_in(browser, url, name, width=1280):  # noqa: F811 - the fixture, passed on
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="en-GB")
    page.goto(url + "/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda u: "/login/" not in u)
    return page


def paste(page, selector: str, text: str) -> None:
    """Paste ``text`` into the element, as a copy from Excel does (tabs and new lines)."""
    page.eval_on_selector(
        selector,
        """(element, text) => {
            element.focus();
            const data = new DataTransfer();
            data.setData("text/plain", text);
            element.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true }));
        }""",
        text,
    )


def test_fill_the_grid_by_keyboard_paste_a_block_submit_and_approve(
    collecting,
    browser,  # noqa: F811
    tmp_path,
):
    url = collecting
    overview = f"{url}/plans/{PLAN}/?year=2022"
    watcher = log_in(browser, url, "steward")
    watcher.goto(overview)
    tile = "article.tile:has(a[href*='/indicators/students/'])"
    before = watcher.get_attribute(tile, "class")

    page = log_in(browser, url, "contributor")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{url}/plans/{PLAN}/rounds/")
    page.click("text=Enter the figures")
    page.wait_for_selector("table[data-grid]")
    # By keyboard: type, Enter goes down, arrows go up and across, like a spreadsheet.
    page.click("#v-students")
    page.keyboard.type("2000")
    page.wait_for_selector("#note-students.asks")  # htmx checked it: a jump asks why
    assert "say why" in page.inner_text("#note-students")
    page.keyboard.press("ArrowRight")  # at the end of the figure: on to its comment
    assert page.evaluate("document.activeElement.id") == "c-students"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Control+a")
    page.keyboard.type("1400")
    page.wait_for_selector("#note-students.ok")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "v-own-resources"
    page.keyboard.type("8,9")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "v-own-resources"
    # A block copied from Excel: two rows, figure and comment, from the apprenticeships.
    paste(page, "#v-apprenticeship-revenue", "3,1\tnew contracts\r\n3,6\t\r\n")
    assert page.input_value("#v-apprenticeship-revenue") == "3,1"
    assert page.input_value("#c-apprenticeship-revenue") == "new contracts"
    assert page.input_value("#v-partnership-research-revenue") == "3,6"
    page.wait_for_selector("#note-partnership-research-revenue.ok")
    shoot(page, "grid-filled", tmp_path)
    page.click("button[value=submit]")
    page.wait_for_selector(".messages .success")
    assert "4 figures submitted for approval." in page.inner_text(".messages")
    assert not errors, errors

    # The steward approves them all; the overview's verdict for the students changes.
    watcher.goto(f"{url}/plans/{PLAN}/review/")
    watcher.check("input[data-check-all]")  # every submitted figure, in bulk
    assert all(b.is_checked() for b in watcher.query_selector_all("input[name=figures]"))
    watcher.click("button[value=approved]")
    watcher.wait_for_selector(".messages .success")
    assert "4 figures approved." in watcher.inner_text(".messages")
    assert (
        Value.objects.current().filter(period__in=["2022", "2022/23"], state="approved").count()
        == 4
    )
    watcher.goto(overview)
    after = watcher.get_attribute(tile, "class")
    assert before != after, (before, after)
    shoot(watcher, "overview-after-approval", tmp_path)
    for open_page in (page, watcher):  # no request left running when the server stops
        open_page.context.close()
