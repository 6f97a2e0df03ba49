"""Dashboard pages served again, per process, while nothing they show can have changed.

A dashboard page is a function of the database, the day, the reader, their language and
the address. Every change to the database goes into the audit trail, so the trail's
latest event stands for the database; the plan's data and structure stamps are in the
key too, for a change made outside Jalon's own pages, and so is the reader's access as
it is now. A page is kept for the same address, reader and access, language, day,
latest event and stamps, and served again byte for byte but for its CSRF token, which
is each request's own. Nothing is kept for a page that carries a message (shown once),
nor for an answer other than a whole HTML page.

Each process keeps at most `LIMIT` bytes of pages, the least recently served going
first: a busy plan's overview is made once per change, not once per request. A page kept
before the latest change, or on an earlier day, can never be served again: the first page
kept after a change lets every older one go, so a process holds only current pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections import OrderedDict

from django.contrib.messages import get_messages
from django.db.models import FilteredRelation, Q, Subquery
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from jalon.audit.models import AuditEvent
from jalon.plans.models import Plan

LIMIT = 16 * 2**20  # bytes of pages per process
_TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")([^"]*)(")')
_PLACE = b"\0csrf\0"  # where a request's own token goes; never in an HTML page
_KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Cache-Control", "X-Frame-Options")

_pages: OrderedDict = OrderedDict()
_size = 0
_moment: tuple = (dt.date.min, 0)  # the day and latest event of the pages kept
_lock = threading.Lock()


def cached_page(view):
    """Serve ``view``'s page again while its key holds (see the module's docstring)."""

    @functools.wraps(view)
    def wrapper(request, plan, *args, **kwargs):
        if request.method != "GET" or len(get_messages(request)):
            return view(request, plan, *args, **kwargs)
        key = _key(request, plan)
        with _lock:
            kept = _pages.get(key)
            if kept is not None:
                _pages.move_to_end(key)
        if kept is not None:
            return _served(request, *kept)
        response = view(request, plan, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and not response.cookies
        ):
            body = _TOKEN.sub(rb"\1" + _PLACE + rb"\3", response.content)
            headers = {h: response[h] for h in _KEPT_HEADERS if response.has_header(h)}
            _keep(key, (body, headers))
        return response

    return wrapper


def _key(request, plan_code: str) -> tuple:
    # One query for what a kept page rests on: the plan's stamps, the trail's latest event,
    # and the reader's access as it is now, whatever path changed it (a revoked reader is
    # refused at once, even a page they were shown before). Three queries made a kept
    # page's time half database round trips on PostgreSQL.
    rows = list(
        Plan.objects.filter(code=plan_code)
        .order_by()
        .annotate(
            latest=Subquery(AuditEvent.objects.order_by("-pk").values("pk")[:1]),
            mine=FilteredRelation("accesses", condition=Q(accesses__user=request.user.pk)),
        )
        .values_list("data_stamp", "structure_stamp", "latest", "mine__role", "mine__entity_id")
    )
    if rows:
        stamps, latest = rows[0][:2], rows[0][2]
    else:  # no such plan: the view says so, and nothing is kept
        stamps, latest = (), AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    access = frozenset((role, entity) for *_, role, entity in rows if role is not None)
    moment = (dt.date.today(), latest or 0)  # first: `_keep` lets older moments go
    return (
        moment,
        access,
        request.get_full_path(),
        request.user.pk,
        translation.get_language(),
        stamps,
    )


def _served(request, body: bytes, headers: dict) -> HttpResponse:
    token = get_token(request).encode()  # and the CSRF cookie set, as a render would
    response = HttpResponse(body.replace(_PLACE, token))
    for name, value in headers.items():
        response[name] = value
    return response


def _keep(key: tuple, page: tuple[bytes, dict]) -> None:
    global _size, _moment
    size = len(page[0])
    if size > LIMIT // 4:
        return
    moment = key[0]
    with _lock:
        if moment < _moment:
            return  # made while a change landed: already out of date
        if moment > _moment:
            _pages.clear()
            _size, _moment = 0, moment
        if key in _pages:
            return
        _pages[key] = page
        _size += size
        while _size > LIMIT:
            _, (body, _) = _pages.popitem(last=False)
            _size -= len(body)


def clear() -> None:
    """Forget every kept page (tests: each starts with none)."""
    global _size, _moment
    with _lock:
        _pages.clear()
        _size, _moment = 0, (dt.date.min, 0)
