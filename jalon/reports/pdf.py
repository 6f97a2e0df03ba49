"""The board report as PDF: WeasyPrint, laid out in several processes when it is long.

WeasyPrint lays a document out on one core: a federation's report of two hundred pages
spent most of its time there. The report's HTML is a row of page groups (the cover and
the contents, the summary, each part, the annex or each of its members where their tables
are long, the sources), each beginning a page, each naming its running heads, and
separated by GROUP. A long report is cut between groups into pieces, one per core, laid
out side by side in forked processes; pikepdf then puts their pages in order and adds
what crosses the pieces, worked out once every piece is laid out: the contents with their
page numbers and links, the bookmarks, the named destinations, and "page / pages" at the
foot of every page. The pages are the same as those of the report laid out whole (a test
compares their words).

No Django here: the pieces are laid out in processes that only need WeasyPrint.
"""

import html as markup
import io
import logging
import multiprocessing
import os
import re
import sys
import traceback
from pathlib import Path

GROUP = "<!--group-->"
# A piece's weight: its table rows and paragraphs, which take about the same time to lay
# out (6-7 ms each on the benchmark's machine; a chart, drawn as an image, little more).
# Below PIECES_FROM, a report is laid out whole: forking and putting pieces together
# would cost more than they save. On two cores, the demo's report (weight 213) took 1.3 s
# in pieces against 2.2 s whole, CSU's (189) 1.0 s against 2.0 s, the benchmark
# federation's (3,735) 15 s against 29 s.
PIECES_FROM = 100
PX = 0.75  # a CSS pixel in PDF points
FRONT_PAGES = 2  # the cover and the contents, as first guessed

# In the pieces, the foot's "page / pages" is left out: it is stamped on once every piece
# is laid out. The contents take their page numbers from the links' data-page.
_PIECE_STYLE = "<style>@page { @bottom-right { content: none; } }</style>"
_CONTENTS_STYLE = '<style>.toc a::after { content: leader(".") attr(data-page); }</style>'
_FOOT_STYLE = (
    "<style>@page { @top-left { content: none; } @top-right { content: none; }"
    " @bottom-left { content: none; } } .page { break-after: page; }</style>"
)


def write_pdf(html: str, *, processes: int | None = None) -> bytes:
    """Return the report's HTML as a PDF, laid out in ``processes`` pieces at most (by
    default one per core, and one for a short report or where processes cannot fork)."""
    from weasyprint import HTML  # imported when a PDF is made: it loads Pango and Cairo

    processes = processes or _cores()
    head, groups, tail = _groups(html)
    front = next((k + 1 for k, g in enumerate(groups) if 'class="toc' in g[:200]), 0)
    body = groups[front:]
    if processes < 2 or not front or len(body) < 2 or _weight(html) < PIECES_FROM:
        return HTML(string=html).write_pdf()
    runs = _cut(body, min(processes, len(body)))
    pieces = [head + _PIECE_STYLE + "".join(run) + tail for run in runs]
    try:
        laid_out = _lay_out_side_by_side(pieces)
    except OSError:  # no process to fork (memory, process limits): laid out whole, here
        return HTML(string=html).write_pdf()
    report = _assemble(head, groups[:front], tail, laid_out)
    return report if report is not None else HTML(string=html).write_pdf()


def _cores() -> int:
    """Return the pieces to lay a long report out in: one per core (four at most), on
    Linux only, where a forked process may go on using Pango and fontconfig."""
    if not sys.platform.startswith("linux"):
        return 1
    cores = len(os.sched_getaffinity(0))
    try:  # a container's share of the processor (cgroup v2), where it is capped
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return min(cores, 4)


def _groups(html: str) -> tuple[str, list[str], str]:
    """Return the document's head (up to its body's first tag), page groups, and end."""
    start = html.index(">", html.index("<body")) + 1
    end = html.rindex("</body>")
    return html[:start], html[start:end].split(GROUP), html[end:]


def _weight(html: str) -> float:
    return html.count("<tr") + html.count("<p")


