import datetime as dt

import numpy as np
import pytest

from jalon.engine.consolidation import (
    Across,
    consolidate,
    consolidate_groupings,
    consolidate_ratio,
    pro_forma,
)
from jalon.engine.tree import Grouping, Lineage, Tree

from .imt import imt_tree, years

nan = np.nan


def flat_tree(n_children=3):
    rows = [("R", None, None, None)] + [(f"C{i}", "R", None, None) for i in range(n_children)]
    return Tree.build(rows)


def test_sum_with_coverage_k_of_n():
    tree = flat_tree(3)  # rows: C0, C1, C2, R
    own = np.array([[10.0], [nan], [5.0], [nan]])
    out = consolidate(own, tree, years(2018, 2018), Across.SUM)
    assert out.value[3, 0] == 15.0  # 10 + 5, one school has not reported
    assert (out.reporting[3, 0], out.expected[3, 0]) == (2, 3)
    assert out.coverage[3, 0] == pytest.approx(2 / 3)
    assert np.isnan(out.children[0, 0])  # a leaf has no children


def test_zero_stays_zero_and_no_data_stays_no_data():
    tree = flat_tree(2)
    own = np.array([[0.0, nan], [0.0, nan], [nan, nan]])
    out = consolidate(own, tree, years(2018, 2019), Across.SUM)
    assert out.value[2, 0] == 0.0 and out.reporting[2, 0] == 2
    assert np.isnan(out.value[2, 1]) and out.reporting[2, 1] == 0


def test_parent_own_value_is_the_figure_of_record_and_a_discrepancy_is_flagged():
    tree = flat_tree(2)
    own = np.array([[40.0, 40.0], [50.0, 50.0], [100.0, 90.2]])
    out = consolidate(own, tree, years(2018, 2019), Across.SUM)
    assert list(out.value[2]) == [100.0, 90.2]  # the parent's audited total
    assert list(out.children[2]) == [90.0, 90.0]  # the children's sum stays available
    assert list(out.discrepancy[2]) == [True, False]  # 0.2 / 90.2 is within 0.5 %


def test_merger_keeps_the_institute_total_continuous():
    tree = imt_tree()
    periods = years(2016, 2017)
    own = np.full((len(tree), 2), nan)
    own[tree.index("TELECOM_BRETAGNE")] = [1000.0, 999.0]  # a late 2017 entry is ignored
    own[tree.index("MINES_NANTES")] = [800.0, nan]
    own[tree.index("IMT_ATLANTIQUE")] = [nan, 1850.0]
    own[tree.index("IMT_MINES_ALES")] = [1200.0, 1210.0]
    own[tree.index("TELECOM_PARIS")] = [1500.0, 1520.0]
    out = consolidate(own, tree, periods, Across.SUM)
    root = tree.index("IMT")
    assert list(out.value[root]) == [1000 + 800 + 1200 + 1500, 1850 + 1210 + 1520]
    assert list(out.expected[root]) == [4, 3]  # the merged school replaces two
    assert out.own[tree.index("TELECOM_BRETAGNE"), 1] == 999.0  # kept, not counted
    assert np.isnan(out.value[tree.index("TELECOM_BRETAGNE"), 1])


def test_pro_forma_series_before_the_merger():
    tree = imt_tree()
    periods = years(2015, 2017)
    figures = np.full((len(tree), 3), nan)
    figures[tree.index("TELECOM_BRETAGNE")] = [990.0, 1000.0, nan]
    figures[tree.index("MINES_NANTES")] = [nan, 800.0, nan]
    figures[tree.index("IMT_ATLANTIQUE")] = [nan, nan, 1850.0]
    lineages = [
        Lineage("TELECOM_BRETAGNE", "IMT_ATLANTIQUE", dt.date(2017, 1, 1)),
        Lineage("MINES_NANTES", "IMT_ATLANTIQUE", dt.date(2017, 1, 1)),
    ]
    out = pro_forma(figures, tree, lineages, periods)
    # 2016: 1000 + 800; 2015: Mines Nantes missing, so no partial sum (it would look like a fall).
    row = out[tree.index("IMT_ATLANTIQUE")]
    assert np.isnan(row[0]) and row[1] == 1800.0 and row[2] == 1850.0
    assert np.array_equal(
        out[tree.index("TELECOM_BRETAGNE")], figures[tree.index("TELECOM_BRETAGNE")], equal_nan=True
    )


