"""Value files: all or nothing, revisions instead of overwrites, provenance kept."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jalon.conftest import IMT_EXAMPLES, IMT_VALUES
from jalon.core.yamlsource import FileProblems
from jalon.values.examples import render
from jalon.values.models import Value
from jalon.values.valuefile import store_values

HEADER = "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"


def test_sourced_values_carry_their_source(imt_plan):
    report = store_values(IMT_VALUES.read_text(), str(IMT_VALUES))
    assert report.summary() == "16 new, 0 revised, 0 unchanged; stored as 16 approved"
    value = Value.objects.current().get(
        indicator__code="students", entity__code="imt", period="2017/18"
    )
    assert value.number == 13400 and value.source.code == "press-release" and not value.is_example
    again = store_values(IMT_VALUES.read_text(), str(IMT_VALUES))
    assert again.summary() == "0 new, 0 revised, 16 unchanged"


def test_example_values_are_marked_as_examples(imt_values):
    examples = Value.objects.current().filter(source__code="examples")
    assert examples.count() == 424
    assert all(v.is_example for v in examples[:10])
    # A sourced figure is never overwritten by an example.
    ales = (
        Value.objects.current()
        .totals()
        .get(indicator__code="students", entity__code="imt-mines-ales", period="2017/18")
    )
    assert ales.number == 1200 and ales.source.code == "lalettrem-ales"


def test_the_example_file_is_what_the_seeded_generator_writes():
    assert IMT_EXAMPLES.read_text() == render(2018)
    assert render(2018) == render(2018) != render(7)


def test_a_correction_is_a_new_revision_and_the_old_one_stays(imt_plan):
    store_values(
        HEADER + "  - {indicator: students, entity: imt, period: 2018/19, value: 13500}\n", "a.yaml"
    )
    first = Value.objects.get(period="2018/19")
    report = store_values(
        HEADER
        + "  - {indicator: students, entity: imt, period: 2018/19, value: 0, comment: corrected}\n",
        "b.yaml",
    )
    assert report.summary() == "0 new, 1 revised, 0 unchanged; stored as 1 approved"
    revisions = Value.objects.filter(period="2018/19").order_by("revision")
    assert [(v.revision, v.number, v.superseded_at is None) for v in revisions] == [
        (1, 13500, False),
        (2, 0.0, True),
    ]
    current = Value.objects.current().get(period="2018/19")
    assert current.number == 0.0  # a zero stays a zero
    assert Value.objects.as_of(first.recorded_at).get(period="2018/19").number == 13500


def test_bad_rows_name_line_and_column_and_nothing_is_written(imt_plan):
    text = HEADER + (
        "  - {indicator: students, entity: imt, period: 2018/19, value: 1}\n"
        "  - {indicator: students, entity: telecom-bretagne, period: 2018/19, value: 5}\n"
        "  - {indicator: students, entity: imt, period: '2018', value: 5}\n"
        "  - {indicator: students, entity: imt, period: 2019/20, value: many}\n"
        "  - {indicator: students, entity: imt, period: 2018/19, member: programme/arts, value: 3}\n"
    )
    # Every problem in one pass: the row that breaks the schema hides none of the others.
    with pytest.raises(FileProblems) as caught:
        store_values(text, "bad.yaml")
    lines = [p.format("bad.yaml") for p in caught.value.problems]
    assert lines == [
        "bad.yaml:7:35: 'telecom-bretagne' did not exist at the end of 2018/19",
        "bad.yaml:8:48: '2018' is not an academic year: expected YYYY/YY with consecutive years ('students' is reported by academic year)",
        "bad.yaml:9:64: values[3].value: Input should be a valid number, unable to parse string as a number (got 'many')",
        "bad.yaml:10:65: 'students' has no breakdown member 'programme/arts'",
    ]
    assert Value.objects.count() == 0


def test_values_command(imt_plan, tmp_path, capsys):
    call_command("values", "load", str(IMT_VALUES))
    assert "16 new, 0 revised, 0 unchanged; stored as 16 approved" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + "  - {indicator: nope, entity: imt, period: 2018/19, value: 1}\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("values", "load", str(bad))
    assert f"{bad}:6:17: the plan has no indicator 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("true", "Input should be a valid number, not true or false"),
        (".inf", "Input should be a finite number"),
        (".nan", "Input should be a finite number"),
    ],
)
def test_only_finite_numbers_are_figures(imt_plan, value, message):
    text = HEADER + f"  - {{indicator: students, entity: imt, period: 2018/19, value: {value}}}\n"
    with pytest.raises(FileProblems) as caught:
        store_values(text, "bad.yaml")
    assert message in str(caught.value)
    assert Value.objects.count() == 0


def test_a_figure_measures_the_past(imt_plan):
    for period, message in (
        ("2150/51", "has not started yet"),
        ("9998/99", "outside the years Jalon accepts"),
    ):
        with pytest.raises(FileProblems, match=message):
            store_values(
                HEADER + f"  - {{indicator: students, entity: imt, period: {period}, value: 1}}\n",
                "f.yaml",
            )
    with pytest.raises(FileProblems, match="unreadable value '2018-02-30'"):
        store_values(
            HEADER
            + "  - {indicator: students, entity: imt, period: 2018/19, value: 1, comment: 2018-02-30}\n",
            "f.yaml",
        )
