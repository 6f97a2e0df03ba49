"""Templates to fill in a spreadsheet: one entity's figures for a round, XLSX or CSV.

A template has the grid's rows and the columns the import reads (`indicator`, `entity`,
`period`, `value`, `comment`, `state`, `published`), then what a person needs beside
them: the indicator's name, its unit, the figures before, the expected figure and the
target. In XLSX the header and the reference columns are locked (the sheet is protected
without a password: it guards against slips, not people), the figure's cell checks the
indicator's rules (a whole count, a share within its bounds) and the state offers a list.
Filled in, it comes back through `jalon values import` or the import page unchanged.
"""

import csv
import io

from django.utils.formats import get_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from jalon.collection.grid import Row
from jalon.core.cells import as_text, csv_cell, xlsx_value
from jalon.plans.choices import WrittenAs

KEYS = ("indicator", "entity", "period", "value", "comment", "state", "published")
EDITABLE = ("value", "comment", "state", "published")
STATES_OFFERED = ("submitted", "draft")
HEADER_FILL = PatternFill("solid", fgColor="1D4E89")
INPUT_FILL = PatternFill("solid", fgColor="FFF7D6")


def _context_columns() -> list[str]:
    return [
        _("Indicator name"),
        _("Unit"),
        _("Figure in Jalon"),
        _("Previous figure"),
        _("Previous period"),
        _("Expected"),
        _("Target"),
        _("Target period"),
        _("State in Jalon"),
    ]


def unit_of(row: Row) -> str:
    """Return the unit as the file writes figures: a share as a fraction says so."""
    indicator = row.indicator
    if indicator.is_share and indicator.written_as == WrittenAs.FRACTION:
        return _("% written as a fraction: 0.781 for 78.1 %")
    return indicator.unit_label


def _lines(rows: list[Row], entity_code: str) -> list[tuple[list, list]]:
    """Return each row as (the import's cells, the context cells)."""
    out = []
    for row in rows:
        # Only what is still to send is filled in (a draft, a returned figure), so that a
        # template sent back untouched changes nothing else; the rest shows beside it.
        proposal = row.proposal
        to_send = proposal is not None and proposal.state in ("draft", "returned")
        keys = [
            row.code,
            entity_code,
            row.period.code,
            proposal.number if to_send else None,
            (proposal.comment or None) if to_send and proposal.state == "draft" else None,
            STATES_OFFERED[0],
            None,
        ]
        context = [
            row.indicator.label,
            unit_of(row),
            proposal.number if proposal is not None else row.record,
            row.previous,
            row.previous_period or None,
            row.expected,
            row.target,
            row.target_period.code if row.target_period else None,
            str(row.state_label),
        ]
        out.append((keys, context))
    return out


def template_xlsx(rows: list[Row], entity_code: str, title: str) -> bytes:
    """Return the XLSX template of ``rows`` for the entity."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Figures")[:31]
    header = [*KEYS, *_context_columns()]
    sheet.append(header)
    lines = _lines(rows, entity_code)
    for keys, context in lines:
        sheet.append([xlsx_value(v) for v in keys + context])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            as_text(cell)  # a comment that looks like a formula stays text
    editable = {KEYS.index(k) + 1 for k in EDITABLE}
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in range(2, len(lines) + 2):
        for c in editable:
            cell = sheet.cell(row=r, column=c)
            cell.protection = Protection(locked=False)
            cell.fill = INPUT_FILL
        sheet.cell(row=r, column=KEYS.index("published") + 1).number_format = "yyyy-mm-dd"
    _validate(sheet, rows, len(lines))
    widths = [22, 18, 10, 12, 30, 11, 12, 40, 16, 14, 14, 12, 14, 12, 14, 16]
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = width
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True  # no password: it guards the header against slips
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    _readme(book.create_sheet(_("Read me")[:31]), title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validate(sheet, rows: list[Row], count: int) -> None:
    """Add the checks Excel runs as one types: the figure's rules, the states offered."""
    if not count:
        return
    value_column = get_column_letter(KEYS.index("value") + 1)
    for r, row in enumerate(rows, start=2):
        indicator = row.indicator
        low = indicator.bound_low
        high = indicator.bound_high
        kind = "whole" if indicator.count and not indicator.fractions else "decimal"
        if low is None and high is None:
            if kind == "decimal":
                continue
            check = DataValidation(type=kind)
        elif high is None:
            check = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{low:g}")
        elif low is None:
            check = DataValidation(type=kind, operator="lessThanOrEqual", formula1=f"{high:g}")
        else:
            check = DataValidation(
                type=kind, operator="between", formula1=f"{low:g}", formula2=f"{high:g}"
            )
        check.error = rule_text(indicator)
        check.errorTitle = indicator.code[:32]
        check.showErrorMessage = True
        check.allow_blank = True
        check.add(f"{value_column}{r}")
        sheet.add_data_validation(check)
    state_column = get_column_letter(KEYS.index("state") + 1)
    states = DataValidation(
        type="list", formula1='"' + ",".join(STATES_OFFERED) + '"', allow_blank=True
    )
    states.add(f"{state_column}2:{state_column}{count + 1}")
    sheet.add_data_validation(states)


def rule_text(indicator) -> str:
    """Return what figures the indicator takes, in a sentence: whole numbers from 0…"""
    whole = indicator.count and not indicator.fractions
    low, high = indicator.bound_low, indicator.bound_high
    said = {"code": indicator.code, "low": f"{low:g}" if low is not None else "", "high": ""}
    said["high"] = f"{high:g}" if high is not None else ""
    if low is not None and high is not None:
        text = _("'%(code)s' takes figures from %(low)s to %(high)s") % said
    elif low is not None:
        text = _("'%(code)s' takes figures of %(low)s or more") % said
    elif high is not None:
        text = _("'%(code)s' takes figures of %(high)s or less") % said
    else:
        text = _("'%(code)s' takes any figure") % said
    return text + (_(", in whole numbers.") if whole else ".")


def _readme(sheet, title: str) -> None:
    lines = [
        title,
        "",
        _(
            "Fill in the yellow cells: value, comment, state (submitted or draft) and, if you"
            " know it, the day the figure was published."
        ),
        _(
            "Leave a value empty to give no figure. Do not change the indicator, entity and"
            " period columns: they say which figure each row is."
        ),
        _(
            "The other columns help you: the indicator's name and unit, the previous figure,"
            " the figure expected on the way to the target."
        ),
        _("Then import the file on Jalon's import page, or with: jalon values import FILE."),
    ]
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 110
    sheet["A1"].font = Font(bold=True, size=13)


def template_csv(rows: list[Row], entity_code: str) -> bytes:
    """Return the CSV template: ',' in English; ';' and decimal commas where Excel uses them."""
    comma = get_format("DECIMAL_SEPARATOR") == ","
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if comma else ",", lineterminator="\r\n")
    writer.writerow([*KEYS, *_context_columns()])
    for keys, context in _lines(rows, entity_code):
        writer.writerow([csv_cell(v, comma) for v in keys + context])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the mark makes Excel read UTF-8
