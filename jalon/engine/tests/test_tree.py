import datetime as dt

import numpy as np
import pytest

from jalon.engine.graphs import CycleError, find_cycle, topological_order
from jalon.engine.tree import Grouping, Tree, TreeError

from .imt import ENTITIES, imt_tree, years


def test_build_sorts_codes_and_links_parents():
    tree = imt_tree(list(reversed(ENTITIES)))
    assert tree.codes == tuple(sorted(code for code, *_ in ENTITIES))
    assert tree.parent[tree.index("IMT")] == -1
    assert tree.parent[tree.index("MINES_NANTES")] == tree.index("IMT")
    assert tree.depth[tree.index("IMT")] == 0 and tree.depth.max() == 1


def test_navigation():
    tree = Tree.build([("A", None, None, None), ("B", "A", None, None), ("C", "B", None, None)])
    a, b, c = (tree.index(x) for x in "ABC")
    assert list(tree.children(a)) == [b]
    assert list(tree.descendants(a)) == [b, c]
    assert list(tree.ancestors(c)) == [b, a]
    assert list(tree.depth) == [0, 1, 2]


def test_unknown_parent_duplicate_and_cycle():
    with pytest.raises(TreeError, match="unknown parent X"):
        Tree.build([("A", "X", None, None)])
    with pytest.raises(TreeError, match="more than once: A"):
        Tree.build([("A", None, None, None), ("A", None, None, None)])
    with pytest.raises(TreeError, match="A → B → A"):
        Tree.build([("B", "A", None, None), ("A", "B", None, None), ("R", None, None, None)])


def test_active_at_period_end_across_a_merger():
    tree = imt_tree()
    active = tree.active(years(2016, 2017))
    assert list(active[tree.index("TELECOM_BRETAGNE")]) == [True, False]
    assert list(active[tree.index("IMT_ATLANTIQUE")]) == [False, True]
    assert active[tree.index("IMT")].all()


def test_grouping_membership_intervals():
    tree = imt_tree()
    grand_ouest = Grouping(
        "GRAND_OUEST",
        (
            ("IMT_ATLANTIQUE", None, None),
            ("TELECOM_BRETAGNE", None, None),
            ("TELECOM_PARIS", dt.date(2017, 6, 1), None),
        ),
    )
    rows, mask = grand_ouest.active(tree, years(2016, 2017))
    by_code = {tree.codes[r]: list(m) for r, m in zip(rows, mask, strict=True)}
    assert by_code == {
        "IMT_ATLANTIQUE": [False, True],
        "TELECOM_BRETAGNE": [True, False],
        "TELECOM_PARIS": [False, True],
    }
    with pytest.raises(TreeError, match="Unknown entity NOPE"):
        Grouping("G", (("NOPE", None, None),)).active(tree, years(2016, 2016))


def test_find_cycle_is_deterministic_and_topological_order_puts_dependencies_first():
    assert find_cycle({"b": ["c"], "c": ["b"], "a": ["b"]}) == ["b", "c", "b"]
    assert find_cycle({"a": ["b"], "b": []}) is None
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert topological_order({"ratio": ["num", "den"], "num": [], "f": ["ratio"]}) == [
        "den",
        "num",
        "ratio",
        "f",
    ]
    with pytest.raises(CycleError, match="x → y → x"):
        topological_order({"x": ["y"], "y": ["x"]})


def test_deep_tree_does_not_recurse():
    chain = [(f"N{i:05d}", None if i == 0 else f"N{i - 1:05d}", None, None) for i in range(3000)]
    tree = Tree.build(chain)
    assert tree.depth.max() == 2999
    assert np.array_equal(np.sort(tree.depth), np.arange(3000))
