"""The plan evaluated from the database: figures worked out by hand on the IMT plan."""

import math
import threading
import time

import numpy as np
import pytest
from django.utils import timezone

from jalon.engine.consolidation import Across
from jalon.engine.evaluate import KINDS
from jalon.engine.periods import Frequency
from jalon.engine.rollup import ProjectStatus
from jalon.engine.status import Polarity
from jalon.engine.timeagg import OverTime
from jalon.engine.trajectory import Shape
from jalon.plans import choices
from jalon.plans.models import Plan
from jalon.values.evaluation import coherence_notes, evaluate_plan
from jalon.values.models import Value
from jalon.values.valuefile import store_values


def at(pe, code: str, entity: str, period: str):
    """Return (result, row, column) for an indicator at an entity and period."""
    result = pe.result(code)
    row = pe.tree.codes.index(entity)
    column = [p.code for p in result.periods].index(period)
    return result, row, column


def test_students_at_the_institute(imt_values):
    pe = evaluate_plan(imt_values)
    r, row, j = at(pe, "students", "imt", "2021/22")
    # The sourced "more than 13,000" is the institute's own figure of record.
    assert r.figure[row, j] == 13000
    # Linear from 13,400 (2017/18) to 20,000 (2022/23): 4 of 5 years gone.
    # 13,400 + 6,600 × 4/5 = 18,680.
    assert r.expected[row, j] == pytest.approx(18680)
    # Progress (13,000 − 13,400) / (18,680 − 13,400) = −400 / 5,280 = −0.0758 → off track.
    assert r.progress[row, j] == pytest.approx(-400 / 5280)
    assert r.status[row, j] == "off_track"
    # The nine schools active in 2021/22 all reported (example figures).
    assert (r.consolidated.reporting[row, j], r.consolidated.expected[row, j]) == (9, 9)
    assert pe.example["students"][row, j] == False  # noqa: E712 - the figure of record is sourced
    r, row, j = at(pe, "students", "imt", "2019/20")
    assert pe.example["students"][row, j]  # a consolidation of example figures


def test_own_resources_compound_trajectory(imt_values):
    pe = evaluate_plan(imt_values)
    r, row, j = at(pe, "own-resources", "imt", "2021")
    # 170 × (272 / 170)^(4/5) = 170 × 1.6^0.8 = 247.60
    assert r.expected[row, j] == pytest.approx(170 * 1.6**0.8)
    assert r.expected[row, j] == pytest.approx(247.597, abs=1e-3)


def test_relative_target_on_a_measured_baseline(imt_values):
    pe = evaluate_plan(imt_values)
    r, row, j = at(pe, "teaching-research-staff", "imt", "2017/18")
    measured = sum(
        Value.objects.current()
        .totals()
        .filter(indicator__code="teaching-research-staff", period="2017/18")
        .values_list("number", flat=True)
    )
    assert r.baseline[row] == measured
    assert r.target[row] == pytest.approx(measured * 1.25)


def test_ratio_of_sums_and_implied_change(imt_values):
    pe = evaluate_plan(imt_values)
    ratio, row, j = at(pe, "students-per-staff", "imt", "2017/18")
    students, _, js = at(pe, "students", "imt", "2017/18")
    staff, _, jf = at(pe, "teaching-research-staff", "imt", "2017/18")
    assert ratio.figure[row, j] == pytest.approx(students.figure[row, js] / staff.figure[row, jf])
    # Students +49.25 % (13,400 → 20,000) and staff +25 %: 1.4925 / 1.25 − 1 = +19.4 %.
    assert coherence_notes(pe, "imt") == [
        "students +49.3% with teaching-research-staff +25.0% implies students-per-staff +19.4%."
    ]


def test_a_school_against_its_own_targets(imt_values):
    pe = evaluate_plan(imt_values)
    r, row, j = at(pe, "foreign-students-share", "imt-mines-ales", "2017/18")
    assert r.figure[row, j] == pytest.approx(0.10)  # the sourced share
    r, row, j = at(pe, "english-taught-courses", "imt-mines-ales", "2022/23")
    assert r.target[row] == 7 and math.isnan(r.figure[row, j])
    assert r.status[row, j] == "no_data"