def test_pro_forma_split_shares_and_chains():
    tree = Tree.build(
        [
            ("R", None, None, None),
            ("A", "R", None, dt.date(2017, 12, 31)),
            ("B", "R", dt.date(2018, 1, 1), dt.date(2018, 12, 31)),
            ("C", "R", dt.date(2019, 1, 1), None),
        ]
    )
    figures = np.full((4, 3), nan)
    figures[tree.index("A")] = [100.0, nan, nan]
    figures[tree.index("B")] = [nan, 50.0, nan]
    links = [Lineage("B", "C", dt.date(2019, 1, 1)), Lineage("A", "B", dt.date(2018, 1, 1), 0.4)]
    out = pro_forma(figures, tree, links, years(2017, 2019))
    assert out[tree.index("B"), 0] == pytest.approx(40.0)
    assert list(out[tree.index("C"), :2]) == pytest.approx([40.0, 50.0])


def test_ratio_of_sums_is_not_the_mean_of_ratios():
    tree = flat_tree(2)
    students = np.array([[1000.0], [100.0], [nan]])
    staff = np.array([[100.0], [50.0], [nan]])
    out = consolidate_ratio(students, staff, tree, years(2018, 2018))
    assert out.value[2, 0] == pytest.approx(1100 / 150)  # 7.33 students per staff
    assert (10.0 + 2.0) / 2 == 6.0  # the mean of ratios would say 6
    assert out.numerator[2, 0] == 1100.0 and out.denominator[2, 0] == 150.0
    assert out.reporting[2, 0] == 2


def test_own_ratio_is_kept_and_compared_with_its_parts():
    tree = flat_tree(1)
    out = consolidate_ratio(
        np.array([[10.0], [nan]]),
        np.array([[0.0], [nan]]),
        tree,
        years(2018, 2018),
        own_ratio=np.array([[nan], [0.5]]),
    )
    assert np.isnan(out.value[0, 0])  # a zero denominator is no data, never inf
    assert out.value[1, 0] == 0.5 and not out.discrepancy[1, 0]
    out = consolidate_ratio(
        np.array([[10.0], [nan]]),
        np.array([[4.0], [nan]]),
        tree,
        years(2018, 2018),
        own_ratio=np.array([[nan], [3.0]]),
    )
    assert out.value[1, 0] == 3.0 and out.discrepancy[1, 0]


def test_weighted_mean_min_max_and_none():
    tree = flat_tree(3)
    satisfaction = np.array([[80.0], [60.0], [nan], [nan]])
    weights = np.array([[300.0], [100.0], [500.0], [nan]])
    mean = consolidate(satisfaction, tree, years(2018, 2018), Across.WEIGHTED_MEAN, weights=weights)
    assert mean.value[3, 0] == pytest.approx((80 * 300 + 60 * 100) / 400)
    assert mean.reporting[3, 0] == 2
    assert consolidate(satisfaction, tree, years(2018, 2018), Across.MIN).value[3, 0] == 60.0
    assert consolidate(satisfaction, tree, years(2018, 2018), Across.MAX).value[3, 0] == 80.0
    none = consolidate(satisfaction, tree, years(2018, 2018), Across.NONE)
    assert np.isnan(none.value[3, 0]) and none.reporting[3, 0] == 2
    with pytest.raises(ValueError, match="consolidate_ratio"):
        consolidate(satisfaction, tree, years(2018, 2018), Across.RATIO_OF_SUMS)


