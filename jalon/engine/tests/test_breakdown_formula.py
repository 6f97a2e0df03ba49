import re

import numpy as np
import pytest

from jalon.engine.breakdown import breakdown_gaps
from jalon.engine.formula import Formula, FormulaError

nan = np.nan


def test_breakdown_members_not_adding_up_are_flagged():
    # Students by programme around 2016 (educavox.fr): 13,700 = 9,100 engineering +
    # 1,100 management + 1,650 doctorate + the rest in other programmes.
    total = np.array([[13700.0, 13700.0, nan]])
    members = np.array(
        [
            [[9100.0, 9100.0, 1.0]],
            [[1100.0, 1100.0, nan]],
            [[1650.0, 1650.0, nan]],
            [[1850.0, nan, nan]],  # "other": missing in the second period
        ]
    )
    out = breakdown_gaps(total, members)
    assert out["sum_of_members"][0, 0] == 13700.0 and not out["incomplete"][0, 0]
    assert out["incomplete"][0, 1] and out["gap"][0, 1] == 1850.0
    assert out["missing"][0, 1] == 1
    assert not out["incomplete"][0, 2]  # no total: nothing to compare with
    off = breakdown_gaps(np.array([[100.0]]), np.array([[[60.0]], [[30.0]]]))
    assert off["incomplete"][0, 0] and off["gap"][0, 0] == 10.0


def test_formula_names_and_evaluation():
    formula = Formula.parse("own_resources / budget * 100 - min(a, b, 3) + abs(-c)")
    assert formula.names == frozenset({"own_resources", "budget", "a", "b", "c"})
    out = formula.evaluate(
        {
            "own_resources": np.array([170.0, 1.0, nan]),
            "budget": np.array([340.0, 0.0, 1.0]),
            "a": np.array([1.0, 1.0, 1.0]),
            "b": np.array([5.0, 5.0, 5.0]),
            "c": np.array([2.0, 2.0, 2.0]),
        }
    )
    assert out[0] == pytest.approx(50.0 - 1.0 + 2.0)
    assert np.isnan(out[1])  # division by zero: no data, never inf
    assert np.isnan(out[2])  # a missing operand propagates


def test_min_max_over_missing_is_missing_and_zero_is_a_zero():
    out = Formula.parse("max(a, b) + 0 * a").evaluate(
        {"a": np.array([nan, 0.0]), "b": np.array([1.0, -1.0])}
    )
    assert np.isnan(out[0]) and out[1] == 0.0


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a ** 2", 3, "power operator"),
        ("a +", 4, "ends too early"),
        ("a + b)", 6, "not a valid expression"),
        ("(a + b) % 2", 9, "modulo"),
        ("a < b", 1, "comparison"),
        ("exp(a)", 1, "Only min(), max() and abs()"),
        ("__import__('os')", 1, "Only min(), max() and abs()"),
        ("a.real", 1, "attribute"),
        ("a[0]", 1, "subscript"),
        ("'text'", 1, "Only numbers"),
        ("abs(a, b)", 1, "exactly one argument"),
        ("min(a)", 1, "at least two arguments"),
        ("max(a, key=b)", 1, "no named arguments"),
        ("a if b else c", 1, "conditional"),
        ("", 1, "empty"),
        ("a + True", 5, "Only numbers"),
        ("a + (lambda: 1)()", 6, "Only min(), max() and abs()"),
    ],
)
def test_parse_errors_name_the_construct_and_its_column(text, column, message):
    with pytest.raises(FormulaError, match=re.escape(message)) as caught:
        Formula.parse(text)
    assert caught.value.column == column


def test_an_operand_without_figures_is_an_error():
    with pytest.raises(FormulaError, match="No figures for indicator b") as caught:
        Formula.parse("a + b").evaluate({"a": np.ones(2)})
    assert caught.value.column == 5
