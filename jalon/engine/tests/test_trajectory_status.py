import numpy as np
import pytest

from jalon.engine.status import STATUS_ORDER, Polarity, Status, Thresholds, assess
from jalon.engine.trajectory import Shape, trajectory_at

nan = np.nan
Y1718, Y1920, Y2223 = 2017 + 8 / 12, 2019 + 8 / 12, 2022 + 8 / 12  # academic years from September


def test_students_linear_trajectory_and_off_track_status():
    # 13,400 students at 2017/18, 20,000 at 2022/23: expected at 2019/20 = 13,400 + 6,600 × 2/5.
    expected = trajectory_at(
        Y1920,
        baseline_position=Y1718,
        baseline_value=13400,
        target_position=Y2223,
        target_value=20000,
        shape=Shape.LINEAR,
    )
    assert expected == pytest.approx(16040.0)
    result = assess(14000, expected, 13400, 20000, polarity=Polarity.UP, final=False)
    assert result.progress == pytest.approx(600 / 2640)  # 0.227
    assert result.status == Status.OFF_TRACK


def test_own_resources_compound_trajectory():
    # €170M in 2017 → +60 % (€272M) in 2022, a constant growth rate: 170 × 1.6^(3/5) in 2020.
    expected = trajectory_at(
        2020.0,
        baseline_position=2017.0,
        baseline_value=170.0,
        target_position=2022.0,
        target_value=170 * 1.6,
        shape="compound",
    )
    assert pytest.approx(272.0) == 170 * 1.6
    assert expected == pytest.approx(170 * 1.6 ** (3 / 5))  # 225.4


def test_compound_falls_back_to_linear_without_positive_values():
    kwargs = {"baseline_position": 2017.0, "target_position": 2022.0, "shape": Shape.COMPOUND}
    assert trajectory_at(2019.5, baseline_value=0.0, target_value=10.0, **kwargs) == pytest.approx(
        5.0
    )


def test_trajectory_shapes_before_and_after():
    t = np.arange(2016.0, 2024.0)
    common = {
        "baseline_position": 2017.0,
        "baseline_value": 0.0,
        "target_position": 2022.0,
        "target_value": 10.0,
    }
    linear = trajectory_at(t, shape="linear", **common)
    assert np.isnan(linear[0]) and list(linear[1:]) == pytest.approx([0, 2, 4, 6, 8, 10, 10])
    step = trajectory_at(t, shape="step", milestones=[(2019.0, 8.0)], **common)
    assert list(step[1:]) == [0, 0, 8, 8, 8, 10, 10]
    plain_step = trajectory_at(t, shape="step", **common)
    assert list(plain_step[1:]) == [0, 0, 0, 0, 0, 10, 10]
    through = trajectory_at(t, shape="milestones", milestones=[(2019.0, 8.0)], **common)
    assert list(through[1:]) == pytest.approx([0, 4, 8, 8 + 2 / 3, 8 + 4 / 3, 10, 10])


def test_trajectory_is_vectorised_over_entities():
    out = trajectory_at(
        np.array([2017.0, 2019.5, 2022.0]),
        baseline_position=np.array([[2017.0], [2018.0]]),
        baseline_value=np.array([[0.0], [100.0]]),
        target_position=2022.0,
        target_value=np.array([[10.0], [50.0]]),
        shape=Shape.LINEAR,
    )
    assert out.shape == (2, 3)
    assert list(out[0]) == pytest.approx([0, 5, 10])
    assert np.isnan(out[1, 0]) and out[1, 1] == pytest.approx(100 - 50 * 1.5 / 4)


def test_baseline_equal_to_target():
    expected = trajectory_at(
        2019.0,
        baseline_position=2017.0,
        baseline_value=5.0,
        target_position=2022.0,
        target_value=5.0,
        shape="linear",
    )
    assert expected == 5.0
    result = assess(np.array([5.0, 4.0]), expected, 5.0, 5.0, polarity="up", final=False)
    assert list(result.status) == ["achieved", "off_track"]


def test_start_ups_keep_above_one_hundred():
    actual = np.array([104.0, 96.0, 90.0, 80.0])
    result = assess(actual, nan, nan, 100.0, polarity=Polarity.KEEP_ABOVE, final=False)
    assert list(result.status) == ["on_track", "on_track", "at_risk", "off_track"]
    assert list(result.progress) == pytest.approx([1.04, 0.96, 0.90, 0.80])
    final = assess(np.array([96.0, 100.0]), nan, nan, 100.0, polarity="keep_above", final=True)
    assert list(final.status) == ["missed", "achieved"]


def test_keep_below_and_band():
    below = assess(
        np.array([90.0, 104.0, 120.0]), nan, nan, 100.0, polarity="keep_below", final=False
    )
    assert list(below.status) == ["on_track", "on_track", "off_track"]
    assert below.progress[1] == pytest.approx(100 / 104)
    band = assess(
        np.array([50.0, 41.0, 30.0, 65.0]),
        nan,
        nan,
        nan,
        polarity="band",
        final=False,
        band_low=40.0,
        band_high=60.0,
    )
    assert list(band.status) == ["on_track", "on_track", "off_track", "at_risk"]
    assert band.progress[3] == pytest.approx(1 - 5 / 60)
    assert (
        assess(
            50.0, nan, nan, nan, polarity="band", final=True, band_low=40.0, band_high=60.0
        ).status
        == "achieved"
    )
    assert assess(50.0, nan, nan, nan, polarity="band", final=False).status == "no_target"


def test_down_polarity_achieved_before_the_target_period_and_missed_after():
    # Dropout rate 20 % → 10 %: 9 % already beats the target; at the end 12 % misses it.
    down = assess(
        np.array([9.0, 15.5, 12.0]),
        np.array([15.0, 15.0, 10.0]),
        20.0,
        10.0,
        polarity="down",
        final=np.array([False, False, True]),
    )
    assert list(down.status) == ["achieved", "at_risk", "missed"]
    assert down.progress[1] == pytest.approx(4.5 / 5)


def test_no_data_no_target_and_order():
    result = assess(
        np.array([nan, 5.0, 5.0]),
        np.array([3.0, 3.0, nan]),
        1.0,
        np.array([9.0, nan, 9.0]),
        polarity="up",
        final=False,
    )
    assert list(result.status) == ["no_data", "no_target", "no_target"]
    assert np.isnan(result.progress).all()
    assert [s.value for s in STATUS_ORDER] == [
        "achieved",
        "on_track",
        "at_risk",
        "off_track",
        "missed",
        "no_data",
        "no_target",
    ]


def test_thresholds_are_validated_and_used():
    with pytest.raises(ValueError, match="0 < at risk <= on track"):
        Thresholds(on_track=0.8, at_risk=0.9)
    lenient = Thresholds(on_track=0.8, at_risk=0.5)
    assert (
        assess(8.5, 10.0, 0.0, 20.0, polarity="up", final=False, thresholds=lenient).status
        == "on_track"
    )
