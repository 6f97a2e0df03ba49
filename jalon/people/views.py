"""Who may do what with a plan: the steward's access page, and setting one's password.

The view reads like the dashboard's: access (stewards only), form, model rule, render;
every change goes through Access.grant / Access.revoke, which audit it.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jalon.access.models import Access, AccessError, plan_access
from jalon.dashboard.views import plain_context
from jalon.people.forms import GrantForm, InviteForm, RevokeForm
from jalon.people.invitations import invite


def steward_access(user, plan_code: str):
    """Return the plan and the user's access; raise unless they steward it."""
    plan, access = plan_access(user, plan_code)
    if not access.is_steward:
        raise PermissionDenied
    return plan, access


@login_required
def access_page(request, plan):
    """Render who has access to the plan; grant, invite and revoke (stewards only)."""
    plan, access = steward_access(request.user, plan)
    action = request.POST.get("action") if request.method == "POST" else None
    grant = GrantForm(request.POST if action == "grant" else None, plan=plan, prefix="grant")
    invitation = InviteForm(
        request.POST if action == "invite" else None, plan=plan, prefix="invite"
    )
    revoke = RevokeForm(request.POST if action == "revoke" else None, plan=plan)
    done = None
    try:
        if action == "grant" and grant.is_valid():
            data = grant.cleaned_data
            Access.grant(grant.user, plan, data["role"], data["entity"], by=request.user)
            done = _("%(user)s now has access.") % {"user": data["username"]}
        elif action == "invite" and invitation.is_valid():
            data = invitation.cleaned_data
            invite(
                data["email"],
                plan,
                data["role"],
                data["entity"],
                by=request.user,
                build_url=request.build_absolute_uri,
            )
            done = _("%(email)s is invited: an e-mail is on its way.") % {"email": data["email"]}
        elif action == "revoke" and revoke.is_valid():
            gone = revoke.cleaned_data["access"]
            Access.revoke(gone.user, plan, by=request.user)
            done = _("%(user)s no longer has access.") % {"user": gone.user.get_username()}
    except AccessError as error:
        messages.error(request, str(error))
    else:
        if done:
            messages.success(request, done)
            return redirect(reverse("access", args=[plan.code]))
    accesses = (
        Access.objects.filter(plan=plan)
        .select_related("user", "entity")
        .order_by("role", "user__username")
    )
    return render(
        request,
        "people/access.html",
        plain_context(
            plan,
            access,
            [(_("Access"), "")],
            accesses=accesses,
            grant=grant,
            invitation=invitation,
        ),
    )


class Logout(auth_views.LogoutView):
    """Log out on POST (the header's button); a link (GET) shows a page that asks, so a
    link elsewhere can never log anyone out unasked."""

    http_method_names = ["get", "post", "options"]
    template_name = "people/logout.html"

    def get(self, request, *args, **kwargs):
        return render(request, self.template_name, {})
