"""Downloads of the pages' tables: figures (long or wide) and the revisions' history.

Each reads the page's own filters (year, "as of", submitted figures) through the
dashboard's `open_page`, so it checks the same access and shows the same figures, and
keeps to the entities the reader may see.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from jalon.dashboard.views import open_page
from jalon.exports.files import as_csv, as_xlsx
from jalon.exports.tables import LONG_COLUMNS, Selection, long_rows, wide_rows

TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HISTORY_COLUMNS = (
    "indicator",
    "entity",
    "period",
    "member",
    "value",
    "text",
    "state",
    "revision",
    "comment",
    "source",
    "published",
    "recorded_at",
    "recorded_by",
    "superseded_at",
)


def _chosen(page, request):
    """Return the indicators and entity rows asked for (all by default), within scope."""
    plan = page.plan
    indicators = list(plan.indicators.exclude(kind="qualitative").order_by("order", "code"))
    asked = request.GET.getlist("indicator")
    if asked:
        known = {i.code: i for i in indicators}
        if any(code not in known for code in asked):
            raise Http404
        indicators = [known[code] for code in dict.fromkeys(asked)]
    codes = page.pe.tree.codes
    asked = request.GET.getlist("entity")
    if asked:
        if any(code not in codes for code in asked):
            raise Http404
        rows = [codes.index(code) for code in dict.fromkeys(asked)]
        if not all(page.visible(row) for row in rows):
            raise Http404  # out of scope answers as if missing
    else:
        rows = [row for row in range(len(codes)) if page.visible(row)]
    return indicators, rows


def _local(moment) -> str | None:
    """Return a moment in the site's time zone, as people read it: 2023-01-31T09:15:00+01:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _send(data: bytes, kind: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _table(kind: str, header, rows, name: str) -> HttpResponse:
    data = as_csv(header, rows) if kind == "csv" else as_xlsx(header, rows, name)
    return _send(data, kind, name)


@require_safe
@login_required
def figures(request, plan, kind):
    """Download figures as the pages show them: ?indicator=…&entity=…&shape=long|wide."""
    if kind not in TYPES:
        raise Http404
    page = open_page(request, plan)
    indicators, rows = _chosen(page, request)
    names = {e.code: e.name for e in page.entities()}
    selection = Selection(indicators=indicators, rows=rows, year=page.year)
    name = f"{page.plan.code}-figures" + (f"-{page.year}" if page.year else "")
    if request.GET.get("shape") == "wide":
        header, table = wide_rows(page.pe, selection, names)
        return _table(kind, header, table, name + "-wide")
    return _table(kind, list(LONG_COLUMNS), long_rows(page.pe, selection, names), name)


@require_safe
@login_required
def history(request, plan, kind):
    """Download the revisions of figures the reader may see, as of the page's date."""
    if kind not in TYPES:
        raise Http404
    page = open_page(request, plan)
    indicators, rows = _chosen(page, request)
    codes = [page.pe.tree.codes[row] for row in rows]
    values = (
        page.history()
        .filter(indicator__in=indicators, entity__code__in=codes)
        .select_related("indicator", "entity", "member__dimension", "source", "recorded_by")
        .order_by("indicator__order", "indicator__code", "entity__code", "period", "revision")
    )
    table = [
        [
            v.indicator.code,
            v.entity.code,
            v.period,
            f"{v.member.dimension.code}/{v.member.code}" if v.member else None,
            v.number,
            v.text or None,
            v.state,
            v.revision,
            v.comment or None,
            v.source.code if v.source else None,
            timezone.localdate(v.published_at).isoformat() if v.published_at else None,
            _local(v.recorded_at),
            v.recorded_by.get_username() if v.recorded_by else v.recorded_via,
            _local(v.superseded_at),
        ]
        for v in values.iterator(chunk_size=2000)
    ]
    return _table(kind, list(HISTORY_COLUMNS), table, f"{page.plan.code}-history")
