"""The board report in the web interface: asked for from the overview, made by a worker,
followed and downloaded by whoever asked; and the stewards' commentary it carries."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from jalon.access.models import plan_access
from jalon.audit.models import AuditEvent
from jalon.dashboard.views import plain_context, restricted, scoped_evaluation, within_scope
from jalon.organisation.models import Entity
from jalon.reports.forms import CommentaryForm, ReportForm
from jalon.reports.models import Commentary, Report, ReportState, Subject
from jalon.reports.tasks import start


def _scope(plan, access) -> list[Entity]:
    """Return the entities a reader may make a report of: the organisation first."""
    pe, root = scoped_evaluation(plan, access)
    rows = [root, *pe.tree.descendants(root).tolist()]
    codes = [pe.tree.codes[int(r)] for r in rows if within_scope(pe, root, access, int(r))]
    found = {e.code: e for e in Entity.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def new_report(request, plan):
    """Ask for a board report: period, date, language, scope; a worker makes it."""
    plan, access = plan_access(request.user, plan)
    entities = _scope(plan, access)
    form = ReportForm(
        request.POST or None, plan=plan, entities=entities, whole=not restricted(access, plan)
    )
    mine = Report.objects.filter(plan=plan, requested_by=request.user)
    if request.method == "POST" and form.is_valid() and _busy(mine):
        messages.error(request, _("Your previous report is still being made: wait for it."))
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            # A reader keeps their latest reports; older ones go (each is a stored file).
            for old in mine.order_by("-requested_at")[KEPT - 1 :]:
                old.delete()
            report = Report.objects.create(
                plan=plan,
                requested_by=request.user,
                language=data["language"],
                as_of=data.get("as_of") or timezone.localdate(),
                year=data["year"],
                entity=next(e for e in entities if e.code == data["entity"]),
                kind=data["kind"],
                role=access.role,
                scope=access.entity,
            )
            AuditEvent.record(
                "report.request",
                "report",
                str(report.pk),
                actor=request.user,
                plan=plan.code,
                as_of=report.as_of.isoformat(),
                entity=report.entity.code,
                language=report.language,
            )
            start(report)
        return redirect("report", plan.code, report.pk)
    return render(
        request,
        "reports/new.html",
        plain_context(
            plan,
            access,
            [(_("Board report"), "")],
            form=form,
            reports=mine.select_related("entity")[:KEPT],
            restricted=restricted(access, plan),
        ),
    )


KEPT = 10  # the reports kept per reader and plan
STALE = dt.timedelta(minutes=30)  # a report "being made" this long: its worker has died


def _busy(reports) -> bool:
    """Return whether one of ``reports`` is queued or being made (and not given up)."""
    recent = timezone.now() - STALE
    return reports.filter(
        state__in=(ReportState.QUEUED, ReportState.RUNNING), requested_at__gte=recent
    ).exists()


def _own_report(request, plan, pk) -> tuple:
    """Return the reader's report ``pk``, while their access is still the one they had."""
    plan, access = plan_access(request.user, plan)
    report = Report.objects.filter(plan=plan, pk=pk, requested_by=request.user).first()
    if report is None or (report.role, report.scope_id) != (access.role, access.entity_id):
        raise Http404  # another reader's report, or made under another access: as missing
    waiting = report.state in (ReportState.QUEUED, ReportState.RUNNING)
    if waiting and report.requested_at < timezone.now() - STALE:
        report.state, report.message = ReportState.FAILED, _("No worker made it in time.")
        report.save(update_fields=["state", "message"])
    return plan, access, report


@require_safe
@login_required
def report(request, plan, pk):
    """Follow a report being made; download it once it is ready."""
    plan, access, report = _own_report(request, plan, pk)
    return render(
        request,
        "reports/report_status.html",
        plain_context(
            plan,
            access,
            [(_("Board report"), reverse("new_report", args=[plan.code])), (str(report.pk), "")],
            report=report,
            working=report.state in (ReportState.QUEUED, ReportState.RUNNING),
            percent=round(report.progress * 100),
        ),
    )


