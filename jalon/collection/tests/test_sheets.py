"""Figures from spreadsheets: CSV and XLSX, all or nothing, every problem located once."""

import csv
import io
import string

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jalon.collection.sheets import import_figures
from jalon.core.yamlsource import FileProblems
from jalon.plans.models import Plan
from jalon.values.models import Value

HEADER = "indicator,entity,period,value,comment\n"


def plan():
    return Plan.objects.select_related("organisation").get(code="imt-2018-2022")


def csv_import(text: str, *, state="approved", name="f.csv", **options):
    return import_figures(name, text.encode(), plan(), state=state, **options)


def xlsx(rows: list[list], title="Figures") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_csv_imports_all_or_nothing_and_twice_changes_nothing(imt_plan):
    text = HEADER + "students,imt,2018/19,13500,\nstudents,imt-mines-ales,2018/19,1210,recount\n"
    assert (
        csv_import(text, dry_run=True).summary()
        == "2 new, 0 revised, 0 unchanged; stored as 2 approved"
    )
    assert Value.objects.count() == 0  # a dry run writes nothing
    assert csv_import(text).summary() == "2 new, 0 revised, 0 unchanged; stored as 2 approved"
    assert csv_import(text).summary() == "0 new, 0 revised, 2 unchanged"
    value = Value.objects.get(entity__code="imt-mines-ales")
    assert (value.number, value.comment, value.recorded_via) == (1210, "recount", "f.csv")


def test_excel_csv_with_semicolons_and_decimal_commas(imt_plan):
    text = "indicator;entity;period;value\r\nown-resources;imt;2018;180,5\r\n"
    csv_import(text)
    assert Value.objects.get().number == 180.5


def test_every_problem_in_one_pass_with_row_and_column(imt_plan):
    text = HEADER + (
        "students,imt,2018/19,many,\n"  # row 2: not a number
        "nope,imt,2018/19,1,\n"  # row 3: unknown indicator
        "students,imt,2018,5,\n"  # row 4: not an academic year
        "students,imt,2018/19,-5,\n"  # row 5: a negative count
    )
    with pytest.raises(FileProblems) as caught:
        csv_import(text)
    assert [p.format("f.csv") for p in caught.value.problems] == [
        "f.csv, row 2, column D (value): Input should be a valid number, unable to parse string as a number (got 'many')",
        "f.csv, row 3, column A (indicator): the plan has no indicator 'nope'",
        "f.csv, row 4, column C (period): '2018' is not an academic year: expected YYYY/YY with consecutive years ('students' is reported by academic year)",
        "f.csv, row 5, column D (value): 'students' counts students: -5 cannot be negative",
    ]
    assert Value.objects.count() == 0


def test_an_xlsx_names_its_sheet_and_reads_numbers_periods_and_dates(imt_plan):
    import datetime as dt

    data = xlsx(
        [
            ["indicator", "entity", "period", "value", "published", "unit (read by people)"],
            ["own-resources", "imt", 2018, 180.25, dt.datetime(2019, 3, 31), "M€"],
            ["students", "imt", "2018/19", 13500, None, "students"],
            ["students", "imt", "2019/20", "abc", None, ""],
        ]
    )
    with pytest.raises(FileProblems) as caught:
        import_figures("f.xlsx", data, plan(), state="approved")
    (problem,) = caught.value.problems
    assert problem.format("f.xlsx").startswith("f.xlsx, sheet Figures, row 4, column D (value):")
    data = xlsx(
        [
            ["indicator", "entity", "period", "value", "published"],
            ["own-resources", "imt", 2018, 180.25, dt.datetime(2019, 3, 31)],
            ["students", "imt", "2018/19", 13500, None],
        ]
    )
    report = import_figures("f.xlsx", data, plan(), state="submitted")
    assert report.summary() == "2 new, 0 revised, 0 unchanged; stored as 2 submitted"
    money = Value.objects.get(indicator__code="own-resources")
    assert money.number == 180.25
    assert timezone.localtime(money.published_at).date() == dt.date(2019, 3, 31)


def test_the_state_is_said_by_a_column_or_for_the_file(imt_plan):
    with pytest.raises(FileProblems, match="say the state of the figures"):
        csv_import(HEADER + "students,imt,2018/19,1,\n", state=None)
    text = "indicator,entity,period,value,state,comment\nstudents,imt,2018/19,1,draft,\n"
    assert csv_import(text, state=None).summary().endswith("stored as 1 draft")
    text = "indicator,entity,period,value,state,comment\nstudents,imt,2018/19,,withdrawn,typo\n"
    assert csv_import(text, state=None).summary() == "0 new, 0 revised, 0 unchanged, 1 withdrawn"


