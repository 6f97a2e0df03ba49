"""Figures and their states: what counts, what waits beside it, what is withdrawn."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jalon.audit.models import AuditEvent
from jalon.core.yamlsource import FileProblems
from jalon.plans.models import Plan
from jalon.values.evaluation import end_of_day, evaluate_plan
from jalon.values.models import Value
from jalon.values.valuefile import store_values, withdraw_figure


def load(state: str, rows: str, name: str = "v.yaml"):
    text = f"jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: {state}\nvalues:\n"
    return store_values(text + rows, name)


STUDENTS = "  - {{indicator: students, entity: imt, period: 2018/19, value: {value}{extra}}}\n"


def students(value, extra=""):
    return STUDENTS.format(value=value, extra=extra)


def figure_2018(**options):
    pe = evaluate_plan(Plan.objects.get(), **options)
    result = pe.result("students")
    row, column = pe.tree.codes.index("imt"), [p.code for p in result.periods].index("2018/19")
    return result.figure[row, column], pe.unapproved["students"][row, column]


def test_a_draft_correction_never_hides_the_approved_figure(imt_plan):
    load("approved", students(13500))
    load("draft", students(13900, ", comment: recount"))
    assert figure_2018() == (13500, False)  # the approved figure counts until its successor is
    in_force = Value.objects.current().filter(period="2018/19")
    assert sorted((v.state, v.number, v.revision) for v in in_force) == [
        ("approved", 13500, 1),
        ("draft", 13900, 2),
    ]
    # Approving the correction supersedes both the approved figure and the draft.
    load("approved", students(13900, ", comment: recount"))
    assert figure_2018() == (13900, False)
    assert [(v.state, v.revision) for v in Value.objects.current().filter(period="2018/19")] == [
        ("approved", 3)
    ]


def test_only_approved_figures_count_unless_submitted_ones_are_asked_for(imt_plan):
    report = load("submitted", students(14000))
    assert report.summary() == "1 new, 0 revised, 0 unchanged; stored as 1 submitted"
    value, _ = figure_2018()
    assert value != value  # no data: nothing approved yet
    assert figure_2018(include_submitted=True) == (14000, True)  # counted, marked unapproved
    load("approved", students(13800))
    assert figure_2018(include_submitted=True) == (13800, False)  # the decision is newer


def test_a_file_says_the_state_of_its_figures(imt_plan):
    text = "jalon: 1\nplan: imt-2018-2022\nvalues:\n" + students(1)
    with pytest.raises(FileProblems, match="missing key 'state'"):
        store_values(text, "v.yaml")
    report = load(
        "approved",
        students(13500)
        + "  - {indicator: students, entity: imt, period: 2019/20, value: 1, state: draft}\n",
    )
    assert report.summary() == "2 new, 0 revised, 0 unchanged; stored as 1 draft, 1 approved"


def test_a_withdrawn_figure_stops_counting_and_stays_in_the_history(imt_plan):
    load("approved", students(13500))
    with pytest.raises(FileProblems, match="a withdrawal says why"):
        load("withdrawn", "  - {indicator: students, entity: imt, period: 2018/19}\n")
    with pytest.raises(FileProblems, match="a withdrawal gives no value"):
        load("withdrawn", students(13500, ", comment: wrong"))
    report = load(
        "withdrawn",
        "  - {indicator: students, entity: imt, period: 2018/19, comment: counted twice}\n",
        "withdraw.yaml",
    )
    assert report.summary() == "0 new, 0 revised, 0 unchanged, 1 withdrawn"
    value, _ = figure_2018(include_submitted=True)
    assert value != value
    history = list(Value.objects.filter(period="2018/19").order_by("revision"))
    assert [(v.state, v.number, v.comment) for v in history] == [
        ("approved", 13500, ""),
        ("withdrawn", 13500, "counted twice"),  # what was withdrawn, and why
    ]
    assert history[1].recorded_via == "withdraw.yaml" and history[1].recorded_at
    event = AuditEvent.objects.filter(action="values.import").first()  # the latest
    assert event.detail["rows"] == [
        {"figure": "students at imt for 2018/19", "state": "withdrawn", "comment": "counted twice"}
    ]
    # Withdrawing again changes nothing; withdrawing nothing is an error, located.
    again = load(
        "withdrawn",
        "  - {indicator: students, entity: imt, period: 2018/19, comment: counted twice}\n",
    )
    assert again.summary() == "0 new, 0 revised, 1 unchanged"
    with pytest.raises(FileProblems) as caught:
        load("withdrawn", "  - {indicator: students, entity: imt, period: 2019/20, comment: x}\n")
    assert caught.value.problems[0].format("v.yaml") == (
        "v.yaml:6:5: there is no figure here to withdraw"
    )


def test_withdraw_from_the_command_line(imt_plan, capsys):
    load("approved", students(13500))
    call_command(
        "values",
        "withdraw",
        "--plan=imt-2018-2022",
        "--indicator=students",
        "--entity=imt",
        "--period=2018/19",
        "--reason=entered by mistake",
    )
    assert "Withdrawn: students at imt for 2018/19, because entered by mistake." in (
        capsys.readouterr().out
    )
    assert Value.objects.current().get(period="2018/19").state == "withdrawn"
    assert AuditEvent.objects.filter(action="values.withdraw").count() == 1
    with pytest.raises(CommandError, match="nothing was withdrawn"):
        call_command(
            "values", "withdraw", "--plan=imt-2018-2022", "--indicator=nope", "--entity=imt",
            "--period=2018/19", "--reason=x",
        )  # fmt: skip
    assert "the plan has no indicator 'nope'" in capsys.readouterr().err


def test_withdraw_figure_writes_nothing_on_error(imt_plan):
    before = Value.objects.count()
    with pytest.raises(FileProblems, match="there is no figure here to withdraw"):
        withdraw_figure("imt-2018-2022", "students", "imt", "2018/19", "nothing there")
    assert Value.objects.count() == before


def test_as_of_a_moment_before_the_approval_the_old_figure_counts(imt_plan):
    load("approved", students(13500))
    first = Value.objects.get(period="2018/19").recorded_at
    load("submitted", students(13900))
    load("approved", students(13900))
    pe = evaluate_plan(Plan.objects.get(), as_of=first)
    result = pe.result("students")
    column = [p.code for p in result.periods].index("2018/19")
    assert result.figure[pe.tree.codes.index("imt"), column] == 13500


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "{indicator: foreign-students-share, entity: imt-mines-ales, period: 2018/19, value: 78.1}",
            "78.1 is not a share written as a fraction: 'foreign-students-share' writes 78.1 % as 0.781",
        ),
        (
            "{indicator: students, entity: imt, period: 2018/19, value: -5}",
            "'students' counts students: -5 cannot be negative",
        ),
        (
            "{indicator: students, entity: imt, period: 2018/19, value: 13400.5}",
            "'students' counts students in whole numbers: 13400.5 is not one",
        ),
        (
            "{indicator: own-resources, entity: imt, period: '2018', value: -1}",
            "-1 is below 0, the lowest figure 'own-resources' can take",
        ),
    ],
)
def test_figures_are_what_their_indicator_says(imt_plan, row, message):
    with pytest.raises(FileProblems) as caught:
        load("approved", f"  - {row}\n")
    assert message in str(caught.value)
    assert str(caught.value).startswith("v.yaml:6:")
    assert Value.objects.count() == 0


CUMULATIVE_PLAN = """\
jalon: 1
plan: {code: startups-plan, name: Start-ups, organisation: root, horizon: [2018, 2022]}
sources: [{code: doc, title: A document}]
entities:
  - {code: root, name: Root, kind: institute}
  - {code: school-a, name: School A, kind: school, parent: root}
  - {code: school-b, name: School B, kind: school, parent: root}