@require_safe
@login_required
def report_file(request, plan, pk):
    """Return a ready report's file."""
    plan, access, report = _own_report(request, plan, pk)
    if report.state != ReportState.DONE:
        raise Http404
    kind = "application/pdf" if report.kind == "pdf" else "text/html; charset=utf-8"
    response = HttpResponse(bytes(report.content), content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def commentary(request, plan):
    """The stewards' commentary for a reporting year: the plan, each axis, lever and
    indicator; a new text replaces the one in force, which stays in the history."""
    plan, access = plan_access(request.user, plan)
    if not access.is_steward:
        raise PermissionDenied
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        raise Http404 from None
    if not _in_range(plan, year):
        raise Http404
    if request.method == "POST":
        # Each subject's form on the page has its own prefix, which the form sends back.
        form = CommentaryForm(request.POST, prefix=request.POST.get("which", "")[:80])
        if (
            form.is_valid()
            and _subject_exists(plan, form.cleaned_data)
            and _in_range(plan, form.cleaned_data["year"])
        ):
            try:
                _write(plan, request.user, form.cleaned_data)
            except IntegrityError:  # another steward saved the same text at the same moment
                messages.error(
                    request, _("Someone saved this commentary at the same time: try again.")
                )
            else:
                messages.success(request, _("The commentary is saved."))
            year = form.cleaned_data["year"]
            return redirect(f"{reverse('commentary', args=[plan.code])}?year={year}")
        texts = " ".join(
            form.errors.get(f, [""])[0] for f in ("text", "text_en") if f in form.errors
        )
        messages.error(
            request,
            _("This commentary could not be saved: %(why)s")
            % {"why": texts or _("check its subject.")},
        )
    current = {
        (c.subject, c.code): c
        for c in Commentary.objects.filter(plan=plan, year=year, superseded_at__isnull=True)
    }
    history = {}
    for c in Commentary.objects.filter(plan=plan, year=year).select_related("written_by"):
        history.setdefault((c.subject, c.code), []).append(c)
    subjects = [(Subject.PLAN, "", plan.label)]
    subjects += [(Subject.AXIS, a.code, f"{a.code} — {a.label}") for a in plan.axes.all()]
    subjects += [(Subject.LEVER, a.code, f"{a.code} — {a.label}") for a in plan.levers.all()]
    subjects += [(Subject.INDICATOR, i.code, i.label) for i in plan.indicators.order_by("order")]
    rows = []
    for subject, code, label in subjects:
        now = current.get((subject, code))
        initial = {"subject": subject, "code": code, "year": year}
        if now:
            initial |= {"text": now.text, "text_en": now.text_en}
        rows.append(
            {
                "subject": Subject(subject).label,
                "label": label,
                "form": CommentaryForm(initial=initial, prefix=f"{subject}-{code}"),
                "history": [
                    c for c in history.get((subject, code), []) if c.pk != getattr(now, "pk", None)
                ],
                "current": now,
            }
        )
    years = range(plan.horizon_start - 1, plan.horizon_end + 2)
    return render(
        request,
        "reports/commentary.html",
        plain_context(plan, access, [(_("Commentary"), "")], rows=rows, year=year, years=years),
    )


def _in_range(plan, year: int) -> bool:
    return plan.horizon_start - 5 <= year <= plan.horizon_end + 5


def _subject_exists(plan, data) -> bool:
    code = data["code"]
    if data["subject"] == Subject.PLAN:
        return code == ""
    manager = {
        Subject.AXIS: plan.axes,
        Subject.LEVER: plan.levers,
        Subject.INDICATOR: plan.indicators,
    }[data["subject"]]
    return manager.filter(code=code).exists()


def _write(plan, user, data) -> None:
    """Record a new text, superseding the one in force; audit it."""
    now = timezone.now()
    with transaction.atomic():
        Commentary.objects.select_for_update().filter(
            plan=plan,
            subject=data["subject"],
            code=data["code"],
            year=data["year"],
            superseded_at__isnull=True,
        ).update(superseded_at=now)
        written = Commentary.objects.create(
            plan=plan,
            subject=data["subject"],
            code=data["code"],
            year=data["year"],
            text=data["text"].strip(),
            text_en=data["text_en"].strip(),
            written_by=user,
            written_at=now,
        )
        AuditEvent.record(
            "commentary.write",
            "commentary",
            f"{data['subject']} {data['code']} {data['year']}".replace("  ", " "),
            actor=user,
            plan=plan.code,
            id=written.pk,
        )
