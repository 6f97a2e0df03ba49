"""A long report laid out in pieces side by side gives the pages of the report laid out
whole: the same words on every page, the same bookmarks, the contents' numbers and links
leading where the whole report's lead, the same named destinations, and "page / pages"
at every foot. A piece that fails or stops fails the report, and leaves no process."""

import datetime as dt
import io
import multiprocessing
import os
import re

import pytest
from pypdf import PdfReader

from jalon.access.models import Access
from jalon.plans.models import Plan
from jalon.reports import content
from jalon.reports import pdf as report_pdf
from jalon.reports.content import build_report
from jalon.reports.render import report_html

AS_OF = dt.date(2025, 6, 30)


def _html(entity_code=None) -> str:
    plan = Plan.objects.get(code="imt-2018-2022")
    access = Access(plan=plan, role="steward")
    return report_html(build_report(plan, access, as_of=AS_OF, language="fr", entity=entity_code))


@pytest.fixture
def demo_html(imt_values):
    return _html()


def _read(html: str, processes: int) -> PdfReader:
    return PdfReader(io.BytesIO(report_pdf.write_pdf(html, processes=processes)))


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


def _links(reader, page: int) -> list:
    """Return the page's links: each one's rectangle, and the page and height it leads to."""
    out = []
    for link in (a.get_object() for a in reader.pages[page].get("/Annots", [])):
        x1, y1, x2, y2 = (round(float(v), 1) for v in link["/Rect"])
        dest = link["/Dest"]
        if isinstance(dest, str):  # WeasyPrint's own: a named destination
            dest = reader.named_destinations[dest]
            to, top = reader.get_destination_page_number(dest), dest.top
        else:
            to, top = reader.get_page_number(dest[0].get_object()), dest[3]
        out.append(((min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), to, round(top, 1)))
    return sorted(out)


def _same_pages(whole, pieces) -> None:
    total = len(whole.pages)
    assert len(pieces.pages) == total
    for k, (one, other) in enumerate(zip(whole.pages, pieces.pages, strict=True)):
        assert _words(one) == _words(other), f"page {k + 1}"
        assert f"{k + 1} / {total}" in other.extract_text()
    assert _outline(pieces) == _outline(whole)


@pytest.mark.parametrize("processes", [2, 3])
def test_a_report_laid_out_in_pieces_has_the_pages_of_one_laid_out_whole(
    demo_html, monkeypatch, processes
):
    whole = _read(demo_html, processes=1)
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)  # the demo is short: cut it anyway
    laid_out = []
    lay_out = report_pdf._lay_out
    monkeypatch.setattr(report_pdf, "_lay_out", lambda h: laid_out.append(h) or lay_out(h))
    pieces = _read(demo_html, processes=processes)
    assert len(laid_out) == 1  # the other pieces were laid out in forked processes

    total = len(whole.pages)
    assert total > 20
    _same_pages(whole, pieces)
    assert len(_outline(whole)) > 30
    # The contents' links: the same rectangles, leading to the same pages and heights.
    assert _links(pieces, 1) == _links(whole, 1) != []
    # Named destinations, as WeasyPrint writes them: report.pdf#annex opens the annex.
    assert set(pieces.named_destinations) == set(whole.named_destinations)
    for name in ("summary", "annex", "sources"):
        one, other = whole.named_destinations[name], pieces.named_destinations[name]
        assert pieces.get_destination_page_number(other) == whole.get_destination_page_number(one)
        assert round(other.top, 1) == round(one.top, 1)

    # The contents: each entry's number is the page where its title is.
    text = re.sub(r"[\u00a0\u202f]", " ", pieces.pages[1].extract_text())
    numbers = {t.strip(" ."): int(n) for t, n in re.findall(r"^(.+?)\.{3,} ?(\d+)$", text, re.M)}
    assert numbers.get("Sources et méthodes") == total
    annex = numbers["Annexe : Écoles"]
    assert "Annexe : Écoles" in " ".join(_words(pieces.pages[annex - 1]))
    assert pieces.metadata.title == whole.metadata.title
    assert pieces.trailer["/Root"]["/Lang"] == "fr"


def test_a_piece_that_fails_or_stops_fails_the_report(demo_html, monkeypatch):
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)
    lay_out = report_pdf._lay_out
    here = os.getpid()

    def failing(html):
        if os.getpid() != here:  # in the child, which lays out the last piece
            raise ValueError("this piece cannot be laid out")
        return lay_out(html)

    monkeypatch.setattr(report_pdf, "_lay_out", failing)
    with pytest.raises(report_pdf.PieceFailed, match="ValueError: this piece cannot be laid"):
        report_pdf.write_pdf(demo_html, processes=2)

    def stopping(html):
        if os.getpid() != here:
            os._exit(3)
        return lay_out(html)

    monkeypatch.setattr(report_pdf, "_lay_out", stopping)
    with pytest.raises(report_pdf.PieceFailed, match=r"stopped \(3\)"):
        report_pdf.write_pdf(demo_html, processes=2)
    assert not multiprocessing.active_children()


def test_contents_longer_than_guessed_are_laid_out_again(demo_html, monkeypatch):
    whole = _read(demo_html, processes=1)
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)
    monkeypatch.setattr(report_pdf, "FRONT_PAGES", 1)  # the cover alone, as guessed
    fronts = []
    front = report_pdf._front
    monkeypatch.setattr(report_pdf, "_front", lambda *a: fronts.append(1) or front(*a))
    _same_pages(whole, _read(demo_html, processes=2))
    assert len(fronts) == 2


def test_a_members_report_without_an_annex_is_laid_out_in_pieces_too(imt_values, monkeypatch):
    html = _html("imt-mines-ales")
    assert 'id="annex"' not in html
    whole = _read(html, processes=1)
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)
    _same_pages(whole, _read(html, processes=2))


def test_pieces_keep_the_groups_in_order_and_share_the_weight():
    groups = [f"<tr>{k}" * w for k, w in enumerate([5, 1, 1, 1, 8, 1, 1, 2])]
    for n in (1, 2, 3, 4, 8):
        runs = report_pdf._cut(groups, n)
        assert len(runs) == n and all(runs)
        assert [g for run in runs for g in run] == groups
    halves = [sum(report_pdf._weight(g) for g in run) for run in report_pdf._cut(groups, 2)]
    assert halves == [8, 12]  # the 8 goes where the middle of its weight falls


def test_an_annex_of_long_tables_gives_each_member_a_page_and_is_cut_between_them(
    imt_values, monkeypatch
):
    html = _html()
    assert html.count('<section class="annex group">') == 0  # the demo's tables are short
    monkeypatch.setattr(content, "ANNEX_PAGE_LINES", 5)
    html = _html()
    members = Plan.objects.get(code="imt-2018-2022").organisation.children.count()
    assert html.count('<section class="annex group">') == members - 1 > 5
    whole = _read(html, processes=1)
    monkeypatch.setattr(report_pdf, "PIECES_FROM", 0)
    monkeypatch.setattr(report_pdf, "_weight", lambda h: h.count("<tr"))  # the annex's rows
    _same_pages(whole, _read(html, processes=3))
    heads = [p for p in whole.pages if "Annexe : Écoles" in " ".join(_words(p))]
    assert len(heads) >= members  # a page at least for each member, under the annex's head