indicators:
  - code: startups
    name: Start-ups created since 2017
    unit: start-ups
    count: true
    frequency: year
    polarity: up
    kind: amount
    across: sum
    over_time: cumulative
    breakdowns:
      - {code: sector, name: Sector, members: [{code: digital, name: Digital}, {code: energy, name: Energy}]}
targets:
  - {indicator: startups, document: doc, primary: true, baseline: {period: "2017", value: 0}, target: {period: "2022", value: 500}}
"""


def test_a_cumulative_indicator_accumulates_its_breakdowns_like_its_total(db):
    from jalon.conftest import load_plan_text
    from jalon.values.evaluation import breakdowns

    plan = load_plan_text(CUMULATIVE_PLAN, "startups.yaml").plan
    rows = "".join(
        f"  - {{indicator: startups, entity: {school}, period: '{year}', value: {total}}}\n"
        f"  - {{indicator: startups, entity: {school}, period: '{year}', member: sector/digital, value: {total - 10}}}\n"
        f"  - {{indicator: startups, entity: {school}, period: '{year}', member: sector/energy, value: 10}}\n"
        for school, year, total in (
            ("school-a", 2018, 40),
            ("school-b", 2018, 30),
            ("school-a", 2019, 50),
            ("school-b", 2019, 20),
        )
    )
    store_values(
        f"jalon: 1\nplan: startups-plan\nsource: doc\nstate: approved\nvalues:\n{rows}", "s.yaml"
    )
    pe = evaluate_plan(plan)
    result = pe.result("startups")
    root, at_2019 = pe.tree.codes.index("root"), [p.code for p in result.periods].index("2019")
    assert result.figure[root, at_2019] == 140  # 70 in 2018, 70 in 2019, since the baseline
    (sectors,) = breakdowns(pe, plan.indicators.get())
    assert sectors.values[:, root, at_2019].tolist() == [100, 40]  # running totals too
    assert not sectors.gaps["incomplete"][root].any()


def test_a_figure_of_another_federation_is_refused(imt_plan):
    from jalon.conftest import PLANS, load_plan_text

    csu = PLANS / "csu-gi-2025.yaml"
    load_plan_text(csu.read_text(), str(csu))
    with pytest.raises(FileProblems) as caught:
        load(
            "approved", "  - {indicator: students, entity: csu-fresno, period: 2018/19, value: 1}\n"
        )
    assert "'csu-fresno' is not in the federation of plan imt-2018-2022" in str(caught.value)


def test_a_percentage_written_as_a_fraction_is_refused_where_it_shows(db):
    from jalon.conftest import PLANS, load_plan_text

    csu = PLANS / "csu-gi-2025.yaml"
    load_plan_text(csu.read_text(), str(csu))
    text = "jalon: 1\nplan: csu-gi-2025\nsource: csu-2018-release\nstate: approved\nvalues:\n"
    with pytest.raises(FileProblems) as caught:
        store_values(
            text + "  - {indicator: first-time-6yr, entity: csu, period: '2019', value: 0.62}\n",
            "v.yaml",
        )
    assert "0.62 looks like a fraction, but 'first-time-6yr' writes its figures as" in str(
        caught.value
    )
    assert Value.objects.count() == 0
    # A file whose own figures are above 1 says how it writes them: the indicator's
    # targets and figures in force, which cost its history, are not looked up.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    row = "  - {indicator: first-time-6yr, entity: csu, period: '%s', value: %s}\n"
    with CaptureQueriesContext(connection) as queries:
        store_values(text + row % ("2019", 62.5) + row % ("2020", 63), "v.yaml")
    looked_up = [q["sql"] for q in queries if "MAX(" in q["sql"] or "plans_target" in q["sql"]]
    assert looked_up == []
    assert Value.objects.count() == 2


def test_history_names_the_file_and_who_never_a_server_path(imt_plan):
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        + students(13500),
        "/srv/secret/uploads/figures.yaml",
        actor_label="cli:alice",
    )
    assert Value.objects.get(period="2018/19").recorded_via == "figures.yaml · cli:alice"
    withdraw_figure("imt-2018-2022", "students", "imt", "2018/19", "typo", actor_label="cli:bob")
    assert Value.objects.current().get(period="2018/19").recorded_via == "command line · cli:bob"


CARRY_PLAN = """\
jalon: 1
plan: {code: staff-plan, name: Staff, organisation: root, horizon: [2019, 2022]}
sources: [{code: doc, title: A document}]
entities:
  - {code: root, name: Root, kind: institute}
  - {code: school-a, name: School A, kind: school, parent: root}
  - {code: school-b, name: School B, kind: school, parent: root}
