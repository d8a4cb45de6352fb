"""Reading an uploaded CSV or XLSX file into rows of text, and writing files.

Reading is a pure function of the file's bytes (no database), so that it runs in a
separate, bounded process (``read_rows_bounded``). Files are written with tablib, and with
openpyxl where a workbook needs more than one plain table (an import template's reference
sheets, text-formatted columns).
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from io import BytesIO
from pathlib import PurePath
from typing import Any

import tablib
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.reader.excel import load_workbook
from openpyxl.styles.fonts import Font
from openpyxl.utils.cell import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from crm.bounded import Bounds, ChildDied, OutOfMemory, OutOfTime, run_bounded

MAX_FILE_BYTES = 20 * 1024 * 1024
# What reading one file may cost, in a process of its own (read_rows_bounded). Measured:
# an ordinary workbook of 50,000 rows (2 MB) takes 4 s of CPU and 300 MB.
READ_BOUNDS = Bounds(memory_bytes=1024 * 1024 * 1024, cpu_seconds=120, wall_seconds=180)
MAX_ROWS = 50_000
# A workbook is a zip archive: what it unpacks to, not its size, is what parsing costs. An
# ordinary 20 MB workbook unpacks to well under this; a "zip bomb" (a few KB of repeated
# bytes declaring gigabytes) is refused before any of it is parsed.
MAX_UNZIPPED_BYTES = 400 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 2_000
# Columns read of a row: far more than any import has. openpyxl pads each row to the
# sheet's *declared* dimension (a 1.5 KB file may declare A1:XFD1048576, 16,384 columns by
# a million rows), so the dimension is thrown away and the width bounded here.
MAX_COLUMNS = 200
# Lines read of a sheet, blank ones included (a sheet can hold a million empty <row>s):
# the row limit, its notes and some blank lines between them.
MAX_LINES = 2 * MAX_ROWS + 1_000
FIRST_DATA_LINE = 2  # the header is line 1, as a spreadsheet numbers its rows

XLSX_SIGNATURE = b"PK\x03\x04"
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0"
# Excel on Chinese Windows saves CSV in GBK; UTF-8 (with or without BOM) is the other usual.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# A cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A line whose first cell starts with this is a note or an example, never a row: templates
# carry their example rows this way, in CSV as in XLSX, so an unchanged template imports
# nothing. (A "#" starts no customer number, account number or other first column we read.)
NOTE_START = "#"
TEXT_FORMAT = "@"  # Excel's "Text": keeps an 18-digit ID number from becoming 1.10105E+17
SHEET_TITLE_LIMIT = 31
SHEET_TITLE_FORBIDDEN = str.maketrans({char: "-" for char in "[]:*?/\\"})


class SheetError(Exception):
    """The file as a whole cannot be used; ``message`` says why, for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column of an import file: its key, its header, and other headers it accepts."""

    key: str
    label: str | Promise
    required: bool = False
    aliases: tuple[str, ...] = ()

    def headers(self) -> set[str]:
        """Every header this column answers to, in any of the site's languages."""
        names = {self.key, *self.aliases}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(self.label))
        return {normalise_header(name) for name in names}


# The first column of an error file: each row's reasons. Reading skips it without listing it
# among the ignored columns, so that the error file itself can be corrected and uploaded.
ERRORS_COLUMN = Column("errors", gettext_lazy("errors (not imported)"), aliases=("error", "错误"))


@dataclass
class Sheet:
    """The rows of a file, each a dict of column key to text, with its line number."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # "line": int, the rest text
    ignored_headers: list[str] = field(default_factory=list)
    notes: int = 0  # lines skipped because they start with NOTE_START


@dataclass(frozen=True)
class Table:
    """One sheet of a workbook to write: its title, header row and rows."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[object]]


def normalise_header(header: object) -> str:
    text = "" if header is None else str(header)
    return "".join(text.split()).lower().strip("*").replace("_", "").replace("-", "")


