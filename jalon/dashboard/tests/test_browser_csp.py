"""The Content-Security-Policy holds on every page type: Chromium reports no violation.

The policy allows scripts, styles, images and fonts from Jalon alone, and no inline
script or style: a page that breaks it would show a violation here, in the console and
as a `securitypolicyviolation` event.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from jalon.access.models import Access
from jalon.dashboard.tests import test_browser  # skips this module too where Chromium is missing
from jalon.plans.models import Plan

demo, browser = test_browser.demo, test_browser.browser  # the same fixtures

PLAN = "/plans/imt-2018-2022"
PAGES = [
    "/",
    f"{PLAN}/",
    f"{PLAN}/indicators/",
    f"{PLAN}/indicators/students/",
    f"{PLAN}/indicators/own-resources/",
    f"{PLAN}/schools/",
    f"{PLAN}/schools/imt-mines-ales/",
    f"{PLAN}/projects/",
    f"{PLAN}/projects/academie-transformations-educatives/",
    f"{PLAN}/axes/A1/",
    f"{PLAN}/levers/L1/",
    f"{PLAN}/search/?q=etudiants",
    f"{PLAN}/access/",
    f"{PLAN}/rounds/",
    f"{PLAN}/rounds/2022/",
    f"{PLAN}/review/",
    f"{PLAN}/rounds/2022/grid/imt-mines-ales/",
    f"{PLAN}/import/",
    f"{PLAN}/trail/",
    f"{PLAN}/report/",
    f"{PLAN}/commentary/",
    "/trail/",
    "/tokens/",
    "/admin/",
    "/admin/plans/indicator/",
]
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _steward_with_a_round(url: str) -> None:
    from django.db import connection

    from jalon.collection.forms import OpenRoundForm

    # Another browser test ends the live server's database sessions when it is done; a
    # session of this thread may have gone with them: start from a new one.
    connection.close()

    plan = Plan.objects.get(code="imt-2018-2022")
    user = get_user_model().objects.create_superuser("steward", password="a-long-steward-password")
    Access.objects.create(user=user, plan=plan, role="steward")
    client = Client()
    client.force_login(user)
    form = OpenRoundForm(plan=plan)
    data = {
        "year": 2022,
        "deadline": "2023-01-31",
        "indicators": form.fields["indicators"].initial,
        "entities": form.fields["entities"].initial,
    }
    assert client.post(f"{PLAN}/rounds/", data, follow=True).status_code == 200


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
def test_no_page_breaks_the_content_security_policy(demo, browser, language):
    _steward_with_a_round(demo)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=language)
    page.add_init_script(WATCH)
    reported = []
    page.on(
        "console",
        lambda m: (
            reported.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text or m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: reported.append(f"{page.url}: {e}"))

    answer = page.goto(demo + "/login/")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    page.fill("input[name=username]", "steward")
    page.fill("input[name=password]", "a-long-steward-password")
    page.click(".login button[type=submit]")
    page.wait_for_load_state()
    for path in PAGES:
        answer = page.goto(demo + path)
        assert answer.status == 200, path
        test_browser.settled(page)
        if path.endswith("/students/"):  # the charts are drawn, under the policy
            page.locator('.chart[data-spec="chart-main"] svg').first.wait_for(timeout=15_000)
        if "/grid/" in path:  # the grid checks a cell as one types (htmx)
            cell = page.locator("td.cell input[inputmode]").first
            with page.expect_response(lambda r: "/check/" in r.url) as checked:
                cell.fill("1234")
                cell.press("Tab")
            assert checked.value.status == 200
        for violation in page.evaluate("window.__violations"):
            reported.append(f"{path}: {violation}")
    assert reported == [], "\n".join(reported)
