"""Tables written as CSV (UTF-8, Excel's separator for the language) or XLSX (openpyxl).

Cells that would run as formulas when opened (text starting with =, +, -, @) are written
as text: a name typed by someone else never becomes a formula on a reader's machine.
"""

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from jalon.core.cells import FORMULA_START, as_csv_text, xlsx_value


def as_csv(header: list[str], rows: list[list]) -> bytes:
    """Return the table as CSV in UTF-8: ',' and decimal points in English, ';' and commas
    in French."""
    return as_csv_text(header, rows).encode("utf-8")


def as_xlsx(header: list[str], rows: list[list], sheet_name: str) -> bytes:
    """Return the table as XLSX, its header the codes (so a download can be imported back)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet((sheet_name or "Figures")[:31])
    sheet.freeze_panes = "A2"
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet, value):
    value = xlsx_value(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value
