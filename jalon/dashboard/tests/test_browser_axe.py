"""axe-core, the accessibility checker, finds no serious or critical violation on any
page type, in both languages, as each persona.

axe-core comes from the npm registry (`package.json`, installed by `make test`); where it
is missing the test is skipped loudly, unless JALON_REQUIRE_BROWSER=1 (set by CI).
"""

import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from jalon.access.models import Access
from jalon.dashboard.tests.test_browser import browser, demo, settled  # noqa: F401 - fixtures
from jalon.dashboard.tests.test_browser_csp import PAGES, PLAN, _steward_with_a_round
from jalon.organisation.models import Entity
from jalon.plans.models import Plan

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"

if not AXE.exists():
    message = f"!! SKIPPED: the accessibility test needs {AXE} (npm install, run by make test)."
    if os.environ.get("JALON_REQUIRE_BROWSER") == "1":
        raise RuntimeError(
            message.replace("SKIPPED", "REQUIRED") + " JALON_REQUIRE_BROWSER=1 is set."
        )
    print("\n" + message)
    pytest.skip(message, allow_module_level=True)

# What each persona reads: the steward every page; the others the pages their role opens.
READS = {
    "steward": [p for p in PAGES if not p.startswith("/admin/")] + ["/admin/", "/login/?next=/"],
    "contributor": [
        "/",
        f"{PLAN}/",
        f"{PLAN}/indicators/students/",
        f"{PLAN}/schools/imt-mines-ales/",
        f"{PLAN}/rounds/",
        f"{PLAN}/rounds/2022/grid/imt-mines-ales/",
        f"{PLAN}/review/",
    ],
    "viewer": [
        "/",
        f"{PLAN}/",
        f"{PLAN}/indicators/own-resources/",
        f"{PLAN}/schools/",
        f"{PLAN}/report/",
        "/tokens/",
    ],
    "outsider": ["/", f"{PLAN}/", "/no-such-page/", "/logout/"],
}
SERIOUS = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`
              + (v.nodes[0] && v.nodes[0].failureSummary ? ' — ' + v.nodes[0].failureSummary.split('\\n').slice(0, 2).join(' ') : ''));
}
"""


def _people(demo) -> None:  # noqa: F811
    """Add a contributor of IMT Mines Alès and an outsider to the demo (with its steward)."""
    _steward_with_a_round(demo)
    plan = Plan.objects.get(code="imt-2018-2022")
    for name, role in (("contributor", "contributor"), ("outsider", None)):
        user = get_user_model().objects.create_user(name, password=f"{name}-Pl4n-2026")
        if role:
            entity = Entity.objects.get(code="imt-mines-ales")
            Access.objects.create(user=user, plan=plan, role=role, entity=entity)


PASSWORDS = {
    "steward": "a-long-steward-password",
    "viewer": "a-long-demo-password",
    "contributor": "contributor-Pl4n-2026",
    "outsider": "outsider-Pl4n-2026",
}


@pytest.mark.parametrize("language", ["fr-FR", "en-GB"])
def test_axe_finds_no_serious_violation(demo, browser, language):  # noqa: F811
    _people(demo)
    found = {}
    for persona, paths in READS.items():
        # The checker is put into each page by the test; the pages' own policy stays strict.
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale=language, bypass_csp=True
        )
        page = context.new_page()
        page.goto(demo + "/login/")
        page.fill("input[name=username]", persona)
        page.fill("input[name=password]", PASSWORDS[persona])
        page.click(".login button[type=submit]")
        page.wait_for_load_state()
        for path in paths:
            if path.startswith("/login/"):
                context.clear_cookies()
            page.goto(demo + path)
            settled(page)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(SERIOUS)
            if violations:
                found[f"{persona} {path}"] = violations
        context.close()
    assert found == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in found.items())
