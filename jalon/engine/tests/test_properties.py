"""Properties of the engine, checked on generated trees, figures and targets."""

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jalon.engine.consolidation import Across, consolidate
from jalon.engine.evaluate import EvaluationInput, IndicatorSpec, TargetSpec, evaluate
from jalon.engine.periods import Frequency, Period
from jalon.engine.status import STATUS_ORDER, Polarity, assess
from jalon.engine.tree import Tree

from .imt import years

PERIODS = years(2016, 2019)
FAST = settings(max_examples=60, deadline=None)
figure = st.one_of(st.just(np.nan), st.just(0.0), st.floats(-1e6, 1e6, allow_nan=False))
life = st.sampled_from([None, dt.date(2017, 1, 1), dt.date(2018, 6, 30)])


@st.composite
def trees(draw, max_entities=12):
    """Return (entity rows, in a random order) of a random tree with lifetimes."""
    n = draw(st.integers(1, max_entities))
    rows = [("E00", None, None, None)]
    for i in range(1, n):
        parent = draw(st.integers(0, i - 1))
        start, stop = draw(life), draw(life)
        if start and stop and stop < start:
            start, stop = stop, start
        rows.append((f"E{i:02d}", f"E{parent:02d}", start, stop))
    return draw(st.permutations(rows))


@FAST
@given(rows=trees(), data=st.data())
def test_root_sum_is_the_sum_of_active_leaves_when_only_leaves_report(rows, data):
    tree = Tree.build(rows)
    leaves = ~np.isin(np.arange(len(tree)), tree.parent)
    own = np.array(data.draw(st.lists(figure, min_size=len(tree) * 4, max_size=len(tree) * 4)))
    own = np.where(leaves[:, None], own.reshape(len(tree), 4), np.nan)
    out = consolidate(own, tree, PERIODS, Across.SUM)
    active = tree.active(PERIODS)
    # A leaf counts only while it and every ancestor up to the root exist.
    counted = active.copy()
    for i in range(len(tree)):
        for a in tree.ancestors(i):
            counted[i] &= active[a]
    root = tree.index("E00")
    leaf_figures = np.where(leaves[:, None] & counted, own, np.nan)
    any_figure = ~np.isnan(leaf_figures).all(axis=0)
    expected = np.where(any_figure, np.nansum(leaf_figures, axis=0), np.nan)
    np.testing.assert_allclose(
        out.value[root], np.where(active[root], expected, np.nan), rtol=1e-9, atol=1e-6
    )
    # And each parent's consolidation is the sum of its active children's figures.
    for i in range(len(tree)):
        kids = tree.children(i)
        if kids.size:
            kid_figures = np.where(active[kids], out.value[kids], np.nan)
            some = ~np.isnan(kid_figures).all(axis=0)
            np.testing.assert_allclose(
                out.children[i],
                np.where(some, np.nansum(kid_figures, axis=0), np.nan),
                rtol=1e-9,
                atol=1e-6,
            )


@FAST
@given(
    actuals=st.lists(st.floats(-100, 300, allow_nan=False), min_size=2, max_size=20),
    baseline=st.floats(0, 100),
    expected=st.floats(0, 200),
    target=st.floats(0, 200),
    final=st.booleans(),
    polarity=st.sampled_from([Polarity.UP, Polarity.DOWN]),
)
def test_status_is_monotonic_in_the_actual_value(
    actuals, baseline, expected, target, final, polarity
):
    ordered = np.sort(np.array(actuals))
    if polarity is Polarity.DOWN:
        ordered = ordered[::-1]  # from worst to best
    status = assess(ordered, expected, baseline, target, polarity=polarity, final=final).status
    rank = [STATUS_ORDER.index(s) for s in status]
    assert rank == sorted(rank, reverse=True)  # better actuals never rank worse


@FAST
@given(rows=trees(8), data=st.data())
def test_input_order_never_changes_a_result(rows, data):
    codes = sorted(code for code, *_ in rows)
    n = len(codes)
    own = {code: data.draw(st.lists(figure, min_size=4, max_size=4)) for code in codes}
    with_target = data.draw(st.sets(st.sampled_from(codes)))
    targets = [
        TargetSpec("x", code, PERIODS[0], None, None, 0.5, Period(Frequency.YEAR, 2020))
        for code in sorted(with_target)
    ]
    spec = IndicatorSpec("x", Frequency.YEAR)

    def run(entity_rows, period_order, target_order):
        tree = Tree.build(entity_rows)
        values = np.array([[own[c][j] for j in period_order] for c in tree.codes]).reshape(n, 4)
        periods = [PERIODS[j] for j in period_order]
        inp = EvaluationInput(tree, [], [], [spec], {"x": periods}, {"x": values}, target_order)
        return evaluate(inp).indicators["x"]

    first = run(sorted(rows, key=lambda r: r[0]), [0, 1, 2, 3], targets)
    second = run(
        rows, data.draw(st.permutations([0, 1, 2, 3])), data.draw(st.permutations(targets))
    )
    for name in ("figure", "expected", "baseline", "target", "progress"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_array_equal(first.status, second.status)
    np.testing.assert_array_equal(first.forecast.value, second.forecast.value)


@FAST
@given(rows=trees(8), data=st.data())
def test_a_zero_stays_a_zero_distinct_from_no_data(rows, data):
    tree = Tree.build(rows)
    pattern = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(tree) * 4, max_size=len(tree) * 4))
    )
    own = np.where(pattern, 0.0, np.nan).reshape(len(tree), 4)
    out = consolidate(own, tree, PERIODS, Across.SUM)
    assert np.all((out.value == 0.0) | np.isnan(out.value))
    active = tree.active(PERIODS)
    np.testing.assert_array_equal(out.value[(own == 0.0) & active], 0.0)
    inp = EvaluationInput(
        tree, [], [], [IndicatorSpec("x", Frequency.YEAR)], {"x": PERIODS}, {"x": own}, []
    )
    figure = evaluate(inp).indicators["x"].figure
    np.testing.assert_array_equal(figure, out.value)
    assert np.array_equal(np.isnan(figure), np.isnan(out.value))
