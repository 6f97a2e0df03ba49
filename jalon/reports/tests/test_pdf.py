"""A long report laid out in pieces side by side gives the pages of the report laid out
whole: the same words on every page, the same bookmarks, the contents' numbers and links
pointing at the pages they name, and "page / pages" at every foot."""

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from jalon.access.models import Access
from jalon.plans.models import Plan
from jalon.reports import pdf as report_pdf
from jalon.reports.content import build_report
from jalon.reports.render import report_html

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture
def demo_html(imt_values):
    plan = Plan.objects.get(code="imt-2018-2022")
    report = build_report(plan, Access(plan=plan, role="steward"), as_of=AS_OF, language="fr")
    return report_html(report)


def _words(page) -> list[str]:
    return re.sub(r"[\u00a0\u202f]", " ", page.extract_text()).split()


def _outline(reader, items=None, depth=0) -> list:
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out.extend(_outline(reader, item, depth + 1))
        else:
            out.append((depth, item.title, reader.get_destination_page_number(item)))
    return out


def test_a_report_laid_out_in_pieces_has_the_pages_of_one_laid_out_whole(demo_html, monkeypatch):
    whole = PdfReader(io.BytesIO(report_pdf.write_pdf(demo_html, processes=1)))
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)  # the demo is short: cut it anyway
    laid_out = []
    lay_out = report_pdf._lay_out
    monkeypatch.setattr(report_pdf, "_lay_out", lambda h: laid_out.append(h) or lay_out(h))
    pieces = PdfReader(io.BytesIO(report_pdf.write_pdf(demo_html, processes=2)))
    assert len(laid_out) == 1  # the other piece was laid out in a forked process

    total = len(whole.pages)
    assert len(pieces.pages) == total > 20
    for k, (one, other) in enumerate(zip(whole.pages, pieces.pages, strict=True)):
        assert _words(one) == _words(other), f"page {k + 1}"
        assert f"{k + 1} / {total}" in other.extract_text()
    assert _outline(pieces) == _outline(whole)
    assert len(_outline(whole)) > 30

    # The contents: each entry's number is the page its link leads to, where its title is.
    contents = pieces.pages[1]
    text = re.sub(r"[\u00a0\u202f]", " ", contents.extract_text())
    numbers = {
        title.strip(" ."): int(n) for title, n in re.findall(r"^(.+?)\.{3,} ?(\d+)$", text, re.M)
    }
    assert numbers.get("Sources et méthodes") == total
    links = [a.get_object() for a in contents["/Annots"]]
    targets = {pieces.get_page_number(link["/Dest"][0].get_object()) for link in links}
    assert {n - 1 for n in numbers.values()} <= targets
    annex = numbers["Annexe : Écoles"]
    assert "Annexe : Écoles" in " ".join(_words(pieces.pages[annex - 1]))
    assert pieces.metadata.title == whole.metadata.title
    assert pieces.trailer["/Root"]["/Lang"] == "fr"


def test_a_piece_that_fails_fails_the_report(demo_html, monkeypatch):
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)
    lay_out = report_pdf._lay_out

    def failing(html):
        if "Sources et méthodes</h2>" in html:  # the last piece, laid out in a child
            raise ValueError("this piece cannot be laid out")
        return lay_out(html)

    monkeypatch.setattr(report_pdf, "_lay_out", failing)
    with pytest.raises(ValueError, match="cannot be laid out"):
        report_pdf.write_pdf(demo_html, processes=2)


def test_pieces_keep_the_groups_in_order_and_share_the_weight():
    groups = [f"<tr>{k}" * w for k, w in enumerate([5, 1, 1, 1, 8, 1, 1, 2])]
    for n in (1, 2, 3, 4):
        runs = report_pdf._cut(groups, n)
        assert len(runs) == n and all(runs)
        assert [g for run in runs for g in run] == groups
    halves = [sum(report_pdf._weight(g) for g in run) for run in report_pdf._cut(groups, 2)]
    assert halves == [8, 12]  # the first run stops once it holds half the weight
