"""Reading an uploaded CSV or XLSX file into rows of text, and writing files, with tablib."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import tablib
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
FIRST_DATA_LINE = 2  # the header is line 1, as a spreadsheet numbers its rows

XLSX_SIGNATURE = b"PK\x03\x04"
OLD_EXCEL_SIGNATURE = b"\xd0\xcf\x11\xe0"
# Excel on Chinese Windows saves CSV in GBK; UTF-8 (with or without BOM) is the other usual.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# A cell starting with one of these is a formula to a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


@dataclass
class Sheet:
    """The rows of a file, each a dict of column key to text, with its line number."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # "line": int, the rest text
    ignored_headers: list[str] = field(default_factory=list)


def normalise_header(header: object) -> str:
    text = "" if header is None else str(header)
    return "".join(text.split()).lower().strip("*").replace("_", "").replace("-", "")


def load_dataset(content: bytes, filename: str) -> tablib.Dataset:
    """Parse a CSV or XLSX file, telling them apart by content first, then by extension."""
    suffix = PurePath(filename).suffix.lower()
    if content.startswith(OLD_EXCEL_SIGNATURE) or suffix == ".xls":
        raise SheetError(_("Save the workbook as .xlsx or .csv first (older .xls is not read)."))
    payload: bytes | str
    if content.startswith(XLSX_SIGNATURE):
        file_format, payload = "xlsx", content
    elif suffix == ".xlsx":
        raise SheetError(_("The file is not a valid XLSX workbook."))
    else:
        file_format, payload = "csv", _decode(content)
    try:
        dataset: tablib.Dataset = tablib.Dataset().load(payload, format=file_format)
        return dataset
    except Exception as exc:  # any parser error is a bad file, never a server error
        raise SheetError(
            _("The file could not be read as %(format)s. Check that it is not damaged.")
            % {"format": file_format.upper()}
        ) from exc


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


def read_rows(content: bytes, filename: str, columns: Sequence[Column]) -> Sheet:
    """Return the file's rows keyed by column; raise SheetError for a file that cannot be used."""
    dataset = load_dataset(content, filename)
    by_header: dict[str, Column] = {}
    for known in columns:
        for header in known.headers():
            by_header[header] = known
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(dataset.headers or []):
        column = by_header.get(normalise_header(header))
        if column is None:
            if normalise_header(header):
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
        texts = {key: cell_text(values[position]) for key, position in positions.items()}
        if not any(texts.values()):
            continue  # blank lines between or after the rows
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(
                _("The file has more than %(limit)s rows. Split it into smaller files.")
                % {"limit": f"{MAX_ROWS:,}"}
            )
        sheet.rows.append({"line": index + FIRST_DATA_LINE, **texts})
    if not sheet.rows:
        raise SheetError(_("The file has a header row but no rows under it."))
    return sheet


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
