"""Plan texts in the reader's language: the English where the plan gives it, else the
plan's own text marked with its language; the reference plan gives both everywhere."""

import pytest
from django.utils.html import escape

from jalon.dashboard.tests.test_pages import BASE
from jalon.organisation.models import Entity
from jalon.plans.models import Indicator, Plan, Source, Target

# The texts a page shows, by record: each has its English in the same field plus `_en`.
SHOWN = {
    Plan: ["adopted_by", "adoption_note", "description", "projects_note"],
    Source: ["title", "note"],
    Entity: ["note"],
    Indicator: ["definition", "data_source", "owner"],
    Target: ["note", "reason"],
}


def _page(client, url, language):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_reference_plan_gives_every_text_it_shows_in_both_languages(imt_values):
    plan = Plan.objects.get(code="imt-2018-2022")
    records = {
        Plan: [plan],
        Source: list(plan.sources.all()),
        Entity: list(Entity.objects.within(plan.organisation)),
        Indicator: list(plan.indicators.all()),
        Target: list(Target.objects.filter(indicator__plan=plan)),
    }
    for part in (*plan.axes.all(), *plan.levers.all(), *plan.projects.all()):
        assert part.description_en or not part.description, part
    one_language = [
        f"{type(r).__name__} {r}: {field}"
        for model, fields in SHOWN.items()
        for r in records[model]
        for field in fields
        if bool(getattr(r, field)) != bool(getattr(r, f"{field}_en"))
    ]
    assert one_language == []
    both = [
        r
        for model, fields in SHOWN.items()
        for r in records[model]
        for f in fields
        if getattr(r, f)
    ]
    assert len(both) >= 25  # the check saw the plan's texts (29 when written)


def test_a_text_shows_in_the_readers_language(personas):
    students = Indicator.objects.get(plan__code="imt-2018-2022", code="students")
    assert students.definition != students.definition_en
    url = f"{BASE}/indicators/students/"
    english = _page(personas["viewer"], url, "en")
    french = _page(personas["viewer"], url, "fr")
    assert escape(students.definition_en) in english
    assert escape(students.definition) not in english
    assert escape(students.definition) in french
    assert "other-language" not in english and "other-language" not in french


@pytest.mark.parametrize(
    ("language", "written", "mark"), [("en", "fr", "(in French)"), ("fr", "en", "(en anglais)")]
)
def test_a_text_not_given_in_the_readers_language_falls_back_visibly(
    personas, language, written, mark
):
    students = Indicator.objects.get(plan__code="imt-2018-2022", code="students")
    plan = students.plan
    if written == "en":  # a plan written in English, without French
        plan.language = "en"
        plan.save(update_fields=["language"])
        students.definition, students.definition_en = "Students enrolled.", ""
    else:  # a French plan without English for this text
        students.definition, students.definition_en = "Étudiants inscrits.", ""
    students.save(update_fields=["definition", "definition_en"])
    page = _page(personas["viewer"], f"{BASE}/indicators/students/", language)
    shown = escape(students.definition)
    assert f'<span lang="{written}">{shown}</span> <small class="other-language"' in page
    assert mark in page
