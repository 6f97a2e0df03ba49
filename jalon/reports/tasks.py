"""The board report made in the background (Django's task interface, database backend):
`jalon worker` runs it, and the report's page follows its progress."""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from jalon.access.models import Access
from jalon.dashboard.views import restricted
from jalon.reports.models import Report, ReportState

logger = logging.getLogger(__name__)


def run(report_id: int) -> str:
    """Make the report ``report_id`` as its requester may read it; record the outcome."""
    from jalon.reports.content import build_report
    from jalon.reports.render import report_html, report_pdf

    report = Report.objects.select_related("plan__organisation", "entity").get(pk=report_id)
    if report.state != ReportState.QUEUED:
        return report.state
    report.state = ReportState.RUNNING
    report.save(update_fields=["state"])

    def progress(share: float) -> None:
        Report.objects.filter(pk=report.pk).update(progress=round(share, 3))

    try:
        access = Access.objects.select_related("entity").get(
            plan=report.plan, user=get_user_model().objects.get(pk=report.requested_by_id)
        )
        if restricted(access, report.plan):
            # They read the figures as they are now, as on the pages: those of the day it
            # is made, even where a worker takes it up after midnight.
            report.as_of = timezone.localdate()
        content = build_report(
            report.plan,
            access,
            as_of=report.as_of,
            language=report.language,
            year=report.year,
            entity=report.entity.code,
            progress=progress,
        )
        html = report_html(content)
        progress(0.9)
        report.content = report_pdf(html) if report.kind == "pdf" else html.encode("utf-8")
        report.state = ReportState.DONE
    except Access.DoesNotExist:
        report.state, report.message = ReportState.FAILED, "no longer has access to the plan"
    except Exception:  # noqa: BLE001 - logged in full; the page says it failed
        logger.exception("The board report %s could not be made", report.pk)
        report.state, report.message = ReportState.FAILED, "an error, logged on the server"
    report.progress = 1.0
    report.finished_at = timezone.now()
    report.save()
    return report.state


@task()
def make_report(report_id: int) -> str:
    """Make a board report asked for in the web interface."""
    return run(report_id)


def start(report: Report) -> None:
    """Queue ``report`` for a worker, once the request's transaction is committed."""
    transaction.on_commit(lambda: make_report.enqueue(report.pk))
