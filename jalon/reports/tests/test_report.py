"""The board report: its PDF in both languages says the engine's figures, statuses and
sources; its HTML is the same bytes for the same data and date; the commentary valid at
its date; a contributor's report covers what they may see; made from the web by a worker."""

import base64
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation
from pypdf import PdfReader

from jalon.access.models import Access
from jalon.dashboard.figures import STATUS_LABELS, figure_at, format_figure, period_for_year
from jalon.dashboard.tests.conftest import PLAN, personas  # noqa: F401 - the roles' clients
from jalon.dashboard.views import scoped_evaluation
from jalon.plans.models import Plan
from jalon.reports import content
from jalon.reports.content import build_report
from jalon.reports.models import Commentary, Report
from jalon.reports.render import report_html
from jalon.reports.tasks import run
from jalon.values.evaluation import evaluate_plan
from jalon.values.models import Value
from jalon.values.valuefile import store_values

AS_OF = dt.date(2025, 6, 30)


def _text(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    # Spaces of every width read as one: the French groups digits with a narrow one.
    return re.sub(r"[\s\u00a0\u202f]+", " ", "\n".join(p.extract_text() for p in pages))


PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.parametrize(("language", "year"), [("fr", None), ("en", 2021)])
def test_the_pdf_says_the_engines_figures_statuses_and_sources(
    imt_values, tmp_path, language, year
):
    out = tmp_path / "report.pdf"
    period = ["--period", str(year)] if year else []
    call_command(
        "report", "--format", "pdf", "-o", str(out), "--as-of", AS_OF.isoformat(),
        "--lang", language, *period,
    )  # fmt: skip
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 10
    text = _text(pdf)
    plan = Plan.objects.get(code=PLAN)
    pe = evaluate_plan(plan, as_of=dt.datetime(2025, 6, 30, 23, 59, tzinfo=dt.UTC))
    root = pe.tree.codes.index("imt")
    with translation.override(language):
        assert plan.label in text
        checked = 0
        for indicator in plan.indicators.filter(headline=True):
            fig = figure_at(pe, indicator, root, period_for_year(year, indicator))
            figure = format_figure(fig.value, indicator).replace("\u202f", " ").replace("\xa0", " ")
            assert figure in text, (indicator.code, figure)
            assert str(STATUS_LABELS[fig.status]) in text
            if year and fig.probability is not None and not fig.past:
                # The probability the engine gives (61 % for the start-ups in 2021).
                assert f"{round(fig.probability * 100)} %" in text, indicator.code
                checked += 1
            checked += 1
        assert checked >= (5 if year else 4)  # 2021: all four have a probability
        for source in plan.sources.filter(is_example=False)[:3]:
            title = source.title_en if language == "en" and source.title_en else source.title
            assert title[:30].replace("\xa0", " ") in text, title
    said = {
        "fr": ("Synthèse", "Données au 30 juin 2025", "Sources et méthodes"),
        "en": ("Executive summary", "Data as of June 30, 2025", "Sources and methods"),
    }[language]
    for words in said:
        assert words in text, words
    assert re.search(r"\b5 / \d+\b", text)  # numbered pages: "5 / 23"
    _first_pages_render(out, tmp_path)


def _first_pages_render(pdf, folder) -> None:
    """Render the first pages to PNG, as the README's image is made (poppler's pdftoppm)."""
    if PDFTOPPM is None:
        if os.environ.get("JALON_REQUIRE_BROWSER") == "1":
            raise AssertionError("pdftoppm is required (apt-get install poppler-utils)")
        print("\n!! SKIPPED: rendering the report's pages needs pdftoppm (poppler-utils).")
        return
    subprocess.run(
        [PDFTOPPM, "-png", "-r", "50", "-f", "1", "-l", "3", str(pdf), str(folder / "page")],
        check=True,
        timeout=120,
    )
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) == 3
    for page in pages:
        assert page.read_bytes().startswith(b"\x89PNG") and page.stat().st_size > 5_000


def test_the_same_data_and_date_give_the_same_html(imt_values, tmp_path):
    one, two = tmp_path / "1.html", tmp_path / "2.html"
    for out in (one, two):
        call_command("report", "--format", "html", "-o", str(out), "--as-of", "2025-06-30")
    assert one.read_bytes() == two.read_bytes()
    # The charts, drawn offline as SVG, are images of the document.
    drawn = re.findall(rb'src="data:image/svg\+xml;base64,([^"]+)"', one.read_bytes())
    assert drawn and all(base64.b64decode(d).startswith(b"<svg") for d in drawn)


