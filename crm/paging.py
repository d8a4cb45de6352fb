"""Opaque keyset-pagination cursors: a JSON list in URL-safe base64, without padding.

Pages of a million rows are reached by position, never by offset: a cursor carries the
sort key of the last row shown (and, first, what it is a cursor of, so that one list's
cursor is refused by another). Whoever decodes checks the key's shape; a cursor edited
by hand is refused with ``InvalidCursor`` and the page answers 400 or starts over.
"""

import base64
import binascii
import json
from typing import Any

from crm.api.inputs import UNSTORABLE


class InvalidCursor(ValueError):
    pass


def encode_cursor(payload: list[Any]) -> str:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, tag: str) -> list[Any]:
    """The values after ``tag`` in ``token``; InvalidCursor if it is not a cursor of ``tag``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidCursor(token) from error
    if not isinstance(decoded, list) or not decoded or decoded[0] != tag:
        raise InvalidCursor(token)
    if not _storable(decoded):
        raise InvalidCursor(token)
    return decoded[1:]


def _storable(value: Any) -> bool:
    """Whether no string in ``value`` holds a NUL or a lone surrogate, which would fail in
    the query a hand-made cursor is compared in. Walked without recursion: the JSON may be
    as deep as the decoder allowed."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and UNSTORABLE.search(item):
            return False
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend([*item.keys(), *item.values()])
    return True
