"""Keyset cursors: what one list writes, only that list reads back."""

import pytest

from crm.paging import InvalidCursor, decode_cursor, encode_cursor


def test_a_cursor_reads_back_its_values_chinese_names_included():
    token = encode_cursor(["name", "张三", 42])
    assert "=" not in token and "/" not in token and "+" not in token  # fits in a URL as is
    assert decode_cursor(token, "name") == ["张三", 42]


@pytest.mark.parametrize(
    "token",
    [
        encode_cursor(["queue:mine", "2026-12-01T00:00:00+08:00", 7]),  # another list's
        "not-base64-!!",
        encode_cursor([]),
        "eyJhIjogMX0",  # {"a": 1}: JSON, but no list
        "",
    ],
)
def test_anything_else_is_refused(token):
    with pytest.raises(InvalidCursor):
        decode_cursor(token, "name")
