"""Several plans of one federation: a second plan refers to the first's entities and
sources without repeating them, a load never changes or removes what another plan uses,
and the figures of an indicator both plans follow are entered once."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jalon.audit.models import AuditEvent
from jalon.conftest import IMT_PLAN, load_plan_text
from jalon.core.yamlsource import FileProblems
from jalon.organisation.models import Entity, Lineage
from jalon.plans.models import Plan, Source
from jalon.values.evaluation import evaluate_plan
from jalon.values.models import Value
from jalon.values.valuefile import store_values

pytestmark = pytest.mark.django_db

SECOND = """\
jalon: 1
plan:
  code: imt-2023-2027
  name: Stratégie 2023-2027
  name_en: Strategy 2023-2027
  organisation: imt
  horizon: [2023, 2027]
sources:
  - {code: plan-2023, title: Plan 2023-2027, example: true}
entities:
  - {code: imt-nouvelle, name: Nouvelle école, kind: school, parent: imt, valid_from: 2024-01-01}
indicators:
  - code: students
    name: Étudiants
    name_en: Students
    unit: étudiants
    count: true
    frequency: academic_year
    start_month: 9
    polarity: up
    kind: amount
    across: sum
    over_time: stock
    figures_from: imt-2018-2022
    breakdowns:
      - code: programme
        name: Formation
        members:
          - {code: engineering, name: Ingénieurs}
          - {code: management, name: Management}
          - {code: doctorate, name: Doctorat}
          - {code: other, name: Autres formations}
targets:
  - indicator: students
    document: press-release
    entity: imt-mines-ales
    primary: true
    baseline: {period: 2021/22, measured: true}
    target: {period: 2026/27, value: 1500}