def test_missing_columns_and_empty_files_are_said(imt_plan):
    with pytest.raises(FileProblems, match=r"missing: value"):
        csv_import("indicator,entity,period\nstudents,imt,2018/19\n")
    with pytest.raises(FileProblems, match="it is empty"):
        csv_import("")
    with pytest.raises(FileProblems, match="not UTF-8 text"):
        import_figures("f.csv", "indicator,entité\n".encode("latin-1"), plan(), state="approved")
    with pytest.raises(FileProblems, match="cannot be read"):
        import_figures("f.xlsx", b"PK\x03\x04 not really a workbook", plan(), state="approved")
    with pytest.raises(FileProblems, match="too large to be a figure"):
        csv_import(HEADER + "own-resources,imt,2018,1e300,\n")
    assert Value.objects.count() == 0


def test_values_import_command(imt_plan, tmp_path, capsys):
    path = tmp_path / "figures.csv"
    path.write_text(HEADER + "students,imt,2018/19,13500,\n")
    call_command("values", "import", str(path), "--state", "approved", "--dry-run")
    assert "would import: 1 new, 0 revised, 0 unchanged" in capsys.readouterr().out
    assert Value.objects.count() == 0
    call_command("values", "import", str(path), "--state", "approved")
    assert "imported: 1 new" in capsys.readouterr().out
    path.write_text(HEADER + "students,imt,2018/19,oops,\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("values", "import", str(path), "--state", "approved")
    assert "row 2, column D (value)" in capsys.readouterr().err


# --- Hostile files: never a traceback, never a partial write --------------------------------

cells = st.one_of(
    st.none(),
    st.text(
        alphabet=string.ascii_letters + string.digits + string.punctuation + " éü€\u00a0",
        max_size=12,
    ),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["students", "imt", "2018/19", "2019", "own-resources", "=SUM(A1:A2)", "#REF!"]
    ),
)


def test_a_csv_row_that_lost_or_gained_a_separator_or_a_quote_is_said(imt_plan):
    def problems(text: str) -> list[str]:
        with pytest.raises(FileProblems) as caught:
            csv_import(HEADER + text)
        return [p.format("f.csv") for p in caught.value.problems]

    # Each was read without a word: a row ended early is a template's empty row, and a
    # quote never closed ran to the end of the file, making the row short. Rows are
    # numbered as rows, not as the file's lines (row 2's comment holds three).
    assert problems('students,imt,2019/20,1,"a\nb\nc"\nstudents,imt,"2018/19,5\n') == [
        "f.csv, row 3, column A (—): this is not readable CSV:"
        ' a quote (") opened in this row is never closed'
    ]
    assert problems("students,imt-mines-ales\nstudents,imt,2018/19,5,ok,1,2\n") == [
        "f.csv, row 2, column C (period): the row stops here, after 2 cells:"
        " a separator or a quote is missing",
        "f.csv, row 3, column F (—): this row has text past the header's 5 columns:"
        " a separator too many, or a quote missing",
    ]
    assert problems('students,imt,"2018/19"x,5,\n') == [
        "f.csv, row 2, column A (—): this is not readable CSV: text after a closing quote:"
        ' a quote inside a quoted cell is written twice ("")'
    ]
    assert Value.objects.count() == 0
    # Not wrong: empty cells past the header (trailing separators); optional columns left
    # off the end of a row; a value left empty without its separator (no figure given).
    text = "students,imt,2018/19,5,,,\nstudents,imt,2019/20,6\nstudents,imt,2020/21\n"
    assert csv_import(HEADER + text).summary().startswith("2 new")
    # A withdrawal needs no value: its row may end before the value column.
    head = "indicator,entity,period,state,comment,value\n"
    withdrawn = csv_import(head + "students,imt,2018/19,withdrawn,a duplicate\n", state=None)
    assert withdrawn.summary() == "0 new, 0 revised, 0 unchanged, 1 withdrawn"


headers = st.lists(
    st.sampled_from(
        ["indicator", "entity", "period", "value", "state", "comment", "published", "x"]
    ),
    min_size=0,
    max_size=7,
)


def count_values() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Value._meta.db_table}")
        return cursor.fetchone()[0]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=headers, rows=st.lists(st.lists(cells, max_size=8), max_size=6), as_xlsx=st.booleans()
)
def test_hostile_spreadsheets_never_crash_nor_half_write(imt_plan, header, rows, as_xlsx):
    before = count_values()
    if as_xlsx:
        book = openpyxl.Workbook()
        sheet = book.active
        for row in [header, *rows]:
            sheet.append([c if not isinstance(c, str) else c[:30000] for c in row])
        if rows and len(rows[0]) > 1:
            sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)
        buffer = io.BytesIO()
        book.save(buffer)
        data, name = buffer.getvalue(), "f.xlsx"
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        for row in [header, *rows]:
            writer.writerow(["" if c is None else c for c in row])
        data, name = out.getvalue().encode(), "f.csv"
    try:
        import_figures(name, data, plan(), state="approved")
    except FileProblems as error:
        assert error.problems and all(p.line >= 1 and p.message for p in error.problems)
        assert count_values() == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400))
def test_random_bytes_are_refused_with_a_sentence(imt_plan, data):
    for name in ("f.csv", "f.xlsx"):
        try:
            import_figures(name, data, plan(), state="approved")
        except FileProblems as error:
            assert error.problems
    assert count_values() == 0
