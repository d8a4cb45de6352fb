"""Bulk endpoints for partner feeds: up to ``MAX_ITEMS`` items a call, checked one by one,
every fault reported with its item's index and field, and nothing written unless all pass."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import pghistory
from django.db import connection, transaction
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.inputs import StrictInput
from crm.api.views import PartnerAPIMixin
from crm.audit.services import feed_batch_record
from crm.tenancy.models import PartnerApplication

MAX_ITEMS = 1000


class Batch(StrictInput):
    items = serializers.ListField(min_length=1, max_length=MAX_ITEMS)


class BatchCheck:
    """The items of a batch, checked one by one; errors collected per item and field."""

    def __init__(self, data: Any, item_serializer: type[serializers.Serializer[Any]]) -> None:
        envelope = Batch(data=data)
        envelope.is_valid(raise_exception=True)
        self.errors: dict[int, dict[str, list[ErrorDetail]]] = {}
        self.items: list[dict[str, Any] | None] = []
        for index, item in enumerate(envelope.validated_data["items"]):
            checked = item_serializer(data=item)
            if checked.is_valid():
                self.items.append(dict(checked.validated_data))
            else:
                self.items.append(None)
                self.errors[index] = dict(checked.errors)

    def valid(self) -> list[tuple[int, dict[str, Any]]]:
        """(index, item) of the items whose fields are well-formed.

        Items refused for their content stay in, so that one answer lists all their faults.
        """
        return [(index, item) for index, item in enumerate(self.items) if item is not None]

    def refuse(self, index: int, field: str, message: str, code: str) -> None:
        self.errors.setdefault(index, {}).setdefault(field, []).append(
            ErrorDetail(message, code=code)
        )

    def refuse_repeats(
        self, key: Callable[[dict[str, Any]], Hashable], field: str, message: str
    ) -> None:
        """Refuse an item whose natural key an earlier item of the batch already has.

        ``message`` names the earlier item with ``%(index)d``.
        """
        first_seen: dict[Hashable, int] = {}
        for index, item in self.valid():
            earlier = first_seen.setdefault(key(item), index)
            if earlier != index:
                self.refuse(index, field, message % {"index": earlier}, "duplicate")

    def resolve(self, field: str, ids: dict[str, int], message: str) -> None:
        """Replace ``item[field]`` by its id, or refuse the item when the bank has none."""
        for index, item in self.valid():
            resolved = ids.get(item[field])
            if resolved is None:
                self.refuse(index, field, message, "does_not_exist")
            else:
                item[field] = resolved

    def raise_if_refused(self) -> None:
        if self.errors:
            raise ValidationError(
                {"items": [self.errors.get(index, {}) for index in range(len(self.items))]}
            )

    def values(self, field: str) -> set[Any]:
        return {item[field] for _index, item in self.valid()}


class FeedView(PartnerAPIMixin, APIView):
    """A partner feed's bulk endpoint: the rows it writes are marked in their history as the
    feed's, and each batch leaves one audit record (who, when, how many, accepted or
    refused), so that nightly feeds do not bury staff changes in the audit trail.

    A refused batch is undone to a savepoint taken before the view's work, so that its
    record survives while everything the batch wrote does not.
    """

    http_method_names = ["post", "options"]
    required_scope: str
    _before_batch: str | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        pghistory.context(feed=self.required_scope)
        if request.method == "POST" and connection.in_atomic_block:
            self._before_batch = transaction.savepoint()

    def record_batch(self, *, created: int, updated: int = 0, unchanged: int = 0) -> None:
        feed_batch_record(
            partner=self._application(),
            feed=self.required_scope,
            items=created + updated + unchanged,
            created=created,
            updated=updated,
            unchanged=unchanged,
        )

    def handle_exception(self, exc: Exception) -> Response:
        if self._before_batch is None or not isinstance(exc, (ValidationError, ParseError)):
            return super().handle_exception(exc)  # refused whole, as every API call
        transaction.savepoint_rollback(self._before_batch)
        self._before_batch = None
        items = self.request.data.get("items") if isinstance(self.request.data, dict) else None
        feed_batch_record(
            partner=self._application(),
            feed=self.required_scope,
            items=len(items) if isinstance(items, list) else 0,
            refused=_items_at_fault(exc),
        )
        return APIView.handle_exception(self, exc)

    def _application(self) -> PartnerApplication:
        partner = self.partner
        assert partner is not None  # a batch only ever comes from a partner
        return partner.application


def _items_at_fault(exc: Exception) -> int:
    """How many items a refusal names; 0 when it refuses the batch as a whole."""
    detail = getattr(exc, "detail", None)
    faults = detail.get("items") if isinstance(detail, dict) else None
    if isinstance(faults, list):
        return sum(1 for fault in faults if isinstance(fault, dict) and fault)
    return 0
