"""Personal access tokens, on a page of their own: made (the token shown once), listed,
revoked. Each person sees and revokes only theirs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from jalon.api.forms import TokenForm
from jalon.api.models import ApiToken


@never_cache
@login_required
def tokens(request):
    """Render the reader's tokens; make one (shown once) or revoke one."""
    form = TokenForm(request.POST if request.POST.get("action") == "make" else None)
    made = None
    if request.method == "POST" and request.POST.get("action") == "revoke":
        pk = request.POST.get("token", "")
        token = (
            ApiToken.objects.filter(pk=int(pk), user=request.user).first() if pk.isdigit() else None
        )
        if token is None:
            messages.error(request, _("No such token."))
        else:
            token.revoke(by=request.user)
            messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
        return redirect(reverse("tokens"))
    if form.is_valid():
        data = form.cleaned_data
        _token, made = ApiToken.make(
            request.user, data["name"], read_only=not data["writes"], days=data["days"] or None
        )
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": request.user.api_tokens.all(),
            "crumbs": [(_("API tokens"), "")],
        },
    )
