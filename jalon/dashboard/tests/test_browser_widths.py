"""Every page type at a phone's width (390 px) and a desktop's (1440 px), in both
languages: nothing scrolls sideways — wide tables scroll inside their own frame."""

import pytest

from jalon.dashboard.tests.test_browser import browser, demo, settled, shoot  # noqa: F401 - fixtures
from jalon.dashboard.tests.test_browser_csp import PAGES, _steward_with_a_round


def steward_page(demo, browser, width: int, height: int, language: str):  # noqa: F811
    """Return a page of a window of that size, the steward logged in (a round open)."""
    _steward_with_a_round(demo)
    page = browser.new_page(viewport={"width": width, "height": height}, locale=language)
    page.goto(demo + "/login/")
    page.fill("input[name=username]", "steward")
    page.fill("input[name=password]", "a-long-steward-password")
    page.click(".login button[type=submit]")
    return page


# Where the page is wider than the window, what sticks out (the widest first).
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (el.closest('details:not([open]) > :not(summary)')) continue;  // closed: not shown
    if (r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
      let inFrame = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p.getBoundingClientRect().right <= width + 1) { inFrame = true; break; }
      }
      if (!inFrame) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}px ${el.parentElement.tagName}.${el.parentElement.className} ${(el.textContent||'').slice(0,40)}`);
    }
  }
  return [document.documentElement.scrollWidth + ' > ' + width, ...out.slice(0, 5)];
}
"""


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
@pytest.mark.parametrize("width", [390, 1440])
def test_no_page_scrolls_sideways(demo, browser, language, width):  # noqa: F811
    page = steward_page(demo, browser, width, 844, language)
    page.wait_for_load_state()
    wide = {}
    for path in PAGES:
        if path.startswith("/admin/"):
            continue  # Django's admin has its own layout
        page.goto(demo + path)
        settled(page)
        found = page.evaluate(OVERFLOW)
        if found:
            wide[path] = found
    assert wide == {}, "\n".join(f"{p}: {v}" for p, v in wide.items())


TOP = """
() => {
  const first = document.querySelector('main > :not(.messages):not(.crumbs):not(.filters)');
  return first ? first.getBoundingClientRect().top : 0;
}
"""


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
def test_at_phone_width_menus_open_inside_and_the_header_leaves_room(
    demo,  # noqa: F811 - the fixture imported above
    browser,  # noqa: F811
    language,
    tmp_path,
):
    page = steward_page(demo, browser, 390, 844, language)
    for path in ("/plans/imt-2018-2022/", "/plans/imt-2018-2022/indicators/students/"):
        page.goto(demo + path)
        settled(page)
        if path.endswith("/students/"):
            page.locator('.chart[data-spec="chart-main"] svg').first.wait_for(timeout=15_000)
            shoot(page, f"indicator-phone-{language[:2]}", tmp_path)
        # The header, the example banner and the filters: at most a quarter of the screen.
        assert page.evaluate(TOP) <= 844 / 4, path
    toggle = page.locator("button.menu-toggle")
    assert page.locator("nav.menu").is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.click(".dropdown > summary >> nth=0")
    assert page.locator(".dropdown[open] a").first.is_visible()
    assert page.evaluate(OVERFLOW) == []  # the open list stays inside the screen
    page.keyboard.press("Escape")  # closes the list and the menu
    assert page.locator(".dropdown[open]").count() == 0
    assert page.locator("nav.menu").is_hidden() and toggle.get_attribute("aria-expanded") == "false"


def test_a_page_prints_on_a4_with_the_plan_the_day_and_the_datas_date(
    demo,  # noqa: F811 - the fixture imported above
    browser,  # noqa: F811
):
    page = steward_page(demo, browser, 1280, 900, "en-GB")
    page.goto(demo + "/plans/imt-2018-2022/indicators/students/")
    settled(page)
    assert page.locator(".print-head").is_hidden()
    page.emulate_media(media="print")
    head = page.locator(".print-head")
    assert head.is_visible()
    assert "Overall strategy 2018-2022" in head.inner_text() and "data as of" in head.inner_text()
    for hidden in ("header.top", "form.filters", "nav.crumbs", "button"):
        assert all(not e.is_visible() for e in page.locator(hidden).all()), hidden
    page.set_viewport_size({"width": 700, "height": 990})  # A4's printable width, near enough
    found = page.evaluate(OVERFLOW)
    assert found == [], "\n".join(found)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_menu_marks_where_the_reader_is_and_a_skip_link_leads_past_it(
    demo,  # noqa: F811 - the fixture imported above
    browser,  # noqa: F811
):
    page = steward_page(demo, browser, 1280, 900, "en-GB")
    page.goto(demo + "/plans/imt-2018-2022/indicators/students/")
    current = page.locator('nav.menu a[aria-current="page"]')
    assert current.count() == 1 and current.inner_text() == "Indicators"
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("e => e === document.activeElement") and skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
@pytest.mark.parametrize("width", [1280, 1440])
def test_at_desktop_width_the_header_is_one_line(demo, browser, language, width):  # noqa: F811
    page = steward_page(demo, browser, width, 900, language)
    page.goto(demo + "/plans/imt-2018-2022/")
    settled(page)
    items = page.locator("header.top > *:visible").all()
    tops = {round(item.bounding_box()["y"] + item.bounding_box()["height"] / 2) for item in items}
    assert max(tops) - min(tops) <= 6, tops  # every part of the header on one line
    assert page.locator("header.top").bounding_box()["height"] < 60
    # The account opens from the right, inside the window.
    page.click(".account > summary")
    box = page.locator(".account > div").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.locator(".account button[type=submit]").is_visible()