def test_as_of_shows_what_was_known_then(imt_values):
    before = timezone.now()
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt, period: 2017/18, value: 13500, comment: corrected}\n",
        "fix.yaml",
    )
    now = evaluate_plan(imt_values)
    then = evaluate_plan(imt_values, as_of=before)
    r, row, j = at(now, "students", "imt", "2017/18")
    assert r.figure[row, j] == 13500
    r, row, j = at(then, "students", "imt", "2017/18")
    assert r.figure[row, j] == 13400


def test_queries_do_not_grow_with_entities_or_indicators(imt_values, django_assert_max_num_queries):
    # The stamps, the plan's structure (indicators, tree, entities, targets and the rare
    # milestones, groupings with their members, lineages) and its figures, with the
    # example sources.
    with django_assert_max_num_queries(12):
        evaluate_plan(Plan.objects.get())


def test_choices_match_the_engine():
    assert set(choices.Polarity.values) == {p.value for p in Polarity}
    assert set(choices.Across.values) == {a.value for a in Across}
    assert set(choices.OverTime.values) == {o.value for o in OverTime}
    assert set(choices.Shape.values) == {s.value for s in Shape}
    # A manual status is one the milestones could give; "no milestones" is never set by hand.
    assert set(choices.ProjectStatus.values) == {s.value for s in ProjectStatus} - {"no_milestones"}
    assert set(choices.Frequency.values) == {f.value for f in Frequency}
    assert set(choices.IndicatorKind.values) == set(KINDS)


def test_the_cache_serves_one_evaluation_per_version_of_the_data(imt_values):
    from jalon.values.evaluation import cached_evaluation

    first = cached_evaluation(Plan.objects.get())
    assert cached_evaluation(Plan.objects.get()) is first
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt, period: 2017/18, value: 13500}\n",
        "fix.yaml",
    )
    fresh = cached_evaluation(Plan.objects.get())
    assert fresh is not first
    r, row, j = at(fresh, "students", "imt", "2017/18")
    assert r.figure[row, j] == 13500


def test_a_change_re_reads_only_its_indicator_and_frees_the_older_evaluation(
    imt_values, django_assert_max_num_queries
):
    from jalon.engine.tests.test_incremental import same
    from jalon.values import evaluation

    first = evaluation.cached_evaluation(Plan.objects.get())
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2021/22, value: 1500}\n",
        "fix.yaml",
    )
    plan = Plan.objects.get()
    calls = []
    real = evaluation.read_figures

    def spy(plan, structure, codes, **options):
        calls.append(codes)
        return real(plan, structure, codes, **options)

    evaluation.read_figures = spy
    try:
        # The stamps, the tree (unchanged?), the changed indicator's figures and sources;
        # and, as its input and snapshot are written, the plan's stamp (newer written?).
        with django_assert_max_num_queries(6):
            fresh = evaluation.cached_evaluation(plan)
    finally:
        evaluation.read_figures = real
    assert calls == [["students"]]
    kept, anew = first.evaluation.indicators, fresh.evaluation.indicators
    assert anew["teaching-research-staff"] is kept["teaching-research-staff"]
    # The indicator, and those computed from it, anew.
    for code in ("students", "students-per-staff", "foreign-students-share"):
        assert anew[code] is not kept[code]
    same(fresh.evaluation, evaluate_plan(plan).evaluation)
    same(fresh.example, evaluate_plan(plan).example)
    # The evaluation of the older data is let go: one entry for the plan, the current one.
    assert [k[1] for k in evaluation._cache if k[0] == plan.pk] == [plan.data_stamp]


def test_what_the_overview_works_out_from_today_is_kept_through_a_change_to_another_indicator(
    imt_values,
):
    from jalon.values import evaluation

    first = evaluation.cached_evaluation(Plan.objects.get())
    staff = "teaching-research-staff"
    kept = evaluation.derived_examples(first, staff)  # as the overview asks: from today
    outlook = first.outlook(staff)
    changed = evaluation.derived_examples(first, "students")
    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt-mines-ales, period: 2021/22, value: 1500}\n",
        "fix.yaml",
    )
    fresh = evaluation.cached_evaluation(Plan.objects.get())
    assert fresh is not first
    assert evaluation.derived_examples(fresh, staff) is kept
    assert fresh.outlook(staff) is outlook
    # The changed indicator's, worked out again.
    assert evaluation.derived_examples(fresh, "students") is not changed
    # Seen from today or from the period that holds today: one and the same.
    today = fresh.seen_from(staff, None)
    assert evaluation.derived_examples(fresh, staff, today) is kept


