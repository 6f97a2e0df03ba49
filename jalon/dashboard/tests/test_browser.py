"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Skipped, loudly, where Chromium is not installed; JALON_REQUIRE_BROWSER=1 (set by CI)
makes a missing browser a failure, so CI never passes by skipping.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from jalon.access.models import Access
from jalon.conftest import IMT_EXAMPLES, IMT_PLAN, IMT_VALUES, load_plan_text

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not Path(CHROMIUM).exists():
    message = f"!! SKIPPED: the browser test needs {CHROMIUM} (apt-get install chromium)."
    if os.environ.get("JALON_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            message.replace("SKIPPED", "REQUIRED") + " JALON_REQUIRE_BROWSER=1 is set."
        )
    print("\n" + message)
    pytest.skip(message, allow_module_level=True)

# The pages are the same on both databases: the browser tests run once, on SQLite (the
# first half of `make test`); the PostgreSQL half tests the same pages without a browser.
if os.environ.get("DATABASE_URL", "").startswith("postgres") and not os.environ.get(
    "JALON_BROWSER_ON_POSTGRES"
):
    message = "the browser tests run on SQLite only (JALON_BROWSER_ON_POSTGRES=1 runs them here)"
    print("\n-- " + message)
    pytest.skip(message, allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo(transactional_db, live_server, settings):
    """Return the live server's URL, with the IMT plan, its figures and a viewer account."""
    from jalon.values.valuefile import store_values

    plan = load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN)).plan
    for path in (IMT_VALUES, IMT_EXAMPLES):
        store_values(path.read_text(), str(path))
    user = get_user_model().objects.create_user("viewer", password="a-long-demo-password")
    Access.objects.create(user=user, plan=plan, role="viewer")
    return live_server.url


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls the live
    # server makes happen in its own threads, so Django's async guard can stand down here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# The page has loaded and its charts are drawn (or have said why not).
DRAWN = """
() => [...document.querySelectorAll('.chart[data-spec]')]
  .every(c => c.classList.contains('drawn') || c.classList.contains('failed'))
"""


def settled(page) -> None:
    """Wait until the page's charts are drawn: sooner than waiting for the network to rest."""
    page.wait_for_function(DRAWN)


def shoot(page, name: str, tmp_path: Path) -> Path:
    """Save a screenshot in the test's folder, and in JALON_SCREENSHOT_DIR when set."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    folder = os.environ.get("JALON_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)
    return path


def test_log_in_see_the_plan_draw_a_chart_and_switch_language(demo, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(demo + "/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "a-long-demo-password")
    page.click(".login button[type=submit]")
    page.wait_for_url("**/plans/imt-2018-2022/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h2#headline").inner_text() == "Indicateurs phares"
    assert page.locator(".tile").count() == 4
    assert "13\xa0000" in page.locator(".tile").first.inner_text()  # French digit grouping
    assert shoot(page, "overview-fr", tmp_path).stat().st_size > 10_000

    page.click("text=Étudiants >> nth=0")
    page.wait_for_url("**/indicators/students/")
    chart = page.locator('.chart[data-spec="chart-main"]')
    chart.locator("svg").first.wait_for(state="visible", timeout=15_000)
    assert "drawn" in chart.get_attribute("class")
    assert page.locator('.chart[data-spec="chart-programme"] svg').count() >= 1
    shoot(page, "indicator-fr", tmp_path)
    # The chart's data is also a table, behind a toggle.
    page.click("text=Tableau de données >> nth=0")
    assert page.locator(".data-table table").first.is_visible()

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "History of the values" in page.content()
    page.click("text=Overview")
    page.wait_for_url("**/plans/imt-2018-2022/")
    assert page.locator("h2#headline").inner_text() == "Headline indicators"
    assert "13,000" in page.locator(".tile").first.inner_text()
    shoot(page, "overview-en", tmp_path)

    page.click("button[name=language][value=fr]")
    page.wait_for_load_state()
    assert page.locator("h2#headline").inner_text() == "Indicateurs phares"
    assert errors == []


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
def test_a_chart_downloads_as_svg_png_and_its_data_as_csv(demo, browser, tmp_path, language):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=language)
    page.goto(demo + "/login/")
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "a-long-demo-password")
    page.click(".login button[type=submit]")
    page.goto(demo + "/plans/imt-2018-2022/indicators/students/")
    settled(page)
    box = page.locator("figure.chart-box").first
    got = {}
    for kind in ("svg", "png", "csv"):
        with page.expect_download() as download:
            box.locator(f"button[data-download={kind}]").click()
        assert download.value.suggested_filename == f"imt-2018-2022-students-imt.{kind}"
        path = tmp_path / f"chart.{kind}"
        download.value.save_as(path)
        got[kind] = path.read_bytes()
    assert got["svg"].startswith(b"<svg") and b"</svg>" in got["svg"]
    assert got["png"].startswith(b"\x89PNG") and len(got["png"]) > 10_000
    csv = got["csv"].decode("utf-8-sig").splitlines()
    french = language.startswith("fr")
    assert csv[0] == (
        "Période;Série;Valeur (étudiants);Bas (80\xa0%);Haut (80\xa0%);Statut;Exemple;Document source"
        if french
        else "Period,Series,Value (students),Low (80 %),High (80 %),Status,Example,Source document"
    )
    # The figures the chart draws, as numbers: 13,400 students in 2017/18 (press release).
    assert ("2017/18;Réalisé;13400;" if french else "2017/18,Actual,13400,") in got["csv"].decode()
