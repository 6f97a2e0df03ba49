"""Figures in spreadsheets: CSV and XLSX read into the rows a value file holds.

A sheet has a header row naming its columns by natural keys — `indicator`, `entity`,
`period`, `value`, and optionally `member`, `state`, `comment`, `published`, `source` —
by the plan's codes and period labels. Other columns (a template's unit, previous figure,
target) are read by people, not by Jalon. Rows are numbered as the spreadsheet shows them:
the header is row 1. The figures then go through the value files' own checks, all or
nothing, every problem found in one pass (see values.valuefile.store_data).
"""

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.db import transaction
from python_calamine import CalamineError, CalamineWorkbook

from jalon.core.gcpause import paused_collection
from jalon.core.yamlsource import FileProblems, Problem
from jalon.plans.planfile import LARGEST_FIGURE
from jalon.values.valuefile import STATES, Scope, ValuesReport, store_data

REQUIRED = ("indicator", "entity", "period", "value")
OPTIONAL = ("member", "state", "comment", "published", "source")
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Sheet:
    """A sheet's header and its data rows, each with the row number the spreadsheet shows."""

    name: str  # "" for a CSV file
    header: list[str]
    rows: list[tuple[int, list]] = field(default_factory=list)
    decimal_comma: bool = False  # a CSV that Excel wrote with ';' writes 13,5 for 13.5
    # A CSV file's rows are as long as their separators make them: a row that stops before
    # its key's last column, or runs past the header with text, lost or gained a separator.
    ragged: bool = False

    def columns(self) -> dict[str, int]:
        """Return the index of each column Jalon reads, by its key."""
        found = {}
        for k, title in enumerate(self.header):
            key = str(title).strip().casefold()
            if key in REQUIRED + OPTIONAL and key not in found:
                found[key] = k
        return found


class SheetLocated:
    """Where a value of a sheet stands: the row and column of a file path of a value file.

    It stands in for the YAML reader's Located, so the value files' checks name a sheet,
    a row and a column instead of a line.
    """

    def __init__(self, data: dict, sheet: Sheet, rows: list[int]):
        self.data = data
        self.sheet = sheet
        self.rows = rows  # the spreadsheet row of each figure, in order
        self.columns = sheet.columns()

    def problem(self, path, message: str, *, key: bool = False) -> Problem:
        path = tuple(path)
        row, column, header = 1, 1, ""
        if len(path) >= 2 and path[0] == "values" and isinstance(path[1], int):
            row = self.rows[path[1]]
            if len(path) >= 3 and path[2] in self.columns:
                column = self.columns[path[2]] + 1
                header = self.sheet.header[column - 1]
        elif path and path[0] in self.columns:
            column = self.columns[path[0]] + 1
            header = self.sheet.header[column - 1]
        if message.startswith("values[") and ": " in message:
            message = message.split(": ", 1)[1]  # the row and column say where already
        return Problem(row, column, message, sheet=self.sheet.name, header=header or "—")

    def at(self, path):
        problem = self.problem(path, "")
        return problem.line, problem.column

    key_at = at


def read_sheets(filename: str, data: bytes) -> list[Sheet]:
    """Return the sheets of a CSV or spreadsheet file; raise FileProblems if unreadable."""
    if len(data) > MAX_BYTES:
        raise FileProblems(filename, [_whole(f"the file is larger than {MAX_BYTES // 2**20} MB")])
    suffix = Path(filename).suffix.casefold()
    if suffix in SPREADSHEETS:
        return _read_workbook(filename, data)
    if suffix == ".csv":
        return [_read_csv(filename, data)]
    raise FileProblems(
        filename, [_whole("expected a .csv, .xlsx or .ods file, or a value file in YAML")]
    )


def _whole(message: str) -> Problem:
    return Problem(1, 1, message, header="—")


def _read_csv(filename: str, data: bytes) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileProblems(
            filename,
            [
                Problem(
                    line,
                    1,
                    f"this is not UTF-8 text (byte {error.start}): save it as CSV UTF-8",
                    header="—",
                )
            ],
        ) from None
    if "\x00" in text:
        raise FileProblems(filename, [_whole("this is not a CSV file: it holds NUL bytes")])
    # Excel writes ';' where ',' is the decimal mark (in French, among others).
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # Strict: a quote opened and never closed, or text after a closing quote, is an error
    # named at the row where it starts, not a row read to the end of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = []
    try:
        for row in reader:
            table.append(row)
    except csv.Error as error:
        said = {
            "unexpected end of data": 'a quote (") opened in this row is never closed',
            f"'{delimiter}' expected after '\"'": (
                'text after a closing quote: a quote inside a quoted cell is written twice ("")'
            ),
        }.get(str(error), str(error))
        # Numbered as the rows are (the header is row 1), not as the file's lines: a
        # quoted cell may hold several.
        problem = Problem(len(table) + 1, 1, f"this is not readable CSV: {said}", header="—")
        raise FileProblems(filename, [problem]) from None
    sheet = _sheet("", table)
    sheet.decimal_comma = delimiter == ";"
    sheet.ragged = True
    return sheet


