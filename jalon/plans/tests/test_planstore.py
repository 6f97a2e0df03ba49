"""Loading a plan file in place, target history, and export that loads back."""

import re

import pytest
import yaml

from jalon.audit.models import AuditEvent
from jalon.conftest import IMT_PLAN, load_plan_text
from jalon.core.yamlsource import FileProblems
from jalon.organisation.models import Entity, Grouping, Lineage
from jalon.plans.models import Axis, Indicator, Plan, PlanRevision, Project, Target
from jalon.plans.planstore import dump_yaml, export_plan
from jalon.values.models import Value


def snapshot() -> dict:
    """Return the stored state, by natural keys, to compare two loads."""
    return {
        "entities": sorted(
            Entity.objects.values_list(
                "code", "parent__code", "kind", "valid_from", "valid_to", "name"
            )
        ),
        "lineage": sorted(
            Lineage.objects.values_list(
                "predecessor__code", "successor__code", "kind", "date", "share"
            )
        ),
        "axes": sorted(Axis.objects.values_list("code", "name", "name_en", "order")),
        "indicators": sorted(
            Indicator.objects.values_list(
                "code",
                "kind",
                "across",
                "over_time",
                "polarity",
                "frequency",
                "start_month",
                "numerator__code",
                "denominator__code",
                "unit",
                "headline",
            )
        ),
        "indicator_axes": sorted(Indicator.objects.values_list("code", "axes__code")),
        "targets": sorted(
            (t.indicator.code, t.entity.code, t.document.code, *map(str, t.content().values()))
            for t in Target.objects.current().select_related("indicator", "entity", "document")
        ),
        "projects": sorted(
            Project.objects.values_list("code", "name", "lead__code", "axes__code", "levers__code")
        ),
    }


def test_the_reference_plan_loads(imt_plan):
    assert imt_plan.name == "Stratégie d'ensemble 2018-2022"
    assert imt_plan.axes.count() == 4 and imt_plan.levers.count() == 4
    assert imt_plan.projects.count() == 7 and imt_plan.announced_projects == 22
    assert Entity.objects.get(code="imt-atlantique").origins.count() == 2
    students = Indicator.objects.get(plan=imt_plan, code="students")
    targets = students.targets.current().filter(entity__code="imt").order_by("document__code")
    assert [(t.document.code, t.target_value, t.primary) for t in targets] == [
        ("cop-2018-2022", 15600, False),
        ("press-release", 20000, True),
    ]
    staff = Target.objects.get(indicator__code="teaching-research-staff")
    assert staff.baseline_value is None and staff.target_relative == 0.25
    assert list(students.dimensions.get().members.values_list("code", flat=True)) == [
        "engineering",
        "management",
        "doctorate",
        "other",
    ]
    assert PlanRevision.objects.get(plan=imt_plan).number == 1
    event = AuditEvent.objects.get(action="plan.load")
    assert event.detail["counts"]["indicators created"] == 12


def test_loading_again_changes_nothing_and_keeps_values(imt_values):
    before = snapshot()
    value_ids = set(Value.objects.values_list("pk", flat=True))
    report = load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN))
    assert report.summary() == "nothing changed"
    assert report.revision is None
    assert snapshot() == before
    assert set(Value.objects.values_list("pk", flat=True)) == value_ids


def test_an_edited_file_updates_in_place_by_code(imt_values):
    students = Indicator.objects.get(code="students")
    count = students.values.count()
    text = IMT_PLAN.read_text().replace("    name_en: Students\n", "    name_en: Learners\n")
    report = load_plan_text(text, reason="rename")
    students.refresh_from_db()
    assert students.name_en == "Learners"
    assert students.values.count() == count  # values stay attached to the same indicator
    assert report.counts["indicators updated"] == 1
    assert report.revision == 2
    assert PlanRevision.objects.get(number=2).reason == "rename"


def changed_target(text: str, reason: str | None) -> str:
    old = "    target: {period: 2022/23, value: 20000}\n"
    new = "    target: {period: 2022/23, value: 19000}\n"
    if reason:
        new += f"    reason: {reason}\n"
    assert old in text
    return text.replace(old, new)


def test_a_changed_target_keeps_its_previous_version_and_reason(imt_plan):
    text = changed_target(IMT_PLAN.read_text(), "board revision of 2020")
    report = load_plan_text(text)
    assert report.target_changes == [
        "students @ imt (press-release): version 2, because board revision of 2020"
    ]
    versions = Target.objects.filter(
        indicator__code="students", entity__code="imt", document__code="press-release"
    ).order_by("version")
    assert [(v.version, v.target_value, v.superseded_at is None, v.reason) for v in versions] == [
        (1, 20000, False, ""),
        (2, 19000, True, "board revision of 2020"),
    ]
    old = versions[0]
    assert Target.objects.as_of(old.recorded_at).get(pk=old.pk)
    assert (
        AuditEvent.objects.filter(
            action="target.set", object_key="students @ imt (press-release)"
        ).count()
        == 2
    )