indicators:
  - {code: staff, name: Staff, unit: people, count: true, frequency: year, polarity: up, kind: amount, across: sum, over_time: stock, carry_forward: 1}
"""


def test_a_carried_figure_keeps_the_marks_of_the_figure_it_repeats(db):
    from jalon.conftest import load_plan_text

    plan = load_plan_text(CARRY_PLAN, "staff.yaml").plan
    head = "jalon: 1\nplan: staff-plan\nsource: doc\nstate: {state}\nvalues:\n"
    store_values(
        head.format(state="approved")
        + "  - {indicator: staff, entity: school-a, period: '2020', value: 100}\n"
        + "  - {indicator: staff, entity: school-a, period: '2021', value: 110}\n",
        "a.yaml",
    )
    store_values(
        head.format(state="submitted")
        + "  - {indicator: staff, entity: school-b, period: '2020', value: 50}\n",
        "b.yaml",
    )
    pe = evaluate_plan(plan, include_submitted=True)
    result = pe.result("staff")
    root, b = pe.tree.codes.index("root"), pe.tree.codes.index("school-b")
    at_2021 = [p.code for p in result.periods].index("2021")
    assert result.figure[root, at_2021] == 160 and result.carried[b, at_2021] == 1
    assert pe.unapproved["staff"][b, at_2021] and pe.unapproved["staff"][root, at_2021]


def test_a_figure_is_known_from_its_publication(imt_plan):
    load("approved", students(13500, ", published: 2019-10-15"))
    load("approved", students(13600, ", published: 2020-03-01, comment: audited"))
    moments = {
        "2019-10-01": None,  # not public yet
        "2019-11-01": 13500,
        "2020-04-01": 13600,  # the correction, once published
    }
    for day, expected in moments.items():
        pe = evaluate_plan(Plan.objects.get(), as_of=end_of_day(dt.date.fromisoformat(day)))
        result = pe.result("students")
        column = [p.code for p in result.periods].index("2018/19")
        value = result.figure[pe.tree.codes.index("imt"), column]
        assert (None if value != value else value) == expected, day
    with pytest.raises(FileProblems, match="is before 2018/19 began"):
        load("approved", students(1, ", published: 2018-01-01"))
    with pytest.raises(FileProblems, match="is in the future"):
        load("approved", students(1, ", published: 2999-01-01"))


def test_the_demo_as_of_2019_shows_what_was_known_then(imt_values):
    pe = evaluate_plan(Plan.objects.get(), as_of=end_of_day(dt.date(2019, 1, 1)))
    result = pe.result("students")
    row = pe.tree.codes.index("imt")
    known = [
        p.code
        for j, p in enumerate(result.periods)
        if result.figure[row, j] == result.figure[row, j]
    ]
    assert known[-1] == "2018/19"  # the autumn 2018 census; not yet 2019/20's
    assert result.target[row] == 20000  # adopted in November 2017

    def documents(pe):
        t = pe.result("students").targets
        return sorted(str(t.document[k]) for k in range(len(t)) if t.row[k] == row)

    assert documents(pe) == ["cop-2018-2022", "press-release"]  # signed in October 2018
    before = evaluate_plan(Plan.objects.get(), as_of=end_of_day(dt.date(2018, 6, 1)))
    assert documents(before) == ["press-release"]


def test_a_file_reads_only_the_figures_in_force_of_its_own_keys(imt_values):
    # The cost of a small file follows the file, not the history the database holds: the
    # figures in force are read by the file's indicators, entities and periods.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
    with CaptureQueriesContext(connection) as queries:
        store_values(head + students(13_501), "one.yaml")
    table = Value._meta.db_table
    reads = [
        q["sql"]
        for q in queries
        # PostgreSQL reads them through a cursor of its own (DECLARE … CURSOR FOR SELECT).
        if "SELECT" in q["sql"][:200]
        and f'FROM "{table}"' in q["sql"]
        and '"superseded_at" IS NULL' in q["sql"]
    ]
    assert reads
    for sql in reads:
        for column in ("indicator_id", "entity_id", "period"):
            assert f'"{table}"."{column}" IN (' in sql, sql


def test_a_fraction_is_refused_where_only_the_figures_in_force_say_percent(db):
    from jalon.conftest import load_plan_text
    from jalon.plans.tests.test_planfile import INDICATOR, MINIMAL

    # A share with no target: only its figures in force tell how it is written.
    load_plan_text(MINIMAL.replace("sources:\n", INDICATOR + "    written_as: percent\nsources:\n"))
    head = "jalon: 1\nplan: p\nsource: doc\nstate: approved\nvalues:\n"
    row = "  - {indicator: share, entity: school-a, period: '%s', value: %s}\n"
    store_values(head + row % ("2018", 0.5), "v.yaml")  # 0.5 %: nothing says otherwise
    store_values(head + row % ("2019", 41.5), "v.yaml")
    with pytest.raises(FileProblems, match="0.44 looks like a fraction, but 'share' writes"):
        store_values(head + row % ("2020", 0.44), "v.yaml")
    assert Value.objects.count() == 2
