"""The error pages: styled, in the reader's language, with the plan's menu where the reader
may see the plan, and what to do next. The 500 page asks nothing of the database."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve


def _plan_of(request) -> dict:
    """Return the plan and access of the page asked for, if the reader may see that plan."""
    try:
        code = resolve(request.path_info).kwargs.get("plan")
    except Resolver404:
        return {}
    if not code or not request.user.is_authenticated:
        return {}
    from jalon.access.models import Access

    access = (
        Access.objects.select_related("plan__organisation", "entity")
        .filter(user=request.user, plan__code=code)
        .first()
    )
    return {"plan": access.plan, "access": access, "query": ""} if access else {}


def not_found(request, exception=None):
    return render(request, "404.html", _plan_of(request), status=404)


def forbidden(request, exception=None):
    return render(request, "403.html", _plan_of(request), status=403)


def server_error(request):
    return HttpResponseServerError(loader.get_template("500.html").render({}, request))