def _cut(groups: list[str], n: int) -> list[list[str]]:
    """Return ``groups`` cut into ``n`` runs (``n`` at most their number) of about the same
    weight, in order: a group goes to the run that holds the middle of its weight."""
    weights = [_weight(g) for g in groups]
    total = sum(weights) or 1
    runs: list[list[str]] = [[]]
    done = 0.0
    for k, (group, weight) in enumerate(zip(groups, weights, strict=True)):
        left = len(groups) - k  # groups still to place, this one included
        if (
            runs[-1]
            and len(runs) < n
            and (done + weight / 2 > total * len(runs) / n or left == n - len(runs))
        ):
            runs.append([])
        runs[-1].append(group)
        done += weight
    return runs


def _lay_out(html: str) -> tuple[bytes, list]:
    """Return a piece as PDF, with each page's anchors and bookmarks."""
    from weasyprint import HTML

    document = HTML(string=html).render()
    pages = [
        ({name: point[:2] for name, point in page.anchors.items()}, page.bookmarks)
        for page in document.pages
    ]
    return document.write_pdf(), pages


class PieceFailed(RuntimeError):
    """A piece of the report could not be laid out in its process."""


def _child(connection, html: str) -> None:
    try:
        connection.send(("done", _lay_out(html)))
    except BaseException:  # noqa: BLE001 - said to the parent, which raises it
        connection.send(("failed", traceback.format_exc()))
    finally:
        connection.close()


def _lay_out_side_by_side(pieces: list[str]) -> list[tuple[bytes, list]]:
    """Lay out the first piece here and the others in forked processes, at once; raise
    PieceFailed, with the child's traceback, if one of them fails or stops."""
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for piece in pieces[1:]:
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(sending, piece), daemon=True)
            process.start()
            sending.close()
            children.append((process, receiving))
        results = [_lay_out(pieces[0])]
        for process, receiving in children:
            try:
                said, result = receiving.recv()
            except EOFError:
                raise PieceFailed(
                    f"the process laying out part of the report stopped ({process.exitcode})"
                ) from None
            if said == "failed":
                raise PieceFailed(f"part of the report could not be laid out:\n{result}")
            results.append(result)
        return results
    finally:  # no child outlives the report, whatever happened
        for process, receiving in children:
            receiving.close()
            if process.is_alive():
                process.terminate()
            process.join()


class _NoAnchorHere(logging.Filter):
    """The contents link to anchors in the other pieces: WeasyPrint need not say so."""

    def filter(self, record):
        return not record.getMessage().startswith("No anchor #")


def _front(head: str, groups: list[str], tail: str, numbers: dict[str, int]):
    """Return the cover and contents laid out, the contents' links taking their page
    numbers from ``numbers`` {anchor: page number}."""
    from weasyprint import HTML

    def numbered(match):
        page = numbers.get(markup.unescape(match.group(1)))
        return match.group(0) if page is None else f'{match.group(0)} data-page="{page}"'

    html = re.sub(r'<a href="#([^"]+)"', numbered, "".join(groups))
    document = HTML(string=head + _PIECE_STYLE + _CONTENTS_STYLE + html + tail).render()
    quiet = _NoAnchorHere()
    logger = logging.getLogger("weasyprint")
    logger.addFilter(quiet)
    try:
        return document, document.write_pdf()
    finally:
        logger.removeFilter(quiet)


