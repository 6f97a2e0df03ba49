"""Formula indicators: a safe arithmetic expression over other indicators' codes.

A code is written with '_' for '-' (own-resources → own_resources).

The text is parsed with Python's `ast` and only a small whitelist of nodes is accepted
(numbers, indicator codes, + − × ÷, min, max, abs). Nothing is handed to Python to run:
evaluation walks the checked tree with NumPy.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .arrays import as_float, safe_divide

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FUNCTIONS = {"min": 2, "max": 2, "abs": 1}  # smallest number of arguments
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_CONSTRUCTS = {
    ast.Pow: "the power operator **",
    ast.FloorDiv: "floor division //",
    ast.Mod: "the modulo operator %",
    ast.Compare: "a comparison",
    ast.BoolOp: "a logical operator",
    ast.IfExp: "a conditional expression",
    ast.Attribute: "an attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
}


def formula_name(code: str) -> str:
    """Return how an indicator's code is written in a formula: '-' as '_'.

    Codes such as ``own-resources`` would read as a subtraction, so a formula writes
    ``own_resources / students``.
    """
    return code.replace("-", "_")


def lookup(mapping: Mapping[str, object], name: str):
    """Return the entry of ``mapping`` (keyed by codes) that a formula's ``name`` refers to."""
    if name in mapping:
        return mapping[name]
    for code, value in mapping.items():
        if formula_name(code) == name:
            return value
    raise KeyError(name)


class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated; `column` is 1-based in its text."""

    def __init__(self, message: str, column: int):
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


def _column(text: str, node: ast.AST) -> int:
    # ast offsets count UTF-8 bytes; people count characters.
    offset = getattr(node, "col_offset", 0)
    return len(text.encode()[:offset].decode(errors="ignore")) + 1


def _where(text: str, node: ast.AST) -> int:
    """Return the column of a binary operator itself (ast does not record it), else of the node."""
    if isinstance(node, ast.BinOp):
        end = len(text.encode()[: node.left.end_col_offset].decode(errors="ignore"))
        for i in range(end, len(text)):
            if text[i] not in " \t)":
                return i + 1
    return _column(text, node)


def _describe(node: ast.AST) -> str:
    for kind, name in _CONSTRUCTS.items():
        if isinstance(node, kind) or isinstance(getattr(node, "op", None), kind):
            return name
    return f"'{type(node).__name__}'"


def _check(text: str, node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"Only numbers are allowed, not {node.value!r}", _column(text, node))
    elif isinstance(node, ast.Name):
        if not _NAME.fullmatch(node.id):
            raise FormulaError(f"'{node.id}' is not an indicator code", _column(text, node))
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(text, node.left, names)
        _check(text, node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(text, node.operand, names)
    elif isinstance(node, ast.Call):
        func = node.func.id if isinstance(node.func, ast.Name) else None
        if func not in _FUNCTIONS:
            raise FormulaError(
                "Only min(), max() and abs() can be called", _column(text, node.func)
            )
        if node.keywords:
            raise FormulaError(f"{func}() takes no named arguments", _column(text, node))
        needed = _FUNCTIONS[func]
        if len(node.args) < needed or (func == "abs" and len(node.args) != 1):
            expected = "exactly one argument" if func == "abs" else "at least two arguments"
            raise FormulaError(f"{func}() takes {expected}", _column(text, node))
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise FormulaError("Unpacking with * is not allowed", _column(text, arg))
            _check(text, arg, names)
    else:
        raise FormulaError(f"{_describe(node)} is not allowed in a formula", _where(text, node))


@functools.lru_cache(maxsize=1024)
def _checked(text: str) -> tuple[ast.expr, frozenset[str]]:
    if not text.strip():
        raise FormulaError("The formula is empty", 1)
    if "\n" in text or "\r" in text:
        raise FormulaError(
            "A formula is one line",
            min(i for i in (text.find("\n"), text.find("\r")) if i >= 0) + 1,
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        offset = error.offset or 0
        if not 1 <= offset <= len(text):
            raise FormulaError("The formula ends too early", len(text.rstrip()) + 1) from None
        raise FormulaError(f"The formula is not a valid expression: {error.msg}", offset) from None
    names: set[str] = set()
    _check(text, tree.body, names)
    return tree.body, frozenset(names)


def _evaluate(text: str, node: ast.expr, values: Mapping[str, np.ndarray]) -> np.ndarray:
    if isinstance(node, ast.Constant):
        return as_float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise FormulaError(f"No figures for indicator {node.id}", _column(text, node))
        return as_float(values[node.id])
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(text, node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(text, node.left, values)
        right = _evaluate(text, node.right, values)
        if isinstance(node.op, ast.Div):
            return safe_divide(left, right)
        op = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply}[type(node.op)]
        with np.errstate(over="ignore", invalid="ignore"):
            return op(left, right)
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    args = [_evaluate(text, arg, values) for arg in node.args]
    if node.func.id == "abs":
        return np.abs(args[0])
    # np.minimum / np.maximum propagate NaN: a minimum over a missing figure is unknown.
    return functools.reduce(np.minimum if node.func.id == "min" else np.maximum, args)


@dataclass(frozen=True)
class Formula:
    """A checked formula and the indicator codes it reads."""

    text: str
    names: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Formula:
        """Return the formula written `text`, or raise FormulaError naming what is wrong and where."""
        _, names = _checked(text)
        return cls(text, names)

    def evaluate(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Return the formula computed element-wise on `values` (indicator code → array).

        Missing figures (NaN) propagate; a division by zero gives NaN, and so does any
        overflow: a formula never produces an infinity.
        """
        node, _ = _checked(self.text)
        out = _evaluate(self.text, node, values)
        return np.where(np.isfinite(out), out, np.nan)
