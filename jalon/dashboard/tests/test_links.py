"""A source's address becomes a link only when it is a web address (http or https)."""

import pytest

from jalon.dashboard.tests.conftest import PLAN
from jalon.plans.links import web_address
from jalon.plans.models import Source, Target


@pytest.mark.parametrize(
    "address, kept",
    [
        ("https://www.imt.fr/strategie", True),
        ("http://example.org/a?b=c#d", True),
        ("javascript:alert(document.cookie)", False),
        ("JavaScript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("//evil.example/x", False),
        ("ftp://example.org/file", False),
        ("https://", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_addresses_are_links(address, kept):
    assert web_address(address) == (address if kept else "")


def test_an_address_stored_otherwise_never_becomes_a_link(personas):
    # As if written to the database by some other way than a plan file (an old version,
    # a hand-made SQL update): the page still makes no link of it.
    target = Target.objects.filter(indicator__plan__code=PLAN, document__isnull=False).first()
    Source.objects.filter(pk=target.document_id).update(url="javascript:alert(document.cookie)")
    page = personas["viewer"].get(f"/plans/{PLAN}/indicators/{target.indicator.code}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "javascript:" not in html
    assert Source.objects.get(pk=target.document_id).title.split("&")[0][:20] in html