def test_a_plan_load_evaluates_anew(imt_values):
    from jalon.conftest import IMT_PLAN, load_plan_text
    from jalon.values import evaluation

    first = evaluation.cached_evaluation(Plan.objects.get())
    load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN))  # a load may change anything
    fresh = evaluation.cached_evaluation(Plan.objects.get())
    assert fresh.structure is not first.structure
    staff = "teaching-research-staff"
    assert fresh.evaluation.indicators[staff] is not first.evaluation.indicators[staff]


def test_milestones_read_from_the_database_shape_the_path(db):
    from jalon.conftest import IMT_PLAN, load_plan_text

    text = IMT_PLAN.read_text().replace(
        "    target: {period: 2022/23, value: 20000}\n",
        "    target: {period: 2022/23, value: 20000}\n    shape: milestones\n"
        "    milestones: [{period: 2020/21, value: 17000}]\n",
        1,
    )
    load_plan_text(text, "milestones.yaml")
    pe = evaluate_plan(Plan.objects.get())
    result = pe.result("students")
    row = pe.tree.codes.index("imt")
    column = [p.code for p in result.periods].index("2020/21")
    assert result.expected[row, column] == 17000
    assert "2020/21" in pe.structure.named["students"]


CHANGE = (
    "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
    "  - {indicator: students, entity: imt-mines-ales, period: 2021/22, value: 1500}\n"
)


def test_a_request_that_had_not_seen_a_change_is_served(imt_values):
    """A request reads the plan, a change lands, the request's evaluation reads the new
    stamps: a later request with the older plan finds nothing more to read."""
    from jalon.values import evaluation

    before = Plan.objects.get()
    evaluation.cached_evaluation(before)
    store_values(CHANGE, "fix.yaml")
    now = evaluation.cached_evaluation(Plan.objects.get())
    again = evaluation.cached_evaluation(before)  # its key is gone; nothing has changed
    r, row, j = at(again, "students", "imt-mines-ales", "2021/22")
    assert (
        r.figure[row, j]
        == 1500
        == at(now, "students", "imt-mines-ales", "2021/22")[0].figure[row, j]
    )


def test_figures_with_submitted_ones_never_stand_for_the_approved(imt_values):
    from jalon.engine.tests.test_incremental import same
    from jalon.values import evaluation

    submitted = evaluation.cached_evaluation(Plan.objects.get(), include_submitted=True)
    assert submitted.include_submitted
    store_values(CHANGE, "fix.yaml")
    evaluation._cache.clear()  # a process that starts now
    plan = Plan.objects.get()
    approved = evaluation.cached_evaluation(plan)
    assert not approved.include_submitted
    same(approved.evaluation, evaluate_plan(plan).evaluation)


def test_one_process_at_a_time_writes_a_snapshot(imt_values):
    """A process that finds another writing the snapshot waits for it, and maps what it
    wrote rather than write it again."""
    from jalon.values import evaluation, snapshots

    plan = Plan.objects.get()
    pe = evaluation.evaluate_plan(plan)
    path = snapshots.path_for(plan, False)
    snapshots.save(pe, plan.data_stamp)
    aside = path.with_suffix(".aside")
    path.rename(aside)  # to be put in place by the other writer
    theirs = aside.stat().st_ino
    taken = threading.Event()

    def another_process_writing():
        with snapshots._writing(path) as mine:
            assert mine
            taken.set()
            time.sleep(0.3)
            aside.rename(path)

    writer = threading.Thread(target=another_process_writing)
    writer.start()
    assert taken.wait(5)
    snapshots.save(pe, plan.data_stamp)
    assert path.stat().st_ino == theirs  # there once save returns, and not written twice
    writer.join()
    assert snapshots.load(plan, False) is not None
    # Files of other code (before an upgrade) go when the plan's snapshot is written.
    stale = path.with_name(path.name.replace(snapshots.CODE, "0" * 12))
    stale.write_bytes(b"")
    snapshots._lock_for(stale).touch()
    path.unlink()
    snapshots.save(pe, plan.data_stamp)
    given = snapshots.input_path_for(plan, False)
    kept = [path, snapshots._lock_for(path), given, snapshots._lock_for(given)]
    assert sorted(path.parent.iterdir()) == sorted(kept)


