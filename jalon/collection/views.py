"""Collecting the figures: rounds and their completeness, the stewards' review queue.

Views read like the dashboard's: access (the role a page needs), form, model rule, render.
Every write goes through the values' own rules (record_revisions, decide), which check,
keep revisions and audit.
"""

import datetime as dt
import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from jalon.access.choices import Role
from jalon.access.models import ancestors, plan_access
from jalon.audit.models import AuditEvent
from jalon.collection.forms import OpenRoundForm, ReopenForm, ReviewForm, UploadForm
from jalon.collection.grid import YEARS_BEFORE, GridProblems, check, rows_for, save
from jalon.collection.models import (
    EXPECTED_STATES,
    STATE_LABELS,
    CollectionRound,
    RoundError,
    Upload,
    UploadStatus,
    scope_for,
)
from jalon.collection.tasks import start
from jalon.collection.workbooks import template_csv, template_xlsx
from jalon.dashboard.figures import format_figure
from jalon.dashboard.views import plain_context
from jalon.values.evaluation import cached_evaluation
from jalon.values.models import Value
from jalon.values.valuefile import decide


def plan_page(request, plan_code: str, *roles: str):
    """Return the plan and the reader's access; raise unless their role is one of ``roles``."""
    plan, access = plan_access(request.user, plan_code)
    if roles and access.role not in roles:
        raise PermissionDenied
    return plan, access


@login_required
def round_list(request, plan):
    """Render the plan's rounds; a steward opens one."""
    plan, access = plan_page(request, plan, Role.STEWARD, Role.CONTRIBUTOR)
    form = None
    if access.is_steward:
        form = OpenRoundForm(request.POST or None, plan=plan)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                round_ = CollectionRound.open(
                    plan,
                    data["year"],
                    data["deadline"],
                    data["indicators"],
                    data["entities"],
                    by=request.user,
                )
            except RoundError as error:
                form.add_error("year", str(error))
            else:
                messages.success(request, _("The round %(year)s is open.") % {"year": round_.year})
                return redirect(reverse("round", args=[plan.code, round_.year]))
    elif request.method == "POST":
        raise PermissionDenied
    rounds = plan.rounds.prefetch_related("entities", "indicators")
    return render(
        request,
        "collection/rounds.html",
        plain_context(
            plan,
            access,
            [(_("Rounds"), "")],
            rounds=rounds,
            form=form,
            mine=access.entity if access.role == Role.CONTRIBUTOR else None,
        ),
    )


@login_required
def round_detail(request, plan, year):
    """Render a round's completeness, entity by entity; a steward closes or reopens it."""
    plan, access = plan_page(request, plan, Role.STEWARD, Role.CONTRIBUTOR)
    round_ = get_object_or_404(CollectionRound, plan=plan, year=year)
    reopen = ReopenForm(request.POST if request.POST.get("action") == "reopen" else None)
    if request.method == "POST":
        if not access.is_steward:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "close":
                round_.close(by=request.user)
                messages.success(request, _("The round is closed: its figures are locked."))
            elif request.POST.get("action") == "reopen" and reopen.is_valid():
                round_.reopen(reopen.cleaned_data["reason"], by=request.user)
                messages.success(request, _("The round is open again."))
            else:
                raise RoundError(_("Say why the round is reopened."))
        except RoundError as error:
            messages.error(request, str(error))
        else:
            return redirect(reverse("round", args=[plan.code, round_.year]))
    rows = round_.completeness()
    events = round_.events.select_related("by", "entity")
    if access.role == Role.CONTRIBUTOR:  # their own entity only
        rows = [r for r in rows if r["entity"].pk == access.entity_id]
        events = events.filter(Q(entity__isnull=True) | Q(entity_id=access.entity_id))
    return render(
        request,
        "collection/round.html",
        plain_context(
            plan,
            access,
            [(_("Rounds"), reverse("rounds", args=[plan.code])), (str(round_.year), "")],
            round=round_,
            rows=rows,
            states=[(s, STATE_LABELS[s]) for s in EXPECTED_STATES],
            events=events,
            reopen=reopen,
        ),
    )


