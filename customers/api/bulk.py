"""Bulk loads from core banking: ``POST /api/v1/holdings/bulk`` and ``/balance-snapshots/bulk``.

Every item is checked before anything is written; one bad item refuses the whole batch, with
each bad item's index, field and reason (``"attr": "items.3.customer_number"``). A good batch
is written set-based in one transaction and answered with how many rows it created, updated
and left unchanged: replaying a batch changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.response import Response

from crm.api import fields
from crm.api.bulk import MAX_ITEMS, Batch, BatchCheck, FeedView
from crm.api.inputs import StrictInput
from customers import selectors
from customers.api.upserts import (
    BalanceSnapshotValues,
    HoldingValues,
    balance_snapshots_upsert,
    holdings_upsert,
)
from customers.models import Holding, Product


class HoldingItem(StrictInput):
    account_number = fields.Text(max_length=40)
    customer_number = fields.Text(max_length=32)
    product_code = fields.Text(max_length=32)
    opened_on = fields.Date(past=True)
    status = fields.Choice(choices=Holding.Status.choices)
    balance = fields.Amount(
        label=_("balance (CNY)"),
        help_text=_("What the customer holds or, for loans and cards, owes; never negative."),
    )


class BalanceSnapshotItem(StrictInput):
    customer_number = fields.Text(max_length=32)
    month = fields.Month()
    deposits = fields.CustomerTotal(label=_("deposits"))
    loans = fields.CustomerTotal(label=_("loans"))
    wealth = fields.CustomerTotal(label=_("wealth, funds and insurance"))
    aum = fields.CustomerTotal(label=_("AUM"))


class HoldingBatch(Batch):
    items = HoldingItem(many=True, min_length=1, max_length=MAX_ITEMS)


class BalanceSnapshotBatch(Batch):
    items = BalanceSnapshotItem(many=True, min_length=1, max_length=MAX_ITEMS)


class BatchResult(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


def refuse_customers_over_total(batch: BatchCheck) -> None:
    """Refuse the items that would take their customer's balances past the bound."""
    found = [
        (index, item)
        for index, item in batch.valid()
        if isinstance(item["customer_number"], int)  # resolved to the customer's id
    ]
    over = selectors.customers_over_total(
        (item["account_number"], item["customer_number"], item["balance"]) for _i, item in found
    )
    for index, item in found:
        if item["customer_number"] in over:
            batch.refuse(index, "balance", selectors.customer_total_refusal(), "customer_total")


# Refusals of items for what the bank has (or the batch repeats), besides their fields' own.
@extend_validation_errors(["duplicate"], field_name="items.INDEX.account_number")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.customer_number")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.product_code")
@extend_validation_errors(["customer_total"], field_name="items.INDEX.balance")
class HoldingBulkView(FeedView):
    """Create or update customers' accounts by account number, all or nothing."""

    required_scope = "holdings:write"

    @extend_schema(
        summary="Load holdings from core banking (up to 1000, all or nothing)",
        tags=["holdings"],
        request=HoldingBatch,
        responses={200: BatchResult},
    )
    def post(self, request):
        batch = BatchCheck(request.data, HoldingItem)
        batch.refuse_repeats(
            lambda item: item["account_number"],
            "account_number",
            gettext("Item %(index)d of this batch has the same account number."),
        )
        selectors.resolve_customer_numbers(batch)
        refuse_customers_over_total(batch)
        batch.resolve(
            "product_code",
            dict(
                Product.objects.filter(code__in=batch.values("product_code")).values_list(
                    "code", "pk"
                )
            ),
            gettext("This bank has no product with this code."),
        )
        batch.raise_if_refused()
        counts = holdings_upsert(
            holdings=[
                HoldingValues(
                    account_number=item["account_number"],
                    customer_id=item["customer_number"],
                    product_id=item["product_code"],
                    opened_on=item["opened_on"],
                    status=item["status"],
                    balance=item["balance"],
                )
                for item in batch.items
            ]
        )
        self.record_batch(**asdict(counts))
        return Response(BatchResult(asdict(counts)).data)


@extend_validation_errors(["duplicate"], field_name="items.INDEX.month")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.customer_number")
class BalanceSnapshotBulkView(FeedView):
    """Create or update customers' monthly balances by customer and month, all or nothing."""

    required_scope = "snapshots:write"

    @extend_schema(
        summary="Load monthly balances from core banking (up to 1000, all or nothing)",
        tags=["balance snapshots"],
        request=BalanceSnapshotBatch,
        responses={200: BatchResult},
    )
    def post(self, request):
        batch = BatchCheck(request.data, BalanceSnapshotItem)
        batch.refuse_repeats(
            lambda item: (item["customer_number"], item["month"]),
            "month",
            gettext("Item %(index)d of this batch has the same customer and month."),
        )
        selectors.resolve_customer_numbers(batch)
        batch.raise_if_refused()
        counts = balance_snapshots_upsert(
            snapshots=[
                BalanceSnapshotValues(
                    customer_id=item["customer_number"],
                    month=item["month"],
                    deposits=item["deposits"],
                    loans=item["loans"],
                    wealth=item["wealth"],
                    aum=item["aum"],
                )
                for item in batch.items
            ]
        )
        self.record_batch(**asdict(counts))
        return Response(BatchResult(asdict(counts)).data)