def test_after_an_upgrade_the_evaluation_starts_from_the_saved_input(
    imt_values, django_assert_max_num_queries, monkeypatch
):
    """The engine's code changed (no evaluation snapshot of this code), the figures did
    not all: the saved input is evaluated, only the changed indicator is read again."""
    from jalon.engine.tests.test_incremental import same
    from jalon.values import evaluation, snapshots

    evaluation.cached_evaluation(Plan.objects.get())  # saves the evaluation and its input
    for path in snapshots.folder().glob("*.snapshot"):
        if ".input-" not in path.name:
            path.unlink()  # written by the code before the upgrade
    store_values(CHANGE, "fix.yaml")
    evaluation._cache.clear()  # a process that starts now
    plan = Plan.objects.get()

    def not_from_the_database(*args, **kwargs):
        raise AssertionError("evaluated from the database")

    monkeypatch.setattr(evaluation, "evaluate_plan", not_from_the_database)
    with django_assert_max_num_queries(8):
        pe = evaluation.cached_evaluation(plan)
    monkeypatch.undo()
    r, row, j = at(pe, "students", "imt-mines-ales", "2021/22")
    assert r.figure[row, j] == 1500
    same(pe.evaluation, evaluate_plan(plan).evaluation)
    same(pe.example, evaluate_plan(plan).example)
    # A damaged input is set aside: the plan is evaluated from the database.
    evaluation._cache.clear()
    for path in snapshots.folder().glob("*.snapshot"):
        path.write_bytes(b"damaged")
    assert evaluation.from_saved_input(plan) is None
    assert not list(snapshots.folder().glob("*.input-*.snapshot"))
    same(evaluation.cached_evaluation(plan).evaluation, evaluate_plan(plan).evaluation)


def test_a_process_maps_what_changed_once_the_snapshot_is_written(
    imt_values, settings, monkeypatch
):
    """After a change, a process holds its own copies of what it evaluated again; the
    snapshot written soon after takes their place, and a process that kept an older one
    maps the newer snapshot another process wrote on its next change."""
    import time

    from jalon.engine.tests.test_incremental import same
    from jalon.values import evaluation, snapshots

    settings.SNAPSHOTS_IN_BACKGROUND = True
    monkeypatch.setattr(snapshots, "SOON", 0.0)
    plan = Plan.objects.get()
    first = evaluation.cached_evaluation(plan)  # written at once, and mapped
    assert first.base == snapshots.newest_name(plan, False) and not first.since_base
    store_values(CHANGE, "fix.yaml")
    plan = Plan.objects.get()
    changed = evaluation.cached_evaluation(plan)
    assert changed.base == first.base and "students" in changed.since_base
    key = (plan.pk, plan.data_stamp, None, False)
    for _ in range(200):  # the write in the background, then the mapped copy in place
        if evaluation._cache[key].base != first.base:
            break
        time.sleep(0.05)
    adopted = evaluation._cache[key]
    assert adopted.base == snapshots.path_for(plan, False).name and not adopted.since_base
    same(adopted.evaluation, evaluate_plan(plan).evaluation)

    # Another process writes a newer snapshot; this one, still on its own, takes it.
    settings.SNAPSHOTS_IN_BACKGROUND = False
    evaluation._cache[key] = changed  # as a process that has not adopted it
    store_values(CHANGE.replace("1500", "1600"), "fix2.yaml")
    plan = Plan.objects.get()
    other = evaluation.refreshed(snapshots.load(plan, False, latest=True), plan)
    written = snapshots.save(other, plan.data_stamp)
    store_values(CHANGE.replace("1500", "1700"), "fix3.yaml")
    plan = Plan.objects.get()
    mine = evaluation.cached_evaluation(plan)
    assert mine.base == written.name
    r, row, j = at(mine, "students", "imt-mines-ales", "2021/22")
    assert r.figure[row, j] == 1700
    same(mine.evaluation, evaluate_plan(plan).evaluation)


