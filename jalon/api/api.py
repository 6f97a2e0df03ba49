"""The JSON API, `/api/v1/`: the plans, their figures and evaluations, as the pages show
them to the token's owner — same access, same disclosure control — and figures written
with exactly the import's checks.

One error shape everywhere: ``{"error": {"code": "...", "message": "...", "problems": []}}``.
"""

import contextlib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_safe
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import AnonRateThrottle, UserRateThrottle

from jalon.api.models import ApiToken

SAFE = ("GET", "HEAD", "OPTIONS")


class ProblemOut(Schema):
    where: str = ""
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    problems: list[ProblemOut] = []


class ErrorOut(Schema):
    error: ErrorBody


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class ApiError(Exception):
    """An answer the API gives as its one error shape."""

    def __init__(self, status: int, code: str, message: str, problems=()):
        super().__init__(message)
        self.status, self.code, self.message, self.problems = status, code, message, list(problems)


class TokenAuth(HttpBearer):
    """A personal access token in ``Authorization: Bearer …``: the request acts as its
    owner; a read-only token reads only."""

    def authenticate(self, request, token):
        found = ApiToken.holder(token)
        if found is None or not found.user.is_active:
            return None
        if found.read_only and request.method not in SAFE:
            raise ApiError(403, "read_only_token", "this token only reads: make one that writes")
        request.user = found.user
        request.api_token = found
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 300:
            # When it was last used, to the nearest few minutes; never worth failing a
            # read for (the database may be busy with an import).
            with contextlib.suppress(DatabaseError):
                ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found


api = NinjaAPI(
    title="Jalon",
    version="1",
    urls_namespace="api",
    description="Strategic-plan execution: plans, figures, evaluations. A personal access"
    " token (made on the Tokens page) goes in `Authorization: Bearer <token>`.",
    auth=TokenAuth(),
    docs_decorator=require_safe,  # the document and its page are read, never posted to
    throttle=[
        AnonRateThrottle(settings.JALON_API_RATE_ANONYMOUS),
        UserRateThrottle(settings.JALON_API_RATE),  # per owner, however many tokens
    ],
)


def _error(request, status: int, code: str, message: str, problems=()):
    body = {"code": code, "message": message, "problems": list(problems)}
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(ApiError)
def _api_error(request, error: ApiError):
    return _error(request, error.status, error.code, error.message, error.problems)


@api.exception_handler(Http404)
def _not_found(request, error):
    return _error(request, 404, "not_found", "nothing here, or nothing you may see")


@api.exception_handler(PermissionDenied)
def _forbidden(request, error):
    return _error(request, 403, "forbidden", "your access does not allow this")


@api.exception_handler(AuthenticationError)
def _unauthorized(request, error):
    return _error(request, 401, "unauthorized", "a valid token is needed: Authorization: Bearer …")


@api.exception_handler(Throttled)
def _throttled(request, error):
    response = _error(request, 429, "throttled", "too many requests: wait a little")
    if error.wait:
        response["Retry-After"] = str(int(error.wait) + 1)
    return response


@api.exception_handler(ValidationError)
def _invalid(request, error: ValidationError):
    problems = [
        {"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in error.errors
    ]
    return _error(request, 422, "invalid_request", "the request does not fit its schema", problems)


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    return _error(request, error.status_code, "error", str(error))


from jalon.api import routes  # noqa: E402, F401 - the endpoints, registered on `api`
