import datetime as dt

import pytest

from jalon.engine.coherence import implied_ratio_change, relative_change, target_sum_gap
from jalon.engine.rollup import ProjectStatus, project_status, rollup_counts


def test_rollup_counts_every_status_never_an_average():
    statuses = ["on_track", "off_track", "on_track", "no_data"]
    out = rollup_counts(statuses, {"axis_2": [0, 1, 2], "axis_1": [3], "empty": []})
    assert list(out) == ["axis_1", "axis_2", "empty"]
    assert out["axis_2"] == {
        "achieved": 0,
        "on_track": 2,
        "at_risk": 0,
        "off_track": 1,
        "missed": 0,
        "no_data": 0,
        "no_target": 0,
    }
    assert sum(out["empty"].values()) == 0
    with pytest.raises(ValueError, match="Unknown status: great"):
        rollup_counts(["great"], {"a": [0]})


def test_project_status_from_milestones():
    today = dt.date(2019, 6, 1)
    due, later = dt.date(2019, 3, 1), dt.date(2020, 3, 1)
    assert (
        project_status([(due, dt.date(2019, 2, 1)), (later, dt.date(2019, 5, 1))], today) == "done"
    )
    assert project_status([(due, None), (later, None)], today) == ProjectStatus.LATE
    assert project_status([(later, None)], today) == ProjectStatus.ON_TRACK
    assert project_status([(later, None)], today, start=dt.date(2019, 9, 1)) == "not_started"
    assert project_status([], today) == ProjectStatus.NO_MILESTONES  # nothing to judge by
    assert project_status([(due, None)], today, override=ProjectStatus.ON_TRACK) == "on_track"


def test_target_coherence():
    # Students per staff: students +49.25 % (13,400 → 20,000) with staff +25 % → +19.4 %.
    students = relative_change(13400, 20000)
    assert students == pytest.approx(0.4925, abs=1e-4)
    assert implied_ratio_change(students, 0.25) == pytest.approx(20000 / 13400 / 1.25 - 1)
    assert implied_ratio_change(students, 0.25) == pytest.approx(0.194, abs=1e-3)
    assert target_sum_gap(20000, {"IMT_MINES_ALES": 1400, "OTHERS": 18000}) == 600
    assert target_sum_gap(20000, {}) != target_sum_gap(20000, {})  # NaN: no children
    assert relative_change(0, 5) != relative_change(0, 5)  # NaN: no baseline to grow from