def file_format(content: bytes, filename: str) -> str:
    """``"xlsx"`` or ``"csv"``, by content first, then by extension; SheetError for neither.

    Costs nothing (a look at the first bytes): the upload refuses such files at once.
    """
    suffix = PurePath(filename).suffix.lower()
    if content.startswith(OLD_EXCEL_SIGNATURE) or suffix == ".xls":
        raise SheetError(_("Save the workbook as .xlsx or .csv first (older .xls is not read)."))
    if content.startswith(XLSX_SIGNATURE):
        return "xlsx"
    if suffix == ".xlsx":
        raise SheetError(_("The file is not a valid XLSX workbook."))
    return "csv"


def load_dataset(content: bytes, filename: str, columns: Sequence[Column] = ()) -> tablib.Dataset:
    """Parse a CSV or XLSX file, telling them apart by content first, then by extension.

    Of a workbook, read the sheet that has the header row of ``columns``: the active one if
    it does, else the first that does. A template's reference sheets (branch codes, managers)
    may well be the one left active when staff saved the file.
    """
    detected = file_format(content, filename)
    try:
        if detected == "xlsx":
            return _load_workbook_sheet(content, columns)
        dataset: tablib.Dataset = tablib.Dataset().load(_decode(content), format="csv")
        return dataset
    except (SheetError, MemoryError):
        raise  # a file past the memory bound is reported as such (read_rows_bounded)
    except Exception as exc:  # any parser error is a bad file, never a server error
        raise SheetError(
            _("The file could not be read as %(format)s. Check that it is not damaged.")
            % {"format": detected.upper()}
        ) from exc


def _check_archive(content: bytes) -> None:
    """Refuse a workbook whose archive unpacks to more than a bounded size, unread.

    The sizes are the ones the archive declares; the zip reader itself refuses to unpack a
    member past its declared size, so a lie is an error too, not a bomb.
    """
    with zipfile.ZipFile(BytesIO(content)) as archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS or (
            sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES
        ):
            raise SheetError(
                _("The workbook unpacks to far more than its rows can need: it is not read.")
            )


def _load_workbook_sheet(content: bytes, columns: Sequence[Column]) -> tablib.Dataset:
    required = [column.headers() for column in columns if column.required]
    _check_archive(content)
    book = load_workbook(BytesIO(content), read_only=True, data_only=True)
    try:
        sheets = [sheet for sheet in book.worksheets if sheet is book.active]
        sheets += [sheet for sheet in book.worksheets if sheet is not book.active]
        if not sheets:
            return tablib.Dataset()  # reported as lacking its columns
        for sheet in sheets:
            # Trust the cells, not the declared dimension (see MAX_COLUMNS).
            sheet.reset_dimensions()
        chosen = sheets[0]
        for sheet in sheets:
            first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
            present = {normalise_header(header) for header in first}
            if all(names & present for names in required):
                chosen = sheet
                break
        header_row = chosen.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True)
        headers = list(next(header_row, ()))
        while headers and headers[-1] is None:
            headers.pop()  # formatted but empty cells right of the last header
        width = len(headers)
        dataset = tablib.Dataset(title=chosen.title)
        if not width:
            return dataset  # an empty sheet: reported as lacking its columns
        dataset.headers = headers
        # Rows as wide as the header, no wider: cells right of it have no column.
        rows = chosen.iter_rows(
            min_row=FIRST_DATA_LINE, max_row=MAX_LINES + 1, max_col=width, values_only=True
        )
        for line, values in enumerate(rows, start=FIRST_DATA_LINE):
            if line > MAX_LINES:
                raise SheetError(
                    _("The file has more than %(limit)s rows. Split it into smaller files.")
                    % {"limit": f"{MAX_ROWS:,}"}
                )
            # Cells right of the header row have no column: dropped. Short rows are padded.
            cells = list(values[:width])
            dataset.append(cells + [None] * (width - len(cells)))
        return dataset
    finally:
        book.close()