def _read_workbook(filename: str, data: bytes) -> list[Sheet]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            _lazy_sheet(filename, name, book.get_sheet_by_name(name)) for name in book.sheet_names
        ]
    except FileProblems:
        raise
    except (KeyboardInterrupt, SystemExit):
        raise
    except (CalamineError, Exception, BaseException) as error:
        # A broken, encrypted or hostile file: the reader's errors are not all typed (a
        # panic in its Rust core is a BaseException), and none may escape as a traceback.
        raise FileProblems(
            filename, [_whole(f"this spreadsheet cannot be read: {error}")]
        ) from None
    return sheets


MAX_ROWS = 2_000_000  # twice the largest import the benchmark times


def _lazy_sheet(filename: str, name: str, sheet) -> Sheet:
    """Return a sheet read row by row, each row cut to its header's width.

    A cell far away (row 100,000, column ZZ) makes a sheet's area huge; reading it row by
    row and keeping only the header's columns keeps memory to the data's size.
    """
    if sheet.height > MAX_ROWS + 1:
        raise FileProblems(
            filename,
            [
                Problem(
                    1,
                    1,
                    f"the sheet has {sheet.height:,} rows: more than {MAX_ROWS:,} figures"
                    " go in several files",
                    sheet=name,
                    header="—",
                )
            ],
        )
    rows = sheet.iter_rows()
    first = next(rows, [])
    width = max((k + 1 for k, c in enumerate(first) if c not in (None, "")), default=0)
    header = [str(c).strip() if c is not None else "" for c in first[:width]]
    kept = []
    for n, cells in enumerate(rows, start=2):
        cells = cells[:width]
        if any(c not in (None, "") for c in cells):
            kept.append((n, cells))
    return Sheet(name, header, kept)


def _odd_length(cells: list[str], header: list[str], last_key: int) -> Problem | None:
    """Return what is wrong with a CSV row that stops before its key's last column, or has
    text past the header's last column (at row 1: the caller says which); None if its
    length is right."""
    if len(cells) <= last_key:
        return Problem(
            1,
            len(cells) + 1,
            f"the row stops here, after {len(cells)} {'cell' if len(cells) == 1 else 'cells'}:"
            " a separator or a quote is missing",
            header=header[len(cells)] or "—",
        )
    extra = [k for k in range(len(header), len(cells)) if cells[k].strip()]
    if extra:
        return Problem(
            1,
            extra[0] + 1,
            f"this row has text past the header's {len(header)} columns: a separator too"
            " many, or a quote missing",
            header="—",
        )
    return None


def _sheet(name: str, table: list[list]) -> Sheet:
    header = [str(c).strip() if c is not None else "" for c in (table[0] if table else [])]
    rows = list(enumerate(table[1:], start=2))
    return Sheet(name, header, rows)


def _text(cell) -> str | None:
    """Return a cell as text: a code, a period; a whole float (2018.0) loses its point."""
    if type(cell) is str:  # the common case, first
        return cell.strip() or None
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat()
    return str(cell).strip() or None


def _number(cell, decimal_comma: bool):
    """Return a cell as a number where it reads as one, else as it is (the check says why)."""
    if isinstance(cell, bool):
        return cell  # refused by the value checks: true is no figure
    if isinstance(cell, int | float):
        return None if isinstance(cell, float) and math.isnan(cell) else cell
    text = str(cell).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not text:
        return None
    if decimal_comma:
        text = text.replace(".", "").replace(",", ".") if "," in text else text
    try:
        if "_" in text:  # Python reads 1_000; a spreadsheet does not
            raise ValueError(text)
        return float(text)
    except ValueError:
        return str(cell).strip()


def _date(cell):
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date) or cell is None or cell == "":
        return cell or None
    return str(cell).strip()


