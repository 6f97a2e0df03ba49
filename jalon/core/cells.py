"""Spreadsheet cells written safely, for every file Jalon writes (templates, downloads).

Text that a spreadsheet would run as a formula when opened (it starts with =, +, -, @)
is written as text; characters that XLSX cannot hold (control characters) are dropped.
"""

import csv
import io

from django.utils.formats import get_format
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value, comma: bool) -> str:
    """Return a value as a CSV cell: numbers with the language's decimal mark, yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        text = f"{value:.12g}"
        return text.replace(".", ",") if comma else text
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def xlsx_value(value):
    """Return a value an XLSX cell holds safely (strings cleaned of illegal characters)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def as_text(cell) -> None:
    """Make an openpyxl cell that holds a formula-like string plain text."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
        cell.data_type = "s"


def as_csv_text(header: list[str], rows: list[list]) -> str:
    """Return the table as CSV: ',' and decimal points in English, ';' and commas in French.

    It starts with a byte-order mark, which makes Excel read UTF-8.
    """
    comma = get_format("DECIMAL_SEPARATOR") == ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v, comma) for v in row])
    return "\ufeff" + out.getvalue()