def test_todays_report_reads_the_current_evaluation_only_where_it_is_what_today_knows(
    imt_values,
):
    plan = Plan.objects.get(code=PLAN)
    access = Access(plan=plan, role="steward")
    today = timezone.localdate()

    def both() -> tuple[str, str]:
        quick = report_html(build_report(plan, access, as_of=today, language="en"))
        with mock.patch.object(
            content, "_evaluation", lambda p, a, day: scoped_evaluation(p, a, as_of=day)
        ):
            read = report_html(build_report(plan, access, as_of=today, language="en"))
        return quick, read

    assert content._evaluation(plan, access, today)[0].as_of is None  # the pages' own
    quick, read = both()
    assert quick == read
    # A figure its source publishes next week is not known today: the report reads what
    # was known at the end of today, not the current evaluation.
    later = Value.objects.filter(indicator__plan=plan, superseded_at=None).first()
    later.published_at = timezone.now() + dt.timedelta(days=7)
    later.save()
    assert content._evaluation(plan, access, today)[0].as_of is not None
    quick, read = both()
    assert quick == read


def test_the_report_shows_the_commentary_valid_at_its_date(imt_values):
    plan = Plan.objects.get(code=PLAN)
    steward = get_user_model().objects.create_user("writer")
    first = Commentary.objects.create(
        plan=plan, subject="axis", code="A1", year=2025, text="Premier texte.",
        text_en="First text.", written_by=steward,
        written_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    first.superseded_at = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    first.save()
    Commentary.objects.create(
        plan=plan, subject="axis", code="A1", year=2025, text="Second texte.",
        written_by=steward, written_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    access = Access(plan=plan, role="steward")

    def html(day, language):
        return report_html(build_report(plan, access, as_of=day, language=language, year=2025))

    assert "First text." in html(dt.date(2025, 6, 30), "en")
    later = html(dt.date(2025, 10, 1), "en")
    assert "Second texte." in later and 'lang="fr"' in later  # no English: said so
    assert "No commentary was written for this period." in later  # the other parts
    assert "Premier texte" not in html(dt.date(2025, 2, 1), "fr")
    # A text emptied says nothing: the report says none was written.
    Commentary.objects.filter(superseded_at__isnull=True).update(text="", text_en=" ")
    emptied = html(dt.date(2025, 10, 1), "en")
    part = emptied.split('id="axis-A1"')[1].split("</section>")[0]
    assert "No commentary was written for this period." in part


def test_a_contributors_report_covers_what_they_may_see(personas, tmp_path):  # noqa: F811
    out = tmp_path / "mine.html"
    call_command("report", "--format", "html", "-o", str(out), "--user", "contributor")
    html = out.read_text()
    annex = html.split('id="annex"')[1].split('id="sources"')[0]
    assert "IMT Mines Alès" in annex and "Télécom Paris" not in annex
    assert "What a contributor may see" in html or "Ce qu’un contributeur" in html
    with pytest.raises(Exception, match="not within this reader's reach"):
        call_command(
            "report", "--format", "html", "-o", str(out), "--user", "contributor",
            "--entity", "telecom-paris",
        )  # fmt: skip


def test_the_command_refuses_dates_that_make_no_report(personas, tmp_path):  # noqa: F811
    out = tmp_path / "report.html"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for args, said in (
        (["--as-of", tomorrow], "a day still to come"),
        (["--as-of", "2025-01-01", "--since", "2025-06-01"], "is not before the report's date"),
        (["--as-of", "2025-01-01", "--user", "contributor"], "as they are now"),
    ):
        with pytest.raises(CommandError, match=said):
            call_command("report", "--format", "html", "-o", str(out), *args)
    assert not out.exists()


def test_a_contributors_report_is_of_the_day_it_is_made(personas):  # noqa: F811
    contributor = Access.objects.get(role="contributor")
    plan = contributor.plan
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    report = Report.objects.create(
        plan=plan, requested_by=contributor.user, language="en", as_of=yesterday,
        entity=plan.organisation, kind="html", role=contributor.role, scope=contributor.entity,
    )  # fmt: skip
    assert run(report.pk) == "done"
    report.refresh_from_db()
    assert report.as_of == timezone.localdate()


def test_the_sources_count_the_figures_waiting_for_approval(imt_values):
    plan = Plan.objects.get(code=PLAN)
    access = Access(plan=plan, role="steward")
    store_values(
        f"jalon: 1\nplan: {PLAN}\nsource: examples\nstate: submitted\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2023/24, value: 1400}\n"
        "  - {indicator: students, entity: imt-mines-albi, period: 2023/24, value: 990}\n",
        "waiting.yaml",
        actor_label="test",
    )
    now = report_html(build_report(plan, access, as_of=timezone.localdate(), language="en"))
    assert "2 submitted figures were waiting for approval at this date" in now
    before = report_html(build_report(plan, access, as_of=AS_OF, language="en"))
    assert "No submitted figure was waiting for approval at this date." in before


def test_a_report_asked_for_on_the_web_is_made_and_only_its_requester_gets_it(personas):  # noqa: F811
    steward = personas["steward"]
    page = steward.get(f"/plans/{PLAN}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/plans/{PLAN}/report/"' in page  # the overview's button
    asked = steward.post(
        f"/plans/{PLAN}/report/",
        {"year": "", "as_of": "2025-06-30", "language": "en", "entity": "imt", "kind": "pdf"},
    )
    report = Report.objects.get()
    assert asked.status_code == 302 and asked["Location"].endswith(f"/report/{report.pk}/")
    assert report.state == "queued"
    again = steward.post(
        f"/plans/{PLAN}/report/",
        {"year": "", "as_of": "2025-06-30", "language": "en", "entity": "imt", "kind": "pdf"},
    )
    assert again.status_code == 200 and Report.objects.count() == 1  # one at a time
    waiting = steward.get(f"/plans/{PLAN}/report/{report.pk}/").content.decode()
    assert 'http-equiv="refresh"' in waiting
    assert run(report.pk) == "done"  # what the worker does
    ready = steward.get(f"/plans/{PLAN}/report/{report.pk}/").content.decode()
    assert "imt-2018-2022-report-2025-06-30-en.pdf" in ready
    got = steward.get(f"/plans/{PLAN}/report/{report.pk}/file")
    assert got.status_code == 200 and bytes(got.content).startswith(b"%PDF")
    assert 'filename="imt-2018-2022-report-2025-06-30-en.pdf"' in got["Content-Disposition"]
    for other in ("viewer", "contributor"):
        assert personas[other].get(f"/plans/{PLAN}/report/{report.pk}/file").status_code == 404
    for day in ("2999-01-01", "0001-01-01"):  # a day to come, a day before the plan's time
        refused = steward.post(
            f"/plans/{PLAN}/report/",
            {"as_of": day, "language": "en", "entity": "imt", "kind": "pdf"},
        )
        assert refused.status_code == 200 and Report.objects.count() == 1
    # Made as a steward, it is no longer theirs to download once they are not one.
    Access.objects.filter(user__username="steward").update(role="viewer")
    assert steward.get(f"/plans/{PLAN}/report/{report.pk}/file").status_code == 404


def test_the_report_form_in_french_offers_a_day_the_browser_can_send(personas):  # noqa: F811
    # A French page wrote the day as 27/11/2026, which <input type="date"> refused and
    # showed empty: the form, whose date is required, could not be sent.
    page = personas["steward"].get(f"/plans/{PLAN}/report/", HTTP_ACCEPT_LANGUAGE="fr")
    today = timezone.localdate().isoformat()
    assert re.search(rf'<input type="date" name="as_of" value="{today}"', page.content.decode())


def test_stewards_write_the_commentary_and_keep_its_history(personas):  # noqa: F811
    url = f"/plans/{PLAN}/commentary/"
    steward = personas["steward"]
    assert "A1" in steward.get(url + "?year=2022").content.decode()
    for text in ("Un premier texte.", "Un texte revu."):
        saved = steward.post(
            url,
            {"which": "axis-A1", "axis-A1-subject": "axis", "axis-A1-code": "A1",
             "axis-A1-year": "2022", "axis-A1-text": text, "axis-A1-text_en": ""},
        )  # fmt: skip
        assert saved.status_code == 302
    texts = Commentary.objects.filter(code="A1", year=2022).order_by("written_at")
    assert [c.text for c in texts] == ["Un premier texte.", "Un texte revu."]
    assert texts[0].superseded_at is not None and texts[1].superseded_at is None
    page = steward.get(url + "?year=2022").content.decode()
    assert "Un texte revu." in page and "Un premier texte." in page  # in force, and before
    earlier = page.split("<details><summary>")[1].split("</details>")[0]
    assert "Un premier texte." in earlier and "Un texte revu." not in earlier
    wrong = steward.post(
        url,
        {"which": "axis-Z9", "axis-Z9-subject": "axis", "axis-Z9-code": "Z9",
         "axis-Z9-year": "2022", "axis-Z9-text": "x"},
    )  # fmt: skip
    assert wrong.status_code == 200 and Commentary.objects.count() == 2
    assert personas["viewer"].post(url, {}).status_code == 403
