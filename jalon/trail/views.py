"""The audit trail, to read: a plan's for its stewards, the whole of it for administrators.

Nothing here writes; the trail itself refuses any change (`AuditEvent`).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jalon.access.models import plan_access
from jalon.audit.models import AuditEvent
from jalon.dashboard.views import plain_context
from jalon.trail.forms import TrailFilters

PER_PAGE = 50


def _listing(request, events, context: dict):
    actions = events.order_by("action").values_list("action", flat=True).distinct()
    form = TrailFilters(request.GET or None, actions=list(actions))
    shown = form.apply(events).select_related("actor")
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "trail/trail.html",
        {**context, "form": form, "page": page, "kept": kept.urlencode()},
    )


@require_safe
@login_required
def plan_trail(request, plan):
    """List the plan's audit trail (stewards): loads, targets, figures, rounds, access."""
    plan, access = plan_access(request.user, plan)
    if not access.is_steward:
        raise PermissionDenied
    return _listing(
        request,
        AuditEvent.objects.for_plan(plan.code),
        plain_context(plan, access, [(_("Trail"), "")]),
    )


@require_safe
@login_required
def whole_trail(request):
    """List the whole audit trail (administrators): every plan's, accounts' and the admin's."""
    if not request.user.is_superuser:
        raise PermissionDenied
    return _listing(request, AuditEvent.objects.all(), {"crumbs": [(_("Trail"), "")]})
