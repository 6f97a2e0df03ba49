"""The board report's time in `make bench`: the synthetic federation's (100 indicators,
30 regions in the annex) and the demo plan's, as HTML and as PDF.

Goals (issue 11): the institute-level report of the federation under 30 s, the demo
plan's under 3 s. Each is the median of a few runs; the machine's load is printed.
"""

import datetime as dt
import io
import os
import statistics
import time

from jalon.access.models import Access
from jalon.core.bench import timed


def report_times(plan, *, repeat: int) -> tuple[float, float, int]:
    """Return the seconds to make the plan's report as HTML, then as PDF, and its pages."""
    from pypdf import PdfReader

    from jalon.reports.content import build_report
    from jalon.reports.render import report_html, report_pdf

    access = Access(plan=plan, role="steward")
    today = dt.date.today()

    html_times = []

    def pdf():
        # The PDF is made from the HTML, as `jalon report` makes it: the HTML's own time is
        # its part of each run (timed apart, the federation's took 12 s of the benchmark
        # more).
        start = time.perf_counter()
        html = report_html(build_report(plan, access, as_of=today, language="en"))
        html_times.append(time.perf_counter() - start)
        return report_pdf(html)

    pdf_s, made = timed(pdf, repeat)
    return statistics.median(html_times), pdf_s, len(PdfReader(io.BytesIO(made)).pages)


def run(plan, demo, write) -> dict[str, float]:
    """Time the reports of the federation ``plan`` and of the ``demo`` plan (if loaded)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    write(f"Board report (machine load {load}; medians; the HTML timed within each PDF run):")
    figures = {}
    for name, subject, goal, repeat in (
        ("federation", plan, 30.0, 1),
        ("demo plan", demo, 3.0, 3),
    ):
        if subject is None:
            write(f"  {name}: not loaded, skipped")
            continue
        html_s, pdf_s, pages = report_times(subject, repeat=repeat)
        figures[f"report_{name.split()[0]}_html_s"] = html_s
        figures[f"report_{name.split()[0]}_pdf_s"] = pdf_s
        for kind, seconds in (("HTML", html_s), ("PDF", pdf_s)):
            verdict = "met" if seconds < goal else "not met"
            write(
                f"  {name}, institute level, {kind}: {seconds:6.2f} s"
                f"{f' ({pages} pages)' if kind == 'PDF' else ''}   goal < {goal:g} s → {verdict}"
            )
    return figures