@login_required
def review(request, plan):
    """Render the submitted figures for a steward to approve or return, one or many."""
    plan, access = plan_page(request, plan, Role.STEWARD)
    form = ReviewForm(request.POST or None, plan=plan)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            chosen = list(data["figures"].select_related("indicator__plan", "entity", "source"))
            try:
                decide(chosen, data["decision"], data["comment"], actor=request.user)
            except ValueError as error:
                messages.error(request, str(error))
            else:
                if data["decision"] == "approved":
                    said = ngettext(
                        "%(count)s figure approved.", "%(count)s figures approved.", len(chosen)
                    )
                else:
                    said = ngettext(
                        "%(count)s figure returned.", "%(count)s figures returned.", len(chosen)
                    )
                messages.success(request, said % {"count": len(chosen)})
                return redirect(reverse("review", args=[plan.code]))
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
    items = queue(plan)
    return render(
        request,
        "collection/review.html",
        plain_context(
            plan,
            access,
            [(_("Review"), "")],
            items=items,
            form=form,
            has_examples=any(i["value"].is_example for i in items),
        ),
    )


def queue(plan) -> list[dict]:
    """Return each submitted figure with the previous one, the change and the target.

    The previous figure is the figure of record of the same period if there is one (a
    correction), else the latest approved figure before it.
    """
    submitted = list(
        Value.objects.current()
        .filter(indicator__plan=plan, state="submitted")
        .select_related("indicator__plan", "entity", "recorded_by", "source", "member__dimension")
        .order_by("entity__name", "indicator__order", "period", "member__dimension", "member")
    )
    pairs = {(v.indicator_id, v.entity_id) for v in submitted}
    approved: dict[tuple, list] = {}
    for v in (
        Value.objects.current()
        .counting()
        .filter(indicator__in={k[0] for k in pairs}, entity__in={k[1] for k in pairs})
        .order_by("period")
    ):
        approved.setdefault((v.indicator_id, v.entity_id, v.member_id), []).append(v)
    pe = cached_evaluation(plan) if submitted else None
    items = []
    for value in submitted:
        indicator = value.indicator
        earlier = [
            v
            for v in approved.get((value.indicator_id, value.entity_id, value.member_id), [])
            if v.period <= value.period
        ]
        before = earlier[-1] if earlier else None
        target, target_period = None, None
        if pe is not None and indicator.code in pe.indicators and value.member_id is None:
            r = pe.result(indicator.code)
            row = pe.tree.codes.index(value.entity.code)
            if not math.isnan(r.target[row]):
                target, target_period = float(r.target[row]), r.target_period[row]
        change = (
            value.number - before.number
            if before and before.number is not None and value.number is not None
            else None
        )
        items.append(
            {
                "value": value,
                "figure": format_figure(value.number, indicator),
                "before": format_figure(before.number, indicator) if before else "—",
                "before_period": before.period if before else "",
                "correction": before is not None and before.period == value.period,
                "change": format_figure(abs(change), indicator) if change is not None else "—",
                "sign": "" if change is None else ("+" if change >= 0 else "−"),
                "target": (
                    f"{format_figure(target, indicator)} ({target_period.code})"
                    if target is not None
                    else "—"
                ),
            }
        )
    return items


def grid_page(request, plan_code: str, year: int, entity_code: str):
    """Return the plan, access, round and entity of a grid; raise unless the reader writes there.

    A steward writes for every entity of the round; a contributor for their own (and those
    below it). Anyone else, or an entity outside the round, gets 403 or 404.
    """
    plan, access = plan_page(request, plan_code, Role.STEWARD, Role.CONTRIBUTOR)
    round_ = get_object_or_404(CollectionRound, plan=plan, year=year)
    entity = get_object_or_404(round_.entities, code=entity_code)
    if not access.is_steward and not (
        entity.pk == access.entity_id or access.entity_id in {a.pk for a in ancestors(entity)}
    ):
        raise Http404  # out of scope answers as if missing
    return plan, access, round_, entity