"""


def federation() -> dict:
    return {
        "entities": dict(Entity.objects.values_list("code", "name")),
        "parents": dict(Entity.objects.values_list("code", "parent__code")),
        "lineage": Lineage.objects.count(),
        "sources": dict(Source.objects.values_list("code", "title")),
    }


def test_a_second_plan_refers_to_the_federation_and_changes_nothing_of_the_first(imt_values):
    before = federation()
    pe = evaluate_plan(imt_values)
    first = dict(zip(pe.tree.codes, pe.result("students").figure.tolist(), strict=True))
    report = load_plan_text(SECOND, "second.yaml")
    after = federation()
    # Nothing of the first plan's federation changed or went; one school and one source came.
    assert {k: v for k, v in after["entities"].items() if k != "imt-nouvelle"} == before["entities"]
    assert after["lineage"] == before["lineage"]
    assert set(after["sources"]) == set(before["sources"]) | {"plan-2023"}
    second = report.plan
    assert second.organisation.code == "imt"
    assert set(second.sources.values_list("code", flat=True)) == {"plan-2023", "press-release"}
    target = second.indicators.get(code="students").targets.get()
    assert (target.entity.code, target.document.code) == ("imt-mines-ales", "press-release")
    # The first plan reloaded from its own file, which does not list the new school: it
    # stays (the second plan uses it), and the first plan's figures are as they were.
    load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN))
    assert Entity.objects.filter(code="imt-nouvelle").exists()
    pe = evaluate_plan(Plan.objects.get(code="imt-2018-2022"))
    again = dict(zip(pe.tree.codes, pe.result("students").figure.tolist(), strict=True))
    assert str({k: again[k] for k in first}) == str(first)  # NaN and all


def test_a_load_never_changes_what_another_plan_uses(imt_values, tmp_path, capsys):
    load_plan_text(SECOND, "second.yaml")
    before = federation()
    renamed = SECOND.replace(
        "entities:\n",
        "entities:\n  - {code: imt-mines-ales, name: Mines Alès renamed, kind: school, parent: imt}\n",
    )
    with pytest.raises(FileProblems) as caught:
        load_plan_text(renamed, "second.yaml")
    said = str(caught.value)
    assert "the entity 'imt-mines-ales' is used by plan 'imt-2018-2022' too" in said
    assert "would change its name" in said and "--change-shared" in said
    assert federation() == before
    # A source listed again with another title: the same.
    retitled = SECOND.replace(
        "sources:\n", "sources:\n  - {code: press-release, title: Another title}\n"
    )
    with pytest.raises(FileProblems, match="the source 'press-release' is used by plan"):
        load_plan_text(retitled, "second.yaml")
    assert federation() == before
    # Said so, a change of what both use is made for both.
    path = tmp_path / "second.yaml"
    path.write_text(renamed)
    with pytest.raises(CommandError):
        call_command("plan", "load", str(path))
    call_command("plan", "load", str(path), "--change-shared")
    assert Entity.objects.get(code="imt-mines-ales").name == "Mines Alès renamed"
    # `plan check` reads the file as `plan load` does: references to the federation hold.
    call_command("plan", "check", str(path))
    assert "valid — plan imt-2023-2027" in capsys.readouterr().out


def test_figures_of_a_shared_indicator_are_entered_once_for_both_plans(imt_values):
    report = load_plan_text(SECOND, "second.yaml")
    first = imt_values.indicators.get(code="students")
    second = report.plan.indicators.get(code="students")
    assert second.figures_from == first
    # What the first plan had is the second's too, every revision.
    assert (
        Value.objects.filter(indicator=second).count()
        == Value.objects.filter(indicator=first).count()
    )
    # One figure entered, for the second plan: both have it, and both are evaluated anew.
    store_values(
        "jalon: 1\nplan: imt-2023-2027\nsource: plan-2023\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2023/24, value: 1234}\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2023/24, member: programme/engineering, value: 1000}\n",
        "v.yaml",
    )
    for indicator in (first, second):
        got = Value.objects.current().filter(indicator=indicator, period="2023/24")
        assert sorted(v.number for v in got) == [1000, 1234], indicator.plan.code
    for plan in Plan.objects.all():
        result = evaluate_plan(plan).result("students")
        column = [p.code for p in result.periods].index("2023/24")
        row = list(evaluate_plan(plan).tree.codes).index("imt-mines-ales")
        assert result.figure[row, column] == 1234, plan.code
    # A correction entered for the first plan reaches the second.
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2023/24, value: 1240}\n",
        "fix.yaml",
    )
    for indicator in (first, second):
        got = Value.objects.current().get(indicator=indicator, period="2023/24", member=None)
        assert (got.number, got.revision) == (1240, 2)


def test_a_shared_indicator_must_be_the_same_measure(imt_values):
    flows = SECOND.replace("over_time: stock", "over_time: flow")
    with pytest.raises(FileProblems, match="differs from plan 'imt-2018-2022''s in its over_time"):
        load_plan_text(flows, "second.yaml")
    unknown = SECOND.replace("figures_from: imt-2018-2022", "figures_from: imt-2010-2014")
    with pytest.raises(FileProblems, match="no other plan 'imt-2010-2014' has an indicator"):
        load_plan_text(unknown, "second.yaml")
    assert not Plan.objects.filter(code="imt-2023-2027").exists()


OTHER = """\
jalon: 1
plan:
  code: other
  name: Another federation
  organisation: holding
  horizon: [2020, 2024]
entities:
  - {code: holding, name: Holding, kind: institute}
  - {code: branch, name: Branch, kind: school, parent: holding}
