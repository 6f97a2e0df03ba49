"""The plan file's strict check: every problem with its line and column, in a sentence."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jalon.conftest import IMT_PLAN
from jalon.core.yamlsource import FileProblems
from jalon.plans.planfile import json_schema, read_plan

MINIMAL = """\
jalon: 1
plan:
  code: p
  name: Plan
  organisation: root
  horizon: [2018, 2022]
entities:
  - {code: root, name: Root, kind: institute}
  - {code: school-a, name: School A, kind: school, parent: root}
indicators:
  - code: students
    name: Students
    unit: students
    frequency: year
    polarity: up
    kind: amount
    across: sum
    over_time: stock
sources:
  - {code: doc, title: A document}
targets:
  - indicator: students
    document: doc
    primary: true
    baseline: {period: 2017, value: 100}
    target: {period: 2022, value: 150}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(FileProblems) as caught:
        read_plan(text, "p.yaml")
    return [p.format("p.yaml") for p in caught.value.problems]


def test_reference_plan_is_valid():
    plan, _ = read_plan(IMT_PLAN.read_text(), str(IMT_PLAN))
    assert plan.plan.code == "imt-2018-2022"
    assert [a.code for a in plan.axes] == ["A1", "A2", "A3", "A4"]
    assert [lever.code for lever in plan.levers] == ["L1", "L2", "L3", "L4"]
    assert plan.plan.announced_projects == 22
    assert len(plan.projects) == 7  # the seven the press release names
    students = [t for t in plan.targets if t.indicator == "students" and t.entity is None]
    assert {(t.document, t.target.value) for t in students} == {
        ("press-release", 20000),
        ("cop-2018-2022", 15600),
    }
    assert sum(t.primary for t in students) == 1


def test_minimal_plan_is_valid():
    plan, _ = read_plan(MINIMAL, "p.yaml")
    assert plan.targets[0].target.value == 150


def test_unknown_key_is_named_with_its_line_and_column():
    text = MINIMAL.replace("    over_time: stock\n", "    over_time: stock\n    colour: blue\n")
    assert problems_of(text) == ["p.yaml:19:5: unknown key 'colour' in indicators[0]"]


def test_wrong_type_and_bad_choice():
    text = MINIMAL.replace("horizon: [2018, 2022]", "horizon: soon").replace(
        "polarity: up", "polarity: upward"
    )
    found = problems_of(text)
    assert len(found) == 2
    assert found[0].startswith("p.yaml:6:12: plan.horizon:")
    assert found[1].startswith("p.yaml:15:15: indicators[0].polarity: Input should be 'up'")
    assert "(got 'upward')" in found[1]


def test_missing_key():
    text = MINIMAL.replace("    unit: students\n", "")
    assert problems_of(text) == ["p.yaml:11:5: missing key 'unit' (in indicators[0])"]


def test_dangling_reference():
    text = MINIMAL.replace("parent: root", "parent: rooot")
    assert problems_of(text) == ["p.yaml:9:60: no entity has the code 'rooot'"]


def test_cycle_in_the_tree():
    text = MINIMAL.replace(
        "{code: root, name: Root, kind: institute}",
        "{code: root, name: Root, kind: institute, parent: school-a}",
    )
    found = problems_of(text)
    assert any("root → school-a → root" in f or "school-a → root → school-a" in f for f in found)
    assert (
        "p.yaml:8:55: 'root' is the plan's organisation: the root of the tree has no parent"
        in found
    )


def test_cycle_in_formulas():
    text = (
        MINIMAL
        + """\
  - {indicator: students, document: doc2, baseline: {period: 2017, value: 1}, target: {period: 2022, value: 2}}
"""
    )
    text = text.replace(
        "sources:\n",
        """\
  - {code: x, name: X, unit: u, frequency: year, polarity: up, kind: formula, across: none, over_time: stock, formula: "y * 2"}
  - {code: y, name: Y, unit: u, frequency: year, polarity: up, kind: formula, across: none, over_time: stock, formula: "x + students"}
sources:
  - {code: doc2, title: Another}
""",
    )
    (found,) = problems_of(text)
    assert "indicators depend on each other in a cycle: x → y → x" in found


def test_formula_syntax_error_names_the_character():
    text = MINIMAL.replace(
        "sources:\n",
        """\
  - {code: x, name: X, unit: u, frequency: year, polarity: up, kind: formula, across: none, over_time: stock, formula: "students ** 2"}
sources:
""",
    )
    (found,) = problems_of(text)
    assert found.startswith("p.yaml:19:")
    assert "formula, at character" in found


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("{period: 2022, value: 150}", "{period: 2016, value: 150}"),
            "must come after the baseline",
        ),
        (
            ("{period: 2022, value: 150}", "{period: 2022, value: 50}"),
            "should go up, but the target 50 is below the baseline 100",
        ),
        (
            ("{period: 2022, value: 150}", "{period: 2022, value: -150}"),
            "the target -150 is below 0, the lowest figure",
        ),
        (
            ("{period: 2022, value: 150}", "{period: 2022/23, value: 150}"),
            "is not a year: expected YYYY",
        ),
        (
            ("{period: 2022, value: 150}", "{period: 2022, value: 150, relative: 0.5}"),
            "either a value or relative",
        ),
        (
            ("{period: 2017, value: 100}", "{period: 2017}"),
            "give the baseline value, or say measured: true",
        ),
        (("document: doc", "document: nowhere"), "no source has the code 'nowhere'"),
    ],
)
def test_impossible_targets(change, message):
    found = problems_of(MINIMAL.replace(*change))
    assert any(message in f for f in found), found