def _decode(content: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(_("The CSV file must be saved as UTF-8 or GBK text."))


def cell_text(value: object) -> str:
    """The text of a cell; dates as YYYY-MM-DD, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return str(value).strip()


def _read_back(text: str) -> str:
    """Undo ``spreadsheet_safe``: a file this system wrote reads back as the values it had."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def read_rows(content: bytes, filename: str, columns: Sequence[Column]) -> Sheet:
    """Return the file's rows keyed by column; raise SheetError for a file that cannot be used.

    Lines whose first cell starts with ``NOTE_START`` are notes or examples: skipped, and
    counted in ``Sheet.notes`` so that the person importing is told.
    """
    dataset = load_dataset(content, filename, columns)
    by_header: dict[str, Column] = {}
    for known in columns:
        for header in known.headers():
            by_header[header] = known
    errors_headers = ERRORS_COLUMN.headers()
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(dataset.headers or []):
        column = by_header.get(normalise_header(header))
        if column is None:
            if normalise_header(header) and normalise_header(header) not in errors_headers:
                ignored.append(str(header))
            continue
        if column.key in positions:
            raise SheetError(
                _("The column “%(column)s” appears twice in the header row.")
                % {"column": column.label}
            )
        positions[column.key] = position
    missing = [str(c.label) for c in columns if c.required and c.key not in positions]
    if missing:
        raise SheetError(
            _("The header row (line 1) lacks these columns: %(columns)s.")
            % {"columns": _(", ").join(missing)}
        )
    sheet = Sheet(ignored_headers=ignored)
    for index, values in enumerate(dataset):
        if len(values) and cell_text(values[0]).startswith(NOTE_START):
            sheet.notes += 1
            continue
        texts = {
            key: _read_back(cell_text(values[position])) for key, position in positions.items()
        }
        if not any(texts.values()):
            continue  # blank lines between or after the rows
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(
                _("The file has more than %(limit)s rows. Split it into smaller files.")
                % {"limit": f"{MAX_ROWS:,}"}
            )
        sheet.rows.append({"line": index + FIRST_DATA_LINE, **texts})
    if not sheet.rows and sheet.notes:
        raise SheetError(
            _(
                "The file has no rows to import: lines whose first cell starts with “%(mark)s” "
                "are examples or notes, and are not imported."
            )
            % {"mark": NOTE_START}
        )
    if not sheet.rows:
        raise SheetError(_("The file has a header row but no rows under it."))
    return sheet


def read_rows_bounded(
    content: bytes, filename: str, columns: Sequence[Column], *, bounds: Bounds | None = None
) -> Sheet:
    """``read_rows`` in a child process held to ``bounds`` (``READ_BOUNDS`` by default).

    A file that needs more memory or time than that is refused with a SheetError saying
    so, like any other file that cannot be used; the calling process is never at risk.
    """
    try:
        return run_bounded(read_rows, content, filename, columns, bounds=bounds or READ_BOUNDS)
    except OutOfMemory as error:
        raise SheetError(
            _("Reading the file needs more memory than allowed. Split it into smaller files.")
        ) from error
    except OutOfTime as error:
        raise SheetError(
            _("Reading the file takes longer than allowed. Split it into smaller files.")
        ) from error
    except ChildDied as error:
        raise SheetError(
            _("The file could not be read. Check that it is a CSV or XLSX file, not damaged.")
        ) from error


def spreadsheet_safe(value: object) -> object:
    """Keep a text cell from being run as a formula when the file is opened."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def build_file(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, file_format: str, title: str = ""
) -> bytes:
    """A CSV (UTF-8 with BOM, which Excel needs to show Chinese) or XLSX file of ``rows``."""
    safe_rows = [[spreadsheet_safe(value) for value in row] for row in rows]
    dataset = tablib.Dataset(*safe_rows, headers=list(headers), title=title[:31])
    # tablib is untyped: export() gives text for CSV, bytes for XLSX.
    if file_format == "csv":
        text: str = dataset.export("csv")
        return ("\ufeff" + text).encode("utf-8")
    workbook: bytes = dataset.export("xlsx")
    return workbook


def build_workbook(
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]],
) -> bytes:
    """An XLSX workbook with one sheet per ``(title, headers, rows)``."""
    book = tablib.Databook()
    for title, headers, rows in sheets:
        safe_rows = [[spreadsheet_safe(value) for value in row] for row in rows]
        book.add_sheet(tablib.Dataset(*safe_rows, headers=list(headers), title=title[:31]))
    workbook: bytes = book.export("xlsx")
    return workbook


# Workbooks written with openpyxl ------------------------------------------------------------


def _sheet_title(title: str) -> str:
    return title.translate(SHEET_TITLE_FORBIDDEN).strip("'")[:SHEET_TITLE_LIMIT] or "Sheet"


def _cell(value: object) -> object:
    if isinstance(value, str):
        # Control characters (possible in an uploaded CSV) cannot be written into XLSX.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _append(sheet: Worksheet, values: Iterable[object]) -> None:
    """Append a row whose text is all typed text cells, as it was, never a formula.

    Unlike a CSV cell, a text cell of a workbook is never evaluated, so "=1+1" or a
    "+86..." phone number is written as it is, with no quote in front. openpyxl would make a
    formula of text starting with "=": such cells are typed as text again.
    """
    row = [_cell(value) for value in values]
    sheet.append(row)
    for column, value in enumerate(row, start=1):
        if isinstance(value, str) and value.startswith("="):
            sheet.cell(sheet.max_row, column).data_type = "s"


def _display_width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _write_table(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    as_text: bool = False,
) -> None:
    """Write a bold, frozen header row and ``rows``; ``as_text`` formats every column as text.

    Text columns keep what staff type into the file as they typed it: Excel turns a long
    digit string typed into a "General" cell into a rounded number.
    """
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        _append(sheet, row)
    if as_text:
        for index in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].number_format = TEXT_FORMAT
        for cells in sheet.iter_rows(min_row=2):
            for cell in cells:
                cell.number_format = TEXT_FORMAT


def _fit_columns(sheet: Worksheet, rows: Iterable[Sequence[object]]) -> None:
    """Widen each column to its longest cell among ``rows`` (CJK characters count double)."""
    widths: dict[int, int] = {}
    for row in rows:
        for index, value in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), _display_width(value))
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 6) + 2, 60)


def _saved(book: Workbook) -> bytes:
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def build_import_template(
    *,
    title: str,
    headers: Sequence[str],
    note: str,
    examples: Sequence[Sequence[object]],
    references: Sequence[Table] = (),
    file_format: str,
) -> bytes:
    """The file staff fill in for an import: the header row, a note, example rows.

    The note and the examples start with ``NOTE_START``, so reading skips them: the
    unchanged template imports nothing, and a forgotten example row is never a customer.
    A workbook adds ``references`` as further sheets (the codes to fill in), after the sheet
    to fill, which stays the active one. A CSV file holds one table only (a second one would
    be read as rows), so the references are left out of it; the upload page says so.
    """
    note_row: list[object] = [f"{NOTE_START} {note}"] + [None] * (len(headers) - 1)
    example_rows = [[f"{NOTE_START}{row[0]}", *row[1:]] for row in examples]
    if file_format == "csv":
        return build_file(headers, [note_row, *example_rows], file_format="csv")
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = _sheet_title(title)
    _write_table(sheet, headers, [note_row, *example_rows], as_text=True)
    _fit_columns(sheet, [headers, *example_rows])  # the note overflows; it sets no width
    example_font = Font(italic=True, color="808080")
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.font = example_font
    for table in references:
        reference = book.create_sheet(_sheet_title(table.title))
        _write_table(reference, table.headers, table.rows, as_text=True)
        _fit_columns(reference, [table.headers, *table.rows])
    book.active = 0
    return _saved(book)


def build_error_file(
    *,
    title: str,
    headers: Sequence[str],
    rows: Sequence[tuple[str, Sequence[object]]],
    file_format: str,
) -> bytes:
    """An import file with ``ERRORS_COLUMN`` first: each row's reasons, then its cells.

    ``rows`` are ``(reasons, cells)``, reasons empty for a correct row. Reading skips the
    errors column, so staff correct the rows in this very file and upload it again.
    """
    all_headers = [str(ERRORS_COLUMN.label), *headers]
    lines = [[reasons, *cells] for reasons, cells in rows]
    if file_format == "csv":
        return build_file(all_headers, lines, file_format="csv")
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = _sheet_title(title)
    _write_table(sheet, all_headers, lines, as_text=True)
    _fit_columns(sheet, [all_headers, *lines])
    error_font = Font(color="C00000")
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        cell.font = error_font
    return _saved(book)