def test_a_changed_target_without_a_reason_writes_nothing(imt_plan):
    before = snapshot()
    events = AuditEvent.objects.count()
    with pytest.raises(FileProblems) as caught:
        load_plan_text(changed_target(IMT_PLAN.read_text(), None), "plan.yaml")
    (problem,) = caught.value.problems
    assert (
        "the target students @ imt (press-release) changed: say why with reason:" in problem.message
    )
    assert problem.line > 1
    assert snapshot() == before
    assert AuditEvent.objects.count() == events
    assert Plan.objects.get().revisions.count() == 1


def test_export_loads_back_to_the_same_state(imt_plan):
    first = snapshot()
    exported = dump_yaml(export_plan(imt_plan))
    # Load the export into an empty database: the same state comes back.
    Indicator.objects.update(numerator=None, denominator=None, weight=None)
    for model in (Target, Project, Indicator, Axis):
        model.objects.all().delete()
    Plan.objects.all().delete()
    Lineage.objects.all().delete()
    Grouping.objects.all().delete()
    Entity.objects.update(parent=None)
    Entity.objects.all().delete()
    load_plan_text(exported, "exported.yaml")
    assert snapshot() == first
    again = dump_yaml(export_plan(Plan.objects.get()))
    assert again == exported
    assert yaml.safe_load(exported)["plan"]["horizon"] == [2018, 2022]


def test_a_frequency_cannot_change_under_stored_figures(imt_values):
    before = snapshot()
    text = IMT_PLAN.read_text().replace(
        "    unit: M€\n    frequency: year\n    polarity: up\n    kind: amount\n    across: sum\n    over_time: flow\n    definition: >-\n      Ressources autres",
        "    unit: M€\n    frequency: academic_year\n    polarity: up\n    kind: amount\n    across: sum\n    over_time: flow\n    definition: >-\n      Ressources autres",
    )
    text = text.replace(
        "    baseline: {period: 2017, value: 170}\n    target: {period: 2022, value: 272}\n",
        "    baseline: {period: 2017/18, value: 170}\n    target: {period: 2022/23, value: 272}\n    reason: academic years\n",
    )
    with pytest.raises(FileProblems) as caught:
        load_plan_text(text, "plan.yaml")
    assert "'own-resources' has figures or past targets by year" in str(caught.value)
    assert snapshot() == before


def test_what_the_file_no_longer_lists_is_removed_unless_something_refers_to_it(imt_plan):
    text = IMT_PLAN.read_text()
    # The grouping's block: its line and the lines indented under it.
    without_aura = re.sub(r"  - code: imt-aura\n(?:    .*\n)*", "", text)
    assert without_aura != text
    report = load_plan_text(without_aura, reason="no AURA")
    assert report.counts["groupings removed"] == 1
    from jalon.organisation.models import Grouping

    assert not Grouping.objects.filter(code="imt-aura").exists()
    # An entity with figures stays, and the load says why, writing nothing.
    from jalon.values.valuefile import store_values

    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: examples\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: eurecom, period: 2018/19, value: 400}\n",
        "v.yaml",
    )
    without_eurecom = without_aura.replace(
        "  - code: eurecom\n    name: EURECOM\n    kind: subsidiary\n    parent: imt\n", ""
    )
    with pytest.raises(FileProblems, match="the entity 'eurecom' is no longer in the file"):
        load_plan_text(without_eurecom, reason="no eurecom")
    assert Entity.objects.filter(code="eurecom").exists()


def test_how_figures_are_written_loads_and_exports_back(db):
    text = IMT_PLAN.read_text().replace(
        "    definition: >-\n      Étudiants inscrits dans les écoles",
        "    carry_forward: 2\n    breaks: [{period: 2020/21, note: census day, note_en: census day}]\n"
        "    definition: >-\n      Étudiants inscrits dans les écoles",
    )
    text = text.replace(
        "    unit: k€\n",
        "    unit: k€\n    bounds: [null, 1000]\n    decimals: 3\n",
    )
    plan = load_plan_text(text, "plan.yaml").plan
    students = plan.indicators.get(code="students")
    assert (students.carry_forward, students.count, students.decimals) == (2, True, 0)
    assert students.breaks == [{"period": "2020/21", "note": "census day", "note_en": "census day"}]
    share = plan.indicators.get(code="foreign-students-share")
    assert (share.written_as, share.bound_low, share.bound_high, share.decimals) == (
        "fraction",
        0.0,
        1.0,
        1,
    )
    money = plan.indicators.get(code="company-collaboration-revenue")
    assert (money.bound_low, money.bound_high, money.decimals) == (None, 1000.0, 3)
    exported = yaml.safe_load(dump_yaml(export_plan(plan)))
    by_code = {i["code"]: i for i in exported["indicators"]}
    assert by_code["students"]["carry_forward"] == 2 and "bounds" not in by_code["students"]
    assert by_code["company-collaboration-revenue"]["bounds"] == [None, 1000.0]
    assert by_code["foreign-students-share"]["written_as"] == "fraction"
    assert exported["plan"]["member_noun"]["plural_en"] == "schools"
    again = dump_yaml(export_plan(load_plan_text(dump_yaml(export_plan(plan)), "x.yaml").plan))
    assert again == dump_yaml(export_plan(plan))