def _may_write(access, round_) -> bool:
    return access.is_steward or round_.is_open


@login_required
def grid(request, plan, year, entity):
    """Render an entity's grid for a round; save its figures as drafts, or submit them."""
    plan, access, round_, entity = grid_page(request, plan, year, entity)
    writable = _may_write(access, round_)
    pe = cached_evaluation(plan)
    rows = rows_for(round_, entity, pe)
    published = request.POST.get("published", "") if request.method == "POST" else ""
    if request.method == "POST":
        if not writable:
            raise PermissionDenied
        action = "submit" if request.POST.get("action") == "submit" else "draft"
        try:
            day = dt.date.fromisoformat(published) if published else None
        except ValueError:
            messages.error(request, _("The publication date is no date: write it 2023-01-31."))
        else:
            try:
                saved = save(
                    rows,
                    request.POST,
                    round_=round_,
                    entity=entity,
                    access=access,
                    action=action,
                    published=day,
                    actor=request.user,
                )
            except GridProblems as error:
                for row in rows:  # checked by save; the values' rules may add a problem
                    if not (row.problem or row.asks):
                        row.problem = error.problems.get(row.code, "")
                if "grid" in error.problems:
                    messages.error(request, error.problems["grid"])
                messages.error(request, _("Nothing was saved: see the figures marked below."))
            else:
                counts = saved.report.counts
                if not saved.written:
                    said = _("Nothing to save: no figure changed.")
                elif action == "submit":
                    said = ngettext(
                        "%(count)s figure submitted for approval.",
                        "%(count)s figures submitted for approval.",
                        counts["submitted"],
                    ) % {"count": counts["submitted"]}
                else:
                    said = ngettext(
                        "%(count)s figure saved as draft.",
                        "%(count)s figures saved as drafts.",
                        counts["draft"],
                    ) % {"count": counts["draft"]}
                messages.success(request, said)
                return redirect(reverse("grid", args=[plan.code, round_.year, entity.code]))
    return render(
        request,
        "collection/grid.html",
        plain_context(
            plan,
            access,
            [
                (_("Rounds"), reverse("rounds", args=[plan.code])),
                (str(round_.year), reverse("round", args=[plan.code, round_.year])),
                (entity.name, ""),
            ],
            round=round_,
            entity=entity,
            rows=rows,
            years=list(range(round_.year - YEARS_BEFORE, round_.year)),
            writable=writable,
            published=published,
            returned=[r for r in rows if r.returned_comment],
            has_examples=any(example for r in rows for *_, example in r.past),
        ),
    )


@require_POST
@login_required
def grid_check(request, plan, year, entity):
    """Return one row's feedback as one types (htmx): the problem, or the comment it needs."""
    plan, access, round_, entity = grid_page(request, plan, year, entity)
    # The cell that changed names the row: v-<code> for the figure, c-<code> for its comment.
    trigger = request.htmx.trigger_name or request.POST.get("row", "")
    code = trigger[2:] if trigger[:2] in ("v-", "c-") else trigger
    pe = cached_evaluation(plan)
    rows = {r.code: r for r in rows_for(round_, entity, pe)}
    if code not in rows:
        raise Http404
    row = check(
        rows[code],
        request.POST.get(f"v-{code}", ""),
        request.POST.get(f"c-{code}", ""),
        plan,
    )
    return render(request, "collection/cell_note.html", {"row": row})


