"""The board report written out: HTML from the template, PDF from that HTML (WeasyPrint).

The HTML holds nothing of the moment it is made, so the same data and date give the same
bytes; the PDF adds page numbers, running heads and a table of contents with pages.
"""

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from jalon.reports.content import BoardReport
from jalon.reports.pdf import write_pdf


def report_html(report: BoardReport) -> str:
    """Return the report as one HTML document (styles inside, charts as SVG images
    in data addresses)."""
    with translation.override(report.language):
        data_as_of = _("Data as of %(date)s") % {
            "date": formats.date_format(report.as_of, "DATE_FORMAT")
        }
        return render_to_string(
            "reports/report.html",
            {
                "r": report,
                "plan": report.plan,
                "data_as_of": data_as_of,
                "scope_is_member": report.entity.pk != report.plan.organisation_id,
                "members_noun": report.plan.member_noun(2),
            },
        )


def report_pdf(html: str, *, processes: int | None = None) -> bytes:
    """Return the report's HTML as an A4 PDF (laid out in pieces side by side when it is
    long: `pdf.write_pdf`)."""
    return write_pdf(html, processes=processes)
