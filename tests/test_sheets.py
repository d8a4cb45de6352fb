"""Hostile workbooks: what a file declares never decides what reading it costs."""

import multiprocessing
import os
import re
import resource
import zipfile
from io import BytesIO

import pytest
from django.utils import translation
from openpyxl import Workbook

from crm import sheets
from crm.sheets import Column, SheetError, read_rows
from tests.translation import zh

COLUMNS = [Column("number", "number", required=True), Column("name", "name")]


def workbook(*rows: tuple) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, change, *, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook with its first sheet's XML passed through ``change``, members added."""
    source = zipfile.ZipFile(BytesIO(content))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(member.filename, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def declaring(dimension: str):
    def change(xml: bytes) -> bytes:
        return re.sub(
            rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{dimension}"/>'.encode(), xml
        )

    return change


def read_bounded(content: bytes, *, extra_mb: int = 256, seconds: int = 30) -> tuple[str, object]:
    """``read_rows`` in a child process with little memory to spare: what it gave, or how
    it ended (out of memory, out of time) where the file got the better of it."""

    def child(results):
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
        limit = pages * os.sysconf("SC_PAGE_SIZE") + extra_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            results.put(("rows", read_rows(content, "file.xlsx", COLUMNS).rows))
        except SheetError as refused:
            results.put(("refused", refused.message))
        except MemoryError:
            results.put(("out of memory", None))

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    process = context.Process(target=child, args=(results,))
    process.start()
    process.join(seconds)
    if process.is_alive():
        process.kill()
        process.join()
        return ("out of time", None)
    return results.get(timeout=5) if not results.empty() else ("died", process.exitcode)


def test_a_declared_dimension_of_the_whole_sheet_costs_nothing():
    # A few KB declaring 16,384 columns by 1,048,576 rows, with a cell on the last row: read
    # as declared, every row of the sheet padded to every column (terabytes).
    bomb = rewritten(
        workbook(("number", "name"), ("C1", "张三")),
        lambda xml: declaring("A1:XFD1048576")(xml).replace(
            b"</sheetData>",
            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>C2</t></is></c></row>'
            b"</sheetData>",
        ),
    )
    assert len(bomb) < 10_000
    with translation.override("zh-hans"):
        ended, given = read_bounded(bomb)
    assert (ended, given) == (
        "refused",
        zh(
            "The file has more than %(limit)s rows. Split it into smaller files.",
            limit=f"{sheets.MAX_ROWS:,}",
        ),
    )


def test_a_declared_dimension_with_a_few_rows_reads_them():
    sheet_rows = read_bounded(
        rewritten(workbook(("number", "name"), ("C1", "张三")), declaring("A1:XFD1048576"))
    )
    assert sheet_rows == ("rows", [{"line": 2, "number": "C1", "name": "张三"}])


def test_a_row_a_million_lines_down_stops_at_the_line_limit(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_LINES", 100)
    far = rewritten(
        workbook(("number", "name"), ("C1", "张三")),
        lambda xml: xml.replace(
            b"</sheetData>",
            b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>C2</t></is></c></row>'
            b"</sheetData>",
        ),
    )
    with pytest.raises(SheetError, match="50,000"):
        read_rows(far, "far.xlsx", COLUMNS)


def test_an_archive_that_unpacks_past_the_bound_is_refused_unread(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    padded = rewritten(
        workbook(("number", "name"), ("C1", "张三")),
        lambda xml: xml,
        extra={"xl/media/padding.bin": b"\0" * (2 * 1024 * 1024)},
    )
    assert len(padded) < 50_000  # zeros pack small: the size of the upload says nothing
    with translation.override("zh-hans"), pytest.raises(SheetError) as refused:
        read_rows(padded, "padded.xlsx", COLUMNS)
    assert refused.value.message == zh(
        "The workbook unpacks to far more than its rows can need: it is not read."
    )


def test_an_ordinary_workbook_reads_as_before():
    rows = [("number", "name", None)] + [(f"C{n}", f"客户{n}", None) for n in range(1, 301)]
    sheet = read_rows(workbook(*rows), "ordinary.xlsx", COLUMNS)
    assert len(sheet.rows) == 300
    assert sheet.rows[-1] == {"line": 301, "number": "C300", "name": "客户300"}
