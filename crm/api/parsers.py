"""The API's JSON parser: every request body goes through it (``DEFAULT_PARSER_CLASSES``).

Checks that are about the body, not about any one endpoint, are made here once, so that no
endpoint can forget them:

- nesting: JSON nested ~1,000 deep made the decoder raise RecursionError (a 500), and a
  little less deep reached the serializers; no endpoint takes more than a few levels.
- characters: a NUL (PostgreSQL refuses it in text) or a lone surrogate (``"\\ud800"``, not
  encodable in UTF-8) in any string or key failed in the database or while the answer
  echoing it was rendered. Both are refused with the path of the value that holds them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from crm.api.inputs import NULL_CHARACTER, UNSTORABLE
from crm.bounds import shown

# The deepest body an endpoint takes is three levels ({"items": [{...}]}); the rest is room.
MAX_DEPTH = 16
# Faults reported at most: a body of a million NULs is answered with a few of them.
MAX_FAULTS = 50
SURROGATE = ProhibitSurrogateCharactersValidator.message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class ApiJSONParser(JSONParser):
    """JSON bodies, refused with 400 when too deep or holding characters we cannot store."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError as exc:
            raise ParseError(too_deep()) from exc
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        check_body(data)
        return data


def too_deep() -> str:
    return _("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}


def check_body(data: Any) -> None:
    """Refuse a body nested too deep, or with a NUL or lone surrogate in a string or key.

    Walked without recursion: the body may be as deep as the decoder allowed.
    """
    faults: dict[str, list[ErrorDetail]] = {}
    pending: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    while pending and len(faults) < MAX_FAULTS:
        value, path = pending.pop()
        if len(path) > MAX_DEPTH:
            raise ParseError(too_deep())
        if isinstance(value, str):
            _check_text(value, path, faults)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, (*path, key), faults)
                pending.append((item, (*path, shown(key))))
        elif isinstance(value, list):
            pending.extend((item, (*path, str(index))) for index, item in enumerate(value))
    if faults:
        raise ValidationError(faults)


def _check_text(text: str, path: tuple[str, ...], faults: dict[str, list[ErrorDetail]]) -> None:
    found = UNSTORABLE.search(text)
    if found is None:
        return
    # The path names the field (items.3.summary), never the text it was refused for.
    attr = ".".join(shown(part) for part in path) or "non_field_errors"
    if found.group() == "\x00":
        fault = ErrorDetail(str(NULL_CHARACTER), code="null_characters_not_allowed")
    else:
        fault = ErrorDetail(
            str(SURROGATE).format(code_point=ord(found.group())),
            code="surrogate_characters_not_allowed",
        )
    faults.setdefault(attr, []).append(fault)