def test_duplicate_codes_and_yaml_errors():
    text = MINIMAL.replace("code: school-a, name: School A", "code: root, name: School A")
    assert any("the entity code 'root' is used more than once" in f for f in problems_of(text))
    assert problems_of("jalon: 1\nplan: [unclosed\n")[0].startswith(
        "p.yaml:3:1: this is not valid YAML"
    )
    assert problems_of("a: 1\na: 2\n") == ["p.yaml:2:1: the key 'a' is repeated"]


def test_yaml_1_1_booleans_do_not_turn_keys_into_true():
    # `on:` is a boolean in YAML 1.1; as a key it must stay the text the person wrote.
    found = problems_of(MINIMAL.replace("kind: institute}", "kind: institute, on: 2017-01-01}"))
    assert found == ["p.yaml:8:47: unknown key 'on' in entities[0]"]


def test_json_schema_describes_the_file():
    schema = json_schema()
    assert schema["title"] == "Jalon plan file"
    assert {"plan", "entities", "indicators", "targets", "projects"} <= set(schema["properties"])
    indicator = schema["$defs"]["IndicatorDef"]
    assert indicator["additionalProperties"] is False
    assert "keep_within" not in json.dumps(indicator)
    assert set(indicator["properties"]["polarity"]["enum"]) == {
        "up",
        "down",
        "keep_above",
        "keep_below",
        "band",
    }


def test_check_command(tmp_path, capsys, db):
    call_command("plan", "check", str(IMT_PLAN))
    assert "valid — plan imt-2018-2022, 14 entities, 4 axes, 4 levers" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINIMAL.replace("polarity: up", "polarity: sideways"))
    with pytest.raises(CommandError) as caught:
        call_command("plan", "check", str(bad))
    assert caught.value.returncode == 1
    assert f"{bad}:15:15: indicators[0].polarity" in capsys.readouterr().err


def test_schema_command(capsys):
    call_command("plan", "schema")
    assert json.loads(capsys.readouterr().out)["title"] == "Jalon plan file"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("plan:\n  code: p", "plan:\n  adopted_on: 2018-02-30\n  code: p"),
            "unreadable value '2018-02-30': day is out of range for month",
        ),
        (("value: 150}", "value: .inf}"), "Input should be a finite number"),
        (("jalon: 1", "jalon: true"), "Input should be a valid integer"),
        (("jalon: 1", "jalon: 2"), "this Jalon reads plan files of version 1"),
        (
            ("{period: 2017, value: 100}", "{period: 9998, value: 100}"),
            "outside the years Jalon accepts",
        ),
        (("parent: root}", "parent: null}"), "'school-a' has no parent"),
    ],
)
def test_more_impossible_content(change, message):
    found = problems_of(MINIMAL.replace(*change))
    assert any(message in f for f in found), found


def test_lineage_cycles_and_split_shares():
    text = (
        MINIMAL
        + """\
lineage:
  - {predecessor: school-a, successor: root, kind: rename, date: 2018-01-01}
  - {predecessor: root, successor: school-a, kind: rename, date: 2019-01-01}
"""
    )
    assert any("the lineage has a cycle" in f for f in problems_of(text))
    split = (
        MINIMAL.replace(
            "entities:\n", "entities:\n  - {code: c, name: C, kind: school, parent: root}\n"
        )
        + """\
lineage:
  - {predecessor: school-a, successor: root, kind: split, date: 2018-01-01, share: 0.9}
  - {predecessor: school-a, successor: c, kind: split, date: 2018-01-01, share: 0.9}
"""
    )
    assert any("add up to more than 1" in f for f in problems_of(split))


def test_formulas_name_codes_with_underscores_on_one_calendar():
    text = MINIMAL.replace(
        "sources:\n",
        """\
  - {code: own-resources, name: O, unit: M€, frequency: year, polarity: up, kind: amount, across: sum, over_time: flow}
  - {code: per-student, name: P, unit: k€, frequency: year, polarity: up, kind: formula, across: none, over_time: rate, formula: "own_resources * 1000 / students"}
  - {code: staff, name: S, unit: u, frequency: academic_year, polarity: up, kind: amount, across: sum, over_time: stock}
  - {code: per-staff, name: Q, unit: u, frequency: year, polarity: up, kind: formula, across: none, over_time: rate, formula: "students / staff"}
sources:
""",
    )
    (found,) = problems_of(text)
    assert (
        "the formula uses 'staff', reported by academic year, not by year like 'per-staff'" in found
    )