def _assemble(head: str, front: list[str], tail: str, laid_out: list) -> bytes | None:
    """Return the report: its cover and contents, then the pieces' pages; with the links
    of the contents, the named destinations, the bookmarks and the page numbers
    (pikepdf: qpdf copies and stamps the pages in C++, a tenth of pypdf's time on two
    hundred pages). None if the contents' length never settles."""
    import pikepdf

    body_pages = [page for _, pages in laid_out for page in pages]
    settled = _contents(head, front, tail, body_pages)
    if settled is None:
        return None
    document, front_pdf, anchors = settled
    total = len(document.pages) + len(body_pages)

    report = pikepdf.Pdf.open(io.BytesIO(front_pdf))  # its title, language and metadata
    sources = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf, _ in laid_out]
    for source in sources:
        report.pages.extend(source.pages)
    stamps = pikepdf.Pdf.open(io.BytesIO(_foot(head, tail, total)))
    for page, stamp in zip(report.pages, stamps.pages, strict=True):
        page.add_overlay(stamp)

    height = float(report.pages[0].mediabox[3])

    def place(page_number: int, point) -> pikepdf.Array:
        """A destination: the point (CSS pixels from the page's top left) on the page."""
        x, y = point
        return pikepdf.Array(
            [report.pages[page_number].obj, pikepdf.Name.XYZ, x * PX, height - y * PX, 0]
        )

    _link_contents(report, document, anchors, place, height)
    # WeasyPrint's own anchors too (those of the cover and contents), as it names them.
    for k, page in enumerate(document.pages):
        for name, point in page.anchors.items():
            anchors.setdefault(name, (k, point[:2]))
    _name_destinations(report, anchors, place)
    marks = [(k, page.bookmarks) for k, page in enumerate(document.pages)]
    marks += [(len(document.pages) + k, b) for k, (_, b) in enumerate(body_pages)]
    _outline(report, marks, place)
    out = io.BytesIO()
    report.save(out)
    return out.getvalue()


def _contents(head: str, front: list[str], tail: str, body_pages: list):
    """Return the cover and contents laid out, as a document and as PDF, with every
    anchor of the pieces {name: (page number in the report, point)}. They are laid out
    once the pages they point to are known, and again if their own length was not the
    one guessed; None if it never settles."""
    front_pages = FRONT_PAGES
    for _ in range(3):
        anchors = {}
        for k, (page_anchors, _) in enumerate(body_pages):
            for name, point in page_anchors.items():
                anchors.setdefault(name, (front_pages + k, point))
        numbers = {name: page + 1 for name, (page, _) in anchors.items()}
        document, front_pdf = _front(head, front, tail, numbers)
        if len(document.pages) == front_pages:
            return document, front_pdf, anchors
        front_pages = len(document.pages)
    return None


def _foot(head: str, tail: str, total: int) -> bytes:
    """Return ``total`` pages with nothing but "page / pages" at their foot, set by the
    report's own @page rule."""
    from weasyprint import HTML

    return HTML(string=head + _FOOT_STYLE + '<div class="page"></div>' * total + tail).write_pdf()


def _link_contents(report, document, anchors: dict, place, height: float) -> None:
    """Add the contents' links, to the pages and points of the anchors they name."""
    import pikepdf

    for k, page in enumerate(document.pages):
        for kind, target, (x1, y1, x2, y2), _ in page.links:  # WeasyPrint's: two corners
            if kind == "internal" and target in anchors:
                link = pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[x1 * PX, height - y2 * PX, x2 * PX, height - y1 * PX],
                    Border=[0, 0, 0],
                    Dest=place(*anchors[target]),
                )
                annotations = report.pages[k].obj.get("/Annots", pikepdf.Array())
                annotations.append(report.make_indirect(link))
                report.pages[k].obj.Annots = annotations


def _name_destinations(report, anchors: dict, place) -> None:
    """Name every anchor as a destination (report.pdf#annex), as WeasyPrint does: a name
    tree, its names in order."""
    import pikepdf

    names = []
    for name in sorted(anchors):
        names += [pikepdf.String(name), place(*anchors[name])]
    catalogue = report.Root.get("/Names", pikepdf.Dictionary())
    catalogue.Dests = pikepdf.Dictionary(Names=pikepdf.Array(names))
    report.Root.Names = catalogue


def _outline(report, marks: list, place) -> None:
    """Replace the bookmarks with those of every page, ``marks`` [(page number,
    [(level, label, point, state)])], nested by level as WeasyPrint nests them."""
    import pikepdf

    with report.open_outline() as outline:
        outline.root.clear()
        parents: list[tuple[int, list]] = [(0, outline.root)]  # (level, where its children go)
        for page_number, bookmarks in marks:
            for level, label, point, state in bookmarks:
                while len(parents) > 1 and parents[-1][0] >= level:
                    parents.pop()
                item = pikepdf.OutlineItem(label, place(page_number, point))
                item.is_closed = state == "closed"
                parents[-1][1].append(item)
                parents.append((level, item.children))