def test_threads_of_a_process_bring_a_plan_up_to_date_once(imt_values, monkeypatch):
    """Requests that meet a change at once wait for one thread's evaluation, rather than
    each work out copies of their own."""
    from jalon.values import evaluation

    plan = Plan.objects.get()
    made = []

    def slow_latest(plan, key, earlier, include_submitted):
        made.append(key)
        time.sleep(0.3)
        return object()

    monkeypatch.setattr(evaluation, "_latest", slow_latest)
    evaluation._cache.clear()
    got = []
    readers = [
        threading.Thread(target=lambda: got.append(evaluation.cached_evaluation(plan)))
        for _ in range(3)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(made) == 1 and len(got) == 3 and got[0] is got[1] is got[2]


def test_the_memory_of_the_evaluation_let_go_is_given_back_once_it_is_freed(
    imt_values, monkeypatch
):
    """The previous evaluation is freed before its memory is given back to the system:
    given back while it was still held, its small arrays stayed with the process."""
    import gc
    import weakref

    from jalon.values import evaluation, snapshots

    first = evaluation.cached_evaluation(Plan.objects.get())
    previous = weakref.ref(first)
    del first
    store_values(CHANGE, "fix.yaml")
    alive_when_given_back = []
    monkeypatch.setattr(
        snapshots, "release_memory", lambda: alive_when_given_back.append(previous() is not None)
    )
    gc.disable()  # freed by its count of references, not by a collection meanwhile
    try:
        evaluation.cached_evaluation(Plan.objects.get())
    finally:
        gc.enable()
    assert alive_when_given_back and not any(alive_when_given_back)


def _forget_writes(key, *timers) -> None:
    """Cancel the plan's snapshot writes to come, and forget when it was last written."""
    from jalon.values import snapshots

    for timer in (snapshots._timers.get(key), *timers):
        if timer is not None:
            timer.cancel()
    for table in (snapshots._pending, snapshots._due, snapshots._timers, snapshots._written):
        table.pop(key, None)


def test_a_sooner_write_ends_the_wait_of_the_one_it_supersedes(imt_values, settings):
    """A process that holds many changes of its own writes its snapshot soon; the write
    due in a minute is cancelled with its thread, not left waiting for its time."""
    from jalon.values import evaluation, snapshots

    settings.SNAPSHOTS_IN_BACKGROUND = True
    plan = Plan.objects.get()
    pe = evaluation.evaluate_plan(plan)
    key = (plan.pk, False)
    snapshots._written[key] = time.monotonic()  # written just now: the next in a minute
    sooner = None
    try:
        snapshots.save_later(pe, plan.data_stamp)
        later = snapshots._timers[key]
        snapshots.save_later(pe, plan.data_stamp, soon=True)
        sooner = snapshots._timers[key]
        assert sooner is not later
        later.join(timeout=5)
        assert not later.is_alive()  # ended at once, not in a minute
    finally:
        _forget_writes(key, sooner)


def test_a_process_that_took_a_snapshot_writes_its_first_change_in_a_minute(
    imt_values, settings, monkeypatch
):
    """A process that starts maps the newest snapshot; its first change is written in the
    background a minute later, like every other, not at once (the whole evaluation for
    one changed indicator, while requests wait on the writing thread)."""
    from jalon.values import evaluation, snapshots

    settings.SNAPSHOTS_IN_BACKGROUND = False
    plan = Plan.objects.get()
    snapshots.save(evaluation.evaluate_plan(plan), plan.data_stamp)  # by another process
    key = (plan.pk, False)
    _forget_writes(key)  # this process has written nothing
    evaluation._cache.clear()
    settings.SNAPSHOTS_IN_BACKGROUND = True
    monkeypatch.setattr(snapshots, "SOON", snapshots.INTERVAL)  # a few indicators: one is many
    try:
        assert evaluation.cached_evaluation(plan).base  # the snapshot, mapped
        store_values(CHANGE, "fix.yaml")
        changed = evaluation.cached_evaluation(Plan.objects.get())
        assert "students" in changed.since_base
        assert snapshots._due.get(key, 0) > time.monotonic() + snapshots.INTERVAL / 2
    finally:
        _forget_writes(key)


def test_a_snapshot_of_older_data_is_not_written_over_the_newer_one(imt_values):
    """A process whose write comes due after another process wrote the plan's data as it
    now is leaves that newer file in place, rather than write its older one and remove
    the newer (every process would then bring the older one up to date again)."""
    from jalon.values import evaluation, snapshots

    plan = Plan.objects.get()
    older, older_stamp = evaluation.evaluate_plan(plan), plan.data_stamp
    store_values(CHANGE, "fix.yaml")
    plan = Plan.objects.get()
    newer = snapshots.save(evaluation.evaluate_plan(plan), plan.data_stamp)  # another process
    snapshots.save(older, older_stamp)
    assert newer.exists()
    assert not snapshots.path_for(plan, False, older_stamp).exists()
    assert not snapshots.input_path_for(plan, False, older_stamp).exists()
    assert snapshots.load(plan, False).evaluation.indicators  # the newer, mapped


def test_a_write_due_in_a_minute_ends_once_another_process_has_written_the_same_data(
    imt_values, settings
):
    """Every process sees the same changes: one that finds the snapshot of the data it
    holds written by another maps it then, rather than keep its own copies for a minute."""
    from jalon.values import evaluation, snapshots

    settings.SNAPSHOTS_IN_BACKGROUND = True
    plan = Plan.objects.get()
    pe = evaluation.evaluate_plan(plan)
    key = (plan.pk, False)
    snapshots._written[key] = time.monotonic()  # written just now: the next in a minute
    taken = threading.Event()
    try:
        snapshots.save_later(pe, plan.data_stamp, then=taken.set)
        wait = snapshots._timers[key]
        assert not taken.wait(2 * snapshots._Wait.LOOK)  # nothing written yet: it waits
        written = snapshots.save(pe, plan.data_stamp).stat()  # as another process would
        assert taken.wait(10 * snapshots._Wait.LOOK)  # taken then, not in a minute
        assert snapshots.path_for(plan, False).stat().st_mtime_ns == written.st_mtime_ns
        wait.join(timeout=5)
        assert not wait.is_alive() and key not in snapshots._pending
    finally:
        _forget_writes(key)


def test_a_snapshot_of_the_data_as_it_is_comes_with_what_was_worked_out_from_it(imt_values):
    """A process behind by a change takes the snapshot another process wrote of the data
    as it now is, with the outlooks worked out from it, rather than work them out again
    (each a copy of its own, reading the whole file)."""
    from jalon.values import evaluation, snapshots

    evaluation.cached_evaluation(Plan.objects.get())  # written at once, and mapped
    store_values(CHANGE, "fix.yaml")
    plan = Plan.objects.get()
    other = evaluation.refreshed(snapshots.load(plan, False, latest=True), plan)
    worked_out = other.outlook("students")
    snapshots.save(other, plan.data_stamp)
    taken = evaluation.cached_evaluation(plan)
    assert taken.base == snapshots.path_for(plan, False).name
    kept = [v for (code, _), v in taken.outlooks.items() if code == "students"]
    assert kept and np.array_equal(
        kept[0].forecast.value, worked_out.forecast.value, equal_nan=True
    )


def test_a_snapshot_that_cannot_be_written_is_told_once_with_its_traceback(
    imt_values, monkeypatch, caplog
):
    from jalon.values import snapshots

    def refused(pe, stamp):
        raise PermissionError(13, "Permission denied", "/srv/jalon/snapshots/x.snapshot")

    monkeypatch.setattr(snapshots, "save", refused)
    monkeypatch.setattr(snapshots, "_failures", set())
    pe = evaluate_plan(Plan.objects.get())
    with caplog.at_level("WARNING", logger="jalon.values.snapshots"):
        assert [snapshots.save_now(pe, "s") for _ in range(3)] == [False, False, False]
    told = [r for r in caplog.records if "Could not write the snapshot" in r.getMessage()]
    assert [bool(r.exc_info) for r in told] == [True, False, False]
    assert "Permission denied" in told[-1].getMessage()