"""


def test_another_federation_cannot_take_or_name_what_is_not_its_own(imt_values):
    before = federation()
    # Putting the first plan's organisation under its own: refused, said.
    taken = (
        OTHER + "  - {code: imt, name: Institut Mines-Télécom, kind: institute, parent: holding}\n"
    )
    with pytest.raises(FileProblems, match="the entity 'imt' is used by plan 'imt-2018-2022'"):
        load_plan_text(taken, "other.yaml")
    # A target or a project naming an entity of another federation: no such entity here.
    aimed = OTHER + (
        "sources:\n  - {code: doc, title: A document}\n"
        "indicators:\n  - {code: n, name: N, unit: n, frequency: year, polarity: up,"
        " kind: amount, across: sum, over_time: stock}\n"
        "targets:\n  - {indicator: n, entity: imt-mines-ales, document: doc, primary: true,"
        " baseline: {period: 2020, value: 1}, target: {period: 2024, value: 2}}\n"
    )
    with pytest.raises(FileProblems, match="no entity has the code 'imt-mines-ales'"):
        load_plan_text(aimed, "other.yaml")
    # A grouping code another federation's grouping has: refused, not taken over.
    grouped = (
        OTHER + "groupings:\n  - {code: imt-grand-est, name: Taken, members: [{entity: branch}]}\n"
    )
    with pytest.raises(FileProblems, match="the grouping code 'imt-grand-est' is taken"):
        load_plan_text(grouped, "other.yaml")
    # An entity of the file whose parents lead elsewhere.
    astray = OTHER + "  - {code: stray, name: Stray, kind: school, parent: imt-mines-ales}\n"
    with pytest.raises(FileProblems, match="'stray' is not in the federation of 'holding'"):
        load_plan_text(astray, "other.yaml")
    assert federation() == before
    load_plan_text(OTHER, "other.yaml")  # its own federation, beside: fine
    assert federation()["entities"].keys() == before["entities"].keys() | {"holding", "branch"}


def test_shared_figures_stay_one_measure_in_one_chain_and_each_plan_hears_of_them(imt_values):
    import datetime as dt

    from django.contrib.auth import get_user_model

    from jalon.access.models import Access
    from jalon.collection.models import CollectionRound, scope_for
    from jalon.organisation.models import Entity as E

    second = load_plan_text(SECOND, "second.yaml").plan
    text = IMT_PLAN.read_text()
    # The first plan's indicator may not become another measure, nor take its figures
    # from elsewhere, while the second takes them from it.
    with pytest.raises(FileProblems, match="plan 'imt-2023-2027' shares the figures of 'students'"):
        load_plan_text(
            text.replace(
                "    over_time: stock\n    definition: >-\n      Étudiants inscrits",
                "    over_time: flow\n    definition: >-\n      Étudiants inscrits",
                1,
            ),
            str(IMT_PLAN),
        )
    chained = text.replace(
        "    headline: true\n    axes: [A1]",
        "    headline: true\n    figures_from: imt-2023-2027\n    axes: [A1]",
        1,
    )
    with pytest.raises(
        FileProblems, match="other plans take the figures of 'students' from this one"
    ):
        load_plan_text(chained, str(IMT_PLAN))
    # A figure entered for the second plan is in the first plan's trail too.
    store_values(
        "jalon: 1\nplan: imt-2023-2027\nsource: plan-2023\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2023/24, value: 1234}\n",
        "v.yaml",
        actor_label="alice",
    )
    shared = AuditEvent.objects.get(action="values.shared")
    assert (shared.plan_code, shared.detail["via_plan"], shared.detail["figures"]) == (
        "imt-2018-2022", "imt-2023-2027", 1,
    )  # fmt: skip
    # The first plan's closed round locks the figure for the second plan's contributors.
    round_ = CollectionRound.open(
        imt_values, 2022, dt.date(2023, 1, 31),
        imt_values.indicators.filter(code="students"), E.objects.filter(code="imt-mines-ales"),
    )  # fmt: skip
    round_.close()
    user = get_user_model().objects.create_user("c2", password="c2-Pl4n-2026-x")
    access = Access.objects.create(
        user=user, plan=second, role="contributor", entity=E.objects.get(code="imt-mines-ales")
    )
    assert ("students", "imt-mines-ales", "2022/23") in scope_for(access).locked
    # Its stewards' too: the first plan's stewards closed that round.
    access.role, access.entity = "steward", None
    assert ("students", "imt-mines-ales", "2022/23") in scope_for(access).locked
