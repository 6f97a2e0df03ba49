"""Background work of the collection: checking and importing uploads, sending reminders.

Through Django's task interface (the django-tasks backport) and its database backend:
`jalon worker` runs the tasks, `jalon serve` and `make demo` start a worker beside the
server. A small file is checked and imported at once, in the request; a large one is
queued, and its page follows its progress.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from jalon.collection.models import Upload, UploadStatus, scope_for
from jalon.core.yamlsource import FileProblems, Problem

AT_ONCE_BYTES = 256 * 1024  # files up to this size are handled in the request


def import_upload_file(upload: Upload, *, dry_run: bool):
    """Check (``dry_run``) or import an upload's file; return the values' report.

    YAML value files say their own state; spreadsheets and CSV take the upload's for rows
    that give none. Raise FileProblems, having written nothing, on any problem.
    """
    from jalon.access.models import Access
    from jalon.collection.sheets import import_figures
    from jalon.core.yamlsource import read_yaml
    from jalon.values.valuefile import store_data

    access = Access.objects.select_related("plan", "entity").get(
        user=upload.uploaded_by, plan=upload.plan
    )
    scope = scope_for(access)
    data = bytes(upload.data)
    if upload.filename.casefold().endswith((".yaml", ".yml")):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileProblems(
                upload.filename, [Problem(1, 1, f"this is not UTF-8 text (byte {error.start})")]
            ) from None
        return store_data(
            read_yaml(text, upload.filename),
            upload.filename,
            actor=upload.uploaded_by,
            plan=upload.plan,
            scope=scope,
            dry_run=dry_run,
        )
    return import_figures(
        upload.filename,
        data,
        upload.plan,
        state=upload.state,
        actor=upload.uploaded_by,
        scope=scope,
        dry_run=dry_run,
        progress=upload.report_progress,
    )


def run(upload_id: int, *, dry_run: bool) -> str:
    """Check or import the upload ``upload_id``, and record the outcome on it."""
    from jalon.access.models import Access

    upload = Upload.objects.select_related("plan", "uploaded_by").get(pk=upload_id)
    if not upload.working:
        return upload.status  # cancelled, or given up as stale before a worker came
    try:
        report = import_upload_file(upload, dry_run=dry_run)
    except FileProblems as error:
        upload.status = UploadStatus.REFUSED
        upload.problems = [p.format(error.filename) for p in error.problems]
        upload.summary = ""
    except Access.DoesNotExist:
        upload.status = UploadStatus.REFUSED
        upload.problems = [f"{upload.filename}: you no longer have access to this plan"]
    except Exception as error:  # noqa: BLE001 - said on the page; the transaction rolled back
        upload.status = UploadStatus.FAILED
        upload.problems = [f"{upload.filename}: {type(error).__name__}: {error}"]
    else:
        upload.status = UploadStatus.READY if dry_run else UploadStatus.DONE
        upload.summary = report.summary()
        upload.counts = dict(report.counts)
        upload.details = [list(d) for d in report.details]
        upload.problems = []
        if not dry_run:
            upload.data = b""  # imported: the figures are in the database now
    upload.progress = 1.0
    upload.finished_at = timezone.now()
    upload.save()
    return upload.status


@task()
def check_upload(upload_id: int) -> str:
    """Check an upload and prepare its preview (nothing is written)."""
    return run(upload_id, dry_run=True)


@task()
def import_upload(upload_id: int) -> str:
    """Import an upload, all or nothing."""
    return run(upload_id, dry_run=False)


def start(upload: Upload, *, dry_run: bool) -> None:
    """Check or import ``upload``: at once if it is small, else on a worker."""
    upload.status = UploadStatus.CHECKING if dry_run else UploadStatus.IMPORTING
    upload.progress, upload.phase, upload.worked_at = 0.0, "queued", timezone.now()
    upload.save(update_fields=["status", "progress", "phase", "worked_at"])
    if upload.size <= AT_ONCE_BYTES:
        run(upload.pk, dry_run=dry_run)
        return
    job = check_upload if dry_run else import_upload
    transaction.on_commit(lambda: job.enqueue(upload.pk))


REMIND_AT = dt.time(7, 0)  # the daily reminders go out at 7:00, the site's time


@task()
def daily_reminders() -> int:
    """Send the reminders due today, then schedule tomorrow's; return how many were sent."""
    from jalon.collection.models import CollectionRound
    from jalon.collection.reminders import remind

    try:
        sent = remind(CollectionRound.objects.filter(closed_at__isnull=True), only_due=True)
    finally:
        schedule_reminders()  # tomorrow's, whatever happened today
    return sum(r.sent for r in sent)


def schedule_reminders(*, force: bool = False) -> bool:
    """Queue the next daily reminders, unless some are queued already; return if it queued."""
    from django_tasks_db.models import DBTaskResult

    path = f"{daily_reminders.module_path}"
    waiting = DBTaskResult.objects.ready().filter(task_path=path)
    if waiting.exists() and not force:
        return False
    now = timezone.localtime()
    next_day = now.date() + dt.timedelta(days=1 if now.time() >= REMIND_AT else 0)
    at = timezone.make_aware(dt.datetime.combine(next_day, REMIND_AT))
    daily_reminders.using(run_after=at).enqueue()
    return True