PHASES = {
    "queued": gettext_lazy("Waiting for a worker (jalon worker)"),
    "reading": gettext_lazy("Reading the file"),
    "checking": gettext_lazy("Checking the figures"),
    "writing": gettext_lazy("Checking and writing the figures, all in one transaction"),
    "done": gettext_lazy("Done"),
}


@login_required
def import_page(request, plan):
    """Receive a file of figures: it is checked at once (or on a worker), then previewed."""
    plan, access = plan_page(request, plan, Role.STEWARD, Role.CONTRIBUTOR)
    states = scope_for(access).states
    form = UploadForm(request.POST or None, request.FILES or None, states=states)
    if request.method == "POST" and form.is_valid():
        sent = form.cleaned_data["file"]
        data = sent.read()
        upload = Upload.objects.create(
            plan=plan,
            filename=sent.name[-200:],
            data=data,
            size=len(data),
            state=form.cleaned_data["state"],
            uploaded_by=request.user,
        )
        AuditEvent.record(
            "values.upload",
            "plan",
            plan.code,
            actor=request.user,
            plan=plan.code,
            file=upload.filename,
        )
        start(upload, dry_run=True)
        return redirect(reverse("upload", args=[plan.code, upload.pk]))
    uploads = plan.uploads.filter(uploaded_by=request.user).defer("data")[:10]
    return render(
        request,
        "collection/import.html",
        plain_context(plan, access, [(_("Import"), "")], form=form, uploads=uploads),
    )


@login_required
def upload_detail(request, plan, pk):
    """Render an upload: its progress, its preview (then import it), or its problems."""
    plan, access = plan_page(request, plan, Role.STEWARD, Role.CONTRIBUTOR)
    upload = get_object_or_404(plan.uploads.defer("data"), pk=pk)
    if upload.uploaded_by_id != request.user.pk and not access.is_steward:
        raise Http404  # someone else's upload answers as if missing
    upload.give_up_if_stale()
    if request.method == "POST":
        if upload.uploaded_by_id != request.user.pk:
            raise PermissionDenied
        if request.POST.get("action") == "import" and upload.status == UploadStatus.READY:
            start(upload, dry_run=False)
        elif request.POST.get("action") == "cancel" and upload.status == UploadStatus.READY:
            upload.status, upload.data = UploadStatus.REFUSED, b""
            upload.problems = [_("Cancelled: nothing was imported.")]
            upload.save(update_fields=["status", "data", "problems"])
        return redirect(reverse("upload", args=[plan.code, upload.pk]))
    if request.htmx and not upload.working:
        return HttpResponseClientRefresh()  # done: the whole page shows the outcome
    template = "collection/upload_progress.html" if request.htmx else "collection/upload.html"
    return render(
        request,
        template,
        plain_context(
            plan,
            access,
            [(_("Import"), reverse("import", args=[plan.code])), (upload.filename, "")],
            upload=upload,
            phase=PHASES.get(upload.phase, upload.phase),
            percent=round(upload.progress * 100),
            outcomes=OUTCOMES,
        ),
    )


OUTCOMES = {
    "new": gettext_lazy("new"),
    "revised": gettext_lazy("revised"),
    "unchanged": gettext_lazy("unchanged"),
    "withdrawn": gettext_lazy("withdrawn"),
}


@require_safe
@login_required
def grid_template(request, plan, year, entity, kind):
    """Return the entity's template for the round, XLSX or CSV, to fill in and import."""
    if kind not in ("xlsx", "csv"):
        raise Http404
    plan, access, round_, entity = grid_page(request, plan, year, entity)
    rows = rows_for(round_, entity, cached_evaluation(plan))
    name = f"{plan.code}-{round_.year}-{entity.code}"
    if kind == "xlsx":
        title = _("%(entity)s — figures for the round %(year)s of %(plan)s") % {
            "entity": entity.name,
            "year": round_.year,
            "plan": plan.label,
        }
        response = HttpResponse(
            template_xlsx(rows, entity.code, title),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(template_csv(rows, entity.code), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response