@paused_collection()
def import_figures(
    filename: str,
    data: bytes,
    plan,
    *,
    state: str | None = None,
    source: str | None = None,
    actor=None,
    actor_label: str = "",
    scope: Scope = Scope(),  # noqa: B008 - frozen, so a shared default is safe
    dry_run: bool = False,
    progress=None,
) -> ValuesReport:
    """Import the figures of a CSV or spreadsheet file into ``plan``: all or nothing.

    Every sheet whose header names the required columns is read; ``state`` and ``source``
    apply to rows that do not say their own. Raise FileProblems, with sheet, row and
    column, on any problem: nothing is written then. ``progress(phase, share)`` hears
    where the work stands: reading, checking, writing, done (never inside the write's
    transaction).
    """
    tell = progress or (lambda phase, share: None)
    tell("reading", 0.0)
    found = read_sheets(filename, data)
    sheets = [s for s in found if set(REQUIRED) <= set(s.columns())]
    if not sheets:
        first = found[0] if found else Sheet("", [])
        missing = [c for c in REQUIRED if c not in first.columns()]
        raise FileProblems(
            filename,
            [
                Problem(
                    1,
                    1,
                    "no sheet has the columns "
                    + ", ".join(REQUIRED)
                    + (f" (missing: {', '.join(missing)})" if first.header else " (it is empty)"),
                    sheet=first.name,
                    header="—",
                )
            ],
        )
    problems: list[Problem] = []
    located = []
    seen: dict[tuple, tuple[str, int]] = {}  # a figure's first sheet and row
    several = len(sheets) > 1
    for sheet in sheets:
        columns = sheet.columns()
        values, rows = [], []
        width = max(columns.values()) + 1
        at = [columns[k] for k in REQUIRED]
        optional = [(k, columns[k]) for k in ("member", "comment", "source") if k in columns]
        state_at, published_at = columns.get("state"), columns.get("published")
        # A row must reach its key's last column; a value left empty at the end of a row
        # may have lost its separator (a template's row left empty, a withdrawal).
        last_key = max(at[:3])
        for number, cells in sheet.rows:
            if sheet.ragged and not last_key < len(cells) <= len(sheet.header):
                odd = _odd_length(cells, sheet.header, last_key)
                if odd and any(c.strip() for c in cells):
                    problems.append(replace(odd, line=number, sheet=sheet.name))
                    continue
            if len(cells) < width:
                cells = [*cells, *([None] * (width - len(cells)))]
            if all(cells[k] in (None, "") for k in columns.values()):
                continue  # an empty row
            given = _text(cells[state_at]) if state_at is not None else None
            row_state = given or state
            value = cells[at[3]]
            if value in (None, "") and row_state != "withdrawn":
                continue  # a template's row left empty: no figure given
            row = {
                "indicator": _text(cells[at[0]]),
                "entity": _text(cells[at[1]]),
                "period": _text(cells[at[2]]),
            }
            if row_state != "withdrawn":
                row["value"] = _number(value, sheet.decimal_comma)
            for key, k in optional:
                text = _text(cells[k])
                if text:
                    row[key] = text
            if given:
                row["state"] = given
            if published_at is not None and cells[published_at] not in (None, ""):
                row["published"] = _date(cells[published_at])
            key = (row["indicator"], row["entity"], row["period"], row.get("member"))
            if several and key in seen and seen[key][0] != sheet.name:
                where_first = seen[key]
                problems.append(
                    Problem(
                        number,
                        1,
                        f"this figure is also given on sheet {where_first[0]}, row"
                        f" {where_first[1]}: give it once",
                        sheet=sheet.name,
                        header=sheet.header[0] if sheet.header else "—",
                    )
                )
            if several:
                seen.setdefault(key, (sheet.name, number))
            values.append(row)
            rows.append(number)
        where = SheetLocated({}, sheet, rows)
        huge = {
            n
            for n, row in enumerate(values)
            if isinstance(row.get("value"), float) and abs(row["value"]) > LARGEST_FIGURE
        }
        for n in sorted(huge):
            problems.append(
                where.problem(
                    ("values", n, "value"), f"{values[n]['value']:g} is too large to be a figure"
                )
            )
        if huge:  # said here; the other rows are still checked below
            values = [row for n, row in enumerate(values) if n not in huge]
            where = SheetLocated({}, sheet, [r for n, r in enumerate(rows) if n not in huge])
        if not state and any("state" not in row for row in values):
            problems.append(
                Problem(
                    1,
                    1,
                    "say the state of the figures: a 'state' column, or a state for the file",
                    sheet=sheet.name,
                    header="—",
                )
            )
        # Every row that gives no state takes the file's; rows that all give theirs make
        # the file's default unused.
        where.data = {"jalon": 1, "plan": plan.code, "values": values}
        where.data["state"] = state if state in STATES else "draft"
        if source:
            where.data["source"] = source
        located.append((sheet, where))
    # One pass, in one transaction: each sheet checked and written; any problem in any
    # sheet rolls every sheet back. A dry run writes nothing at all, and once a problem
    # is found the rest is only checked, so that every problem is said at once.
    tell("writing" if not dry_run else "checking", 0.1)
    report = ValuesReport()
    with transaction.atomic():
        for _sheet, where in located:
            try:
                part = store_data(
                    where,
                    filename,
                    actor=actor,
                    actor_label=actor_label,
                    plan=plan,
                    scope=scope,
                    dry_run=dry_run or bool(problems),
                )
            except FileProblems as error:
                problems += error.problems
            else:
                report.merge(part)
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise FileProblems(filename, problems)
    tell("done", 1.0)
    return report