def test_leading_dimensions_and_deep_trees():
    tree = Tree.build(
        [
            ("R", None, None, None),
            ("S", "R", None, None),
            ("D1", "S", None, None),
            ("D2", "S", None, None),
            ("T", "R", None, None),
        ]
    )
    own = np.full((2, 5, 1), nan)  # two breakdown members
    own[:, tree.index("D1"), 0] = [1.0, 10.0]
    own[:, tree.index("D2"), 0] = [2.0, 20.0]
    own[:, tree.index("T"), 0] = [4.0, 40.0]
    out = consolidate(own, tree, years(2018, 2018), "sum")
    assert list(out.value[:, tree.index("S"), 0]) == [3.0, 30.0]
    assert list(out.value[:, tree.index("R"), 0]) == [7.0, 70.0]


def test_a_school_joining_mid_plan_counts_from_its_valid_from():
    tree = Tree.build(
        [("R", None, None, None), ("OLD", "R", None, None), ("NEW", "R", dt.date(2019, 1, 1), None)]
    )
    own = np.array([[5.0, 5.0, 5.0], [1.0, 1.0, 1.0], [nan, nan, nan]])  # rows: NEW, OLD, R
    out = consolidate(own, tree, years(2017, 2019), Across.SUM)
    assert list(out.value[tree.index("R")]) == [1.0, 1.0, 6.0]
    assert list(out.expected[tree.index("R")]) == [1, 1, 2]


def test_groupings_honour_membership_intervals():
    tree = imt_tree()
    periods = years(2016, 2018)
    figures = np.full((len(tree), 3), nan)
    figures[tree.index("TELECOM_BRETAGNE")] = [10.0, nan, nan]
    figures[tree.index("IMT_ATLANTIQUE")] = [nan, 20.0, 21.0]
    figures[tree.index("TELECOM_PARIS")] = [100.0, 100.0, 100.0]
    west = Grouping(
        "WEST",
        (
            ("TELECOM_BRETAGNE", None, None),
            ("IMT_ATLANTIQUE", None, None),
            ("TELECOM_PARIS", dt.date(2018, 1, 1), None),
        ),
    )
    out = consolidate_groupings(figures, tree, [west], periods, Across.SUM)
    assert list(out.value[0]) == [10.0, 20.0, 121.0]
    assert list(out.expected[0]) == [1, 1, 2]
    ratio = consolidate_groupings(
        figures,
        tree,
        [west],
        periods,
        Across.RATIO_OF_SUMS,
        numerator=figures,
        denominator=figures * 2,
    )
    assert list(ratio.value[0]) == pytest.approx([0.5, 0.5, 0.5])


def test_consolidation_of_a_thousand_entities_in_three_levels():
    # Speed is measured by `make bench`; here, the arithmetic at that size.
    rows = [("ROOT", None, None, None)] + [(f"S{i:02d}", "ROOT", None, None) for i in range(20)]
    rows += [(f"D{i:04d}", f"S{i % 20:02d}", None, None) for i in range(979)]
    tree = Tree.build(rows)
    periods = years(2014, 2023)
    own = np.random.default_rng(1).uniform(0, 10, (1, 1000, 10))
    leaves = tree.depth == 2
    own[:, ~leaves, :] = nan
    out = consolidate(own, tree, periods, Across.SUM)
    root = tree.index("ROOT")
    assert out.value[0, root] == pytest.approx(own[0, leaves].sum(axis=0))
    assert list(out.reporting[0, root]) == [20] * 10
    s00 = tree.index("S00")
    assert out.value[0, s00] == pytest.approx(own[0, tree.children(s00)].sum(axis=0))


def test_a_weighted_mean_counts_children_with_a_positive_weight():
    tree = flat_tree(2)  # rows: C0, C1, R
    own = np.array([[80.0], [50.0], [nan]])
    weights = np.array([[0.0], [0.0], [nan]])
    out = consolidate(own, tree, years(2018, 2018), Across.WEIGHTED_MEAN, weights=weights)
    assert np.isnan(out.value[2, 0]) and out.reporting[2, 0] == 0  # no weight, no mean
    weights = np.array([[0.0], [100.0], [nan]])
    out = consolidate(own, tree, years(2018, 2018), Across.WEIGHTED_MEAN, weights=weights)
    assert out.value[2, 0] == 50.0 and out.reporting[2, 0] == 1
