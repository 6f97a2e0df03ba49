"""Files a hostile (or careless) writer sends: each gets a located sentence, from `plan
check` as from `plan load` and `values load`, and nothing is written."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jalon.core import yamlsource
from jalon.plans.models import Plan
from jalon.plans.tests.test_planfile import MINIMAL
from jalon.values.models import Value

FORMULA = (
    "  - {code: many, name: Many, unit: x, frequency: year, polarity: up, kind: amount,"
    " across: sum, over_time: stock, formula: '%s'}\n"
)
PLANS = {
    "an absurd horizon": (
        MINIMAL.replace("[2018, 2022]", "[-1000000000, 1000000000]"),
        "6:12: the horizon's years must be written YYYY (got -1000000000 to 1000000000)",
    ),
    "a horizon of a century": (
        MINIMAL.replace("[2018, 2022]", "[2018, 2117]"),
        "6:12: the horizon spans 100 years (2018 to 2117): a plan covers at most 50",
    ),
    "a reversed horizon": (
        MINIMAL.replace("[2018, 2022]", "[2022, 2018]"),
        "6:12: the horizon ends (2018) before it starts (2022)",
    ),
    "a NUL in a name": (
        MINIMAL.replace("name: Plan", 'name: "Pl\\0an"'),
        "4:9: plan.name: remove the control characters (invisible ones, such as NUL)",
    ),
    "a huge whole number": (
        MINIMAL.replace("  horizon:", "  announced_projects: 100000000000000000000000\n  horizon:"),
        "6:23: plan.announced_projects: 1e+23 is too large a number",
    ),
    "a huge target": (
        MINIMAL.replace("value: 150}", "value: 1.5e+29}"),
        "targets[0].target.value: 1.5e+29 is too large to be a figure",
    ),
    "10,000 nested brackets": (
        MINIMAL + "x: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "this is not valid YAML: exceeded maximum nesting depth",
    ),
    "3,000 nested mappings": (
        MINIMAL + "x:\n" + "".join("  " * i + "a:\n" for i in range(1, 3000)),
        "this is not valid YAML: exceeded maximum nesting depth",
    ),
    "a formula nested too deep": (
        MINIMAL.replace(
            "indicators:\n", "indicators:\n" + FORMULA % ("(" * 240 + "students" + ")" * 240)
        ),
        "too many nested parentheses",
    ),
    "a 5,000-term formula": (
        MINIMAL.replace(
            "indicators:\n", "indicators:\n" + FORMULA % " + ".join(["students"] * 5000)
        ),
        "indicators[0].formula: String should have at most 500 characters",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", PLANS)
def test_plan_check_refuses_what_plan_load_refuses(case, tmp_path):
    text, said = PLANS[case]
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    for action in ("check", "load"):
        errors = io.StringIO()
        with pytest.raises(CommandError, match="nothing was loaded"):
            call_command("plan", action, str(path), stderr=errors)
        assert said in errors.getvalue()
    assert not Plan.objects.exists()


@pytest.mark.parametrize("case", PLANS)
def test_each_problem_is_said_where_it_is(case):
    from jalon.plans.planfile import read_plan

    text, said = PLANS[case]
    with pytest.raises(yamlsource.FileProblems) as raised:
        read_plan(text, "hostile.yaml")
    assert said in str(raised.value)
    assert str(raised.value).count("horizon") <= 1  # a reversed horizon is said once


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch, db):
    monkeypatch.setattr(yamlsource, "LARGEST", 1000)
    monkeypatch.setattr("jalon.core.management.commands.plan.LARGEST", 1000)
    path = tmp_path / "large.yaml"
    path.write_text(MINIMAL + "# " + "x" * 2000 + "\n")
    with pytest.raises(CommandError, match="larger than 0 MB: split it"):
        call_command("plan", "check", str(path))
    with pytest.raises(yamlsource.FileProblems, match="larger than"):
        yamlsource.read_yaml(path.read_text(), "large.yaml")


VALUES = "jalon: 1\nplan: p\nsource: doc\nstate: approved\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, said",
    [
        (
            VALUES + 'note: "a\\0b"\nvalues: []\n',
            "5:7: note: remove the control characters",
        ),
        (
            VALUES + "values:\n  - {indicator: students, entity: school-a, period: 2019,"
            " value: 123456789012345678901234567890}\n",
            "values[0].value: 1.23457e+29 is too large to be a figure",
        ),
        (
            VALUES + "values:\n  - {indicator: students, entity: school-a, period: 2019,"
            ' value: 5, comment: "a\\0b"}\n',
            "values[0].comment: remove the control characters",
        ),
        (
            VALUES
            + "values:\n  - {indicator: students, entity: school-a, period: 2019, value: -5}\n",
            "-5 is below 0, the lowest figure 'students' can take",
        ),
        (VALUES + "values: " + "[" * 10_000 + "]" * 10_000 + "\n", "maximum nesting depth"),
    ],
)
def test_a_value_file_s_problems_are_said_and_nothing_is_written(text, said, tmp_path):
    from jalon.conftest import load_plan_text

    load_plan_text(MINIMAL)
    path = tmp_path / "hostile.values.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("values", "load", str(path), stderr=(errors := io.StringIO()))
    assert said in errors.getvalue()
    assert not Value.objects.exists()
