from django import template
from django.utils.safestring import mark_safe

from jalon.dashboard.figures import (
    PROJECT_STATUS_LABELS,
    STATUS_LABELS,
    format_figure,
    format_percent,
    format_rate,
)
from jalon.plans.links import web_address

register = template.Library()


@register.filter
def web_link(address):
    """Return ``address`` if it may be a link (http or https), else "": no other scheme,
    ``javascript:`` least of all, ever becomes a link on a page."""
    return web_address(address)


@register.filter
def minutes(duration) -> int:
    """Return a duration (a timedelta) in whole minutes, at least 1; 0 for none."""
    if not duration:
        return 0
    return max(1, round(duration.total_seconds() / 60))


@register.filter
def figure(value, indicator):
    """Return a figure of ``indicator`` in the active language; "no data" where there is none."""
    return format_figure(value, indicator)


@register.filter
def with_unit(value, indicator):
    """Return a figure with its unit, for a table of several indicators: 13,000 students."""
    from jalon.dashboard.charts import shown

    return shown(value, indicator)


@register.filter
def percent(value, digits=0):
    """Return a fraction as a percentage, rounded (0.38 → 38 %)."""
    return format_percent(value, int(digits))


@register.filter
def rate(value):
    return format_rate(value)


@register.filter
def status_label(status):
    return STATUS_LABELS.get(str(status), status)


@register.inclusion_tag("dashboard/_status.html")
def status_badge(status, label=None):
    return {"status": str(status), "label": label or STATUS_LABELS.get(str(status), status)}


@register.filter
def project_status_label(status):
    return PROJECT_STATUS_LABELS.get(str(status), status)


@register.simple_tag(takes_context=True)
def here(context, url: str, exact: bool = False) -> str:
    """Return ` aria-current="page"` where ``url`` is the page shown (or, unless ``exact``,
    the section it belongs to): the menu marks where the reader is."""
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    if path == url or (not exact and path.startswith(url)):
        return mark_safe(' aria-current="page"')  # a fixed attribute, nothing of the reader's
    return ""