def test_milestones_follow_the_shape_and_stay_within_the_indicators_bounds():
    text = MINIMAL.replace(
        "    target: {period: 2022, value: 150}\n",
        "    target: {period: 2022, value: 150}\n    milestones: [{period: 2020, value: -10}]\n",
    )
    found = problems_of(text)
    assert any(
        "milestones shape the trajectory 'milestones' or 'step', not 'linear'" in f for f in found
    )
    assert any("the milestone -10 is below 0, the lowest figure" in f for f in found)


def test_a_milestone_stricter_than_the_final_target_and_a_target_past_the_horizon_are_plans():
    # A climate plan: −20 % by 2020, a looser level by 2022, net zero in 2040 (2018-2022).
    text = MINIMAL.replace(
        "    target: {period: 2022, value: 150}\n",
        "    target: {period: 2022, value: 150}\n    shape: milestones\n"
        "    milestones: [{period: 2020, value: 160}]\n",
    ) + (
        "  - indicator: students\n    document: net-zero\n"
        "    baseline: {period: 2017, value: 100}\n    target: {period: 2040, value: 400}\n"
    )
    text = text.replace(
        "  - {code: doc, title: A document}\n",
        "  - {code: doc, title: A document}\n  - {code: net-zero, title: Long term}\n",
    )
    plan, _ = read_plan(text, "p.yaml")
    assert [t.target.period for t in plan.targets] == ["2022", "2040"]


INDICATOR = """\
  - code: share
    name: Share
    unit: "%"
    frequency: year
    polarity: up
    kind: amount
    across: none
    over_time: stock
"""


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("", "'share' is a share: say how its figures are written, written_as: percent (78.1)"),
        ("    written_as: percent\n    count: true\n", "a share is not a count"),
        ("    written_as: percent\n    fractions: true\n", "fractions applies to counts only"),
        ("    written_as: percent\n    bounds: [50, 10]\n", "the lowest figure must be below"),
        (
            "    written_as: percent\n    carry_forward: 2\n    over_time: flow\n",
            "only a stock's last figure can be carried forward",
        ),
        (
            "    written_as: percent\n    breaks: [{period: 2020, note: b}, {period: 2019, note: a}]\n",
            "breaks in series must come in order",
        ),
        ("    written_as: percent\n    breaks: [{period: 2020/21, note: a}]\n", "is not a year"),
    ],
)
def test_how_figures_are_written_is_checked(lines, message):
    indicator = INDICATOR + lines
    if "over_time: flow" in lines:
        indicator = indicator.replace("    over_time: stock\n", "", 1)
    text = MINIMAL.replace("sources:\n", indicator + "sources:\n")
    found = problems_of(text)
    assert any(message in f for f in found), found


def test_a_target_of_a_share_is_written_like_its_figures():
    text = MINIMAL.replace("sources:\n", INDICATOR + "    written_as: fraction\n" + "sources:\n")
    text += (
        "  - indicator: share\n    document: doc\n"
        "    baseline: {period: 2017, value: 0.5}\n    target: {period: 2022, value: 78.1}\n"
    )
    (found,) = problems_of(text)
    assert (
        "the target 78.1 is above 1, the highest figure (share's figures are written as fractions)"
        in found
    )


def test_texts_longer_than_the_database_holds_are_refused_with_their_place():
    text = MINIMAL.replace("    unit: students\n", "    unit: " + "s" * 41 + "\n")
    (found,) = problems_of(text)
    assert found.startswith("p.yaml:13:11: indicators[0].unit: String should have at most 40")


def test_of_several_targets_one_says_it_drives_the_headline():
    text = MINIMAL.replace("    primary: true\n", "") + (
        "  - indicator: students\n    document: doc2\n"
        "    baseline: {period: 2017, value: 100}\n    target: {period: 2022, value: 120}\n"
    )
    text = text.replace(
        "  - {code: doc, title: A document}\n",
        "  - {code: doc, title: A document}\n  - {code: doc2, title: Another}\n",
    )
    (found,) = problems_of(text)
    assert "'students' at 'root' has 2 targets and none is primary" in found


def test_a_percentage_target_written_as_a_fraction_is_refused():
    text = MINIMAL.replace("sources:\n", INDICATOR + "    written_as: percent\n" + "sources:\n")
    text += (
        "  - indicator: share\n    document: doc\n"
        "    baseline: {period: 2017, value: 0.57}\n    target: {period: 2022, value: 70}\n"
    )
    (found,) = problems_of(text)
    assert "0.57 looks like a fraction, but 'share' writes its figures as percentages" in found


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(document.cookie)", "data:text/html,x", "ftp://example.org/x", "www.imt.fr"],
)
def test_a_source_s_address_is_a_web_address(url):
    text = MINIMAL.replace(
        "  - {code: doc, title: A document}", f'  - {{code: doc, title: A document, url: "{url}"}}'
    )
    with pytest.raises(FileProblems) as raised:
        read_plan(text, "p.yaml")
    assert "p.yaml:20:41: sources[0].url: only a web address" in str(raised.value)
    assert "only a web address starting with http:// or https://" in str(raised.value)
