"""The address a request comes from, as far as Jalon can trust it."""

from django.conf import settings


def client_address(request) -> str:
    """Return the client's address: the connection's, or, behind `PROXY_COUNT` proxies,
    the one the outermost of them saw (X-Forwarded-For, read from its end, where each
    proxy adds the address it received the request from: what comes before may be
    forged by the client)."""
    count = settings.PROXY_COUNT
    if count > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR", "")
