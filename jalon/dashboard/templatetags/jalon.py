from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jalon.dashboard.figures import (
    PROJECT_STATUS_LABELS,
    STATUS_LABELS,
    format_figure,
    format_percent,
    format_rate,
    format_with_unit,
)
from jalon.plans.links import web_address
from jalon.plans.models import in_reader_language

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
    return format_with_unit(value, indicator)


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


LANGUAGE_NAMES = {"fr": gettext_lazy("in French"), "en": gettext_lazy("in English")}


@register.simple_tag(takes_context=True)
def text(context, record, field: str, limit: int = 0) -> str:
    """Write a plan text in the reader's language, or say that it falls back to the other.

    The text is in the plan's language; its `…_en` field, where the file gives it, in
    English. A fallback keeps its language (`lang`) and a mark that says which it is.
    ``limit`` cuts a long text to that many characters.
    """
    plan = context.get("plan")
    original = getattr(plan, "language", None) or getattr(
        getattr(record, "plan", None), "language", "fr"
    )
    words, fallback = in_reader_language(record, field, original)
    if limit:
        words = Truncator(words).chars(limit)
    if fallback is None:
        return words  # escaped by simple_tag
    return format_html(
        '<span lang="{}">{}</span> <small class="other-language" title="{}">({})</small>',
        fallback,
        words,
        _("Not given in your language: shown as the plan writes it."),
        LANGUAGE_NAMES[fallback],
    )
