"""Answers to writes: a write scope is not a read scope.

A token that may only write gets back what its own request made known (the record's
identity and the fields it set), never the rest of the record; otherwise an empty change
(``PATCH {}``) would read any row. A token that may also read gets the record as a read
would show it. The schema describes both with one component in which only the identity
fields are required.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rest_framework import serializers

from crm.api.scopes import read_scope

if TYPE_CHECKING:
    from rest_framework.request import Request


def may_read(request: Request, resource: str) -> bool:
    """Whether the token of ``request`` carries the read scope of ``resource``."""
    token: Any = request.auth  # an oauth2_provider AccessToken (untyped)
    return token is not None and bool(token.allow_scopes([read_scope(resource)]))


class WriteAnswer(serializers.Serializer[Any]):
    """Mix into a resource's output serializer to answer its writes.

    With ``context["written"]`` (the names of the fields the request set) only those and
    ``always`` are answered; without it, the whole output.
    """

    #: Answered to every write: what identifies the record.
    always: ClassVar[frozenset[str]] = frozenset({"id"})
    #: A written input field answered under another name (e.g. a masked one).
    answered_as: ClassVar[Mapping[str, str]] = {}

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Only ``always`` is sure to be there: the schema must not promise more.
        for name, field in fields.items():
            if name not in self.always:
                field.read_only = False
                field.required = False
        return fields

    def to_representation(self, instance: Any) -> Any:
        answer = super().to_representation(instance)
        written: Iterable[str] | None = self.context.get("written")
        if written is None:
            return answer
        shown = self.always | {self.answered_as.get(name, name) for name in written}
        return {name: value for name, value in answer.items() if name in shown}


def write_context(request: Request, resource: str, written: Iterable[str]) -> dict[str, Any]:
    """The serializer context of a write's answer: whole to readers, else what was written."""
    if may_read(request, resource):
        return {"request": request}
    return {"request": request, "written": set(written)}
