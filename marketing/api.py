"""The finance system's monthly contribution feed: ``POST /api/v1/contributions/bulk``.

Each item is one customer's income in one month (net interest income from deposits and
from loans, fee income, other income; CNY, either sign). The batch is checked whole, in
the shape of the other bulk endpoints (``"attr": "items.3.customer_number"``), and
written in one statement; a customer-month sent again replaces that month's figures, and
replaying a batch changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict

from django.urls import path
from django.utils import timezone
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
from marketing.services import ContributionValues, contributions_record


class ContributionItem(StrictInput):
    customer_number = fields.Text(max_length=32)
    month = fields.Month(
        help_text=_("The month, as YYYY-MM; not after the current month in the bank's time zone.")
    )
    deposit_interest = fields.Income(label=_("net interest income from deposits (CNY)"))
    loan_interest = fields.Income(label=_("net interest income from loans (CNY)"))
    fee_income = fields.Income(label=_("fee income (CNY)"))
    other_income = fields.Income(label=_("other income (CNY)"))


class ContributionBatch(Batch):
    items = ContributionItem(many=True, min_length=1, max_length=MAX_ITEMS)


class ContributionBatchResult(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("Customer-months the bank had no figures of."))
    updated = serializers.IntegerField(help_text=_("Customer-months whose figures were replaced."))
    unchanged = serializers.IntegerField(
        help_text=_("Customer-months the bank already held with the same figures.")
    )


@extend_validation_errors(["duplicate"], field_name="items.INDEX.month")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.customer_number")
class ContributionBulkView(FeedView):
    """Record customers' monthly income from the finance system, all or nothing."""

    required_scope = "contributions:write"

    @extend_schema(
        summary="Load customers' monthly contribution (up to 1000, all or nothing)",
        tags=["contributions"],
        request=ContributionBatch,
        responses={200: ContributionBatchResult},
    )
    def post(self, request):
        partner = self.partner
        assert partner is not None  # FeedView: only a partner gets here
        # "This month" is the bank's: in Shanghai the 1st begins eight hours before UTC's.
        with timezone.override(partner.tenant.time_zone):
            batch = BatchCheck(request.data, ContributionItem)
        batch.refuse_repeats(
            lambda item: (item["customer_number"], item["month"]),
            "month",
            gettext("Item %(index)d of this batch has the same customer and month."),
        )
        selectors.resolve_customer_numbers(batch)
        batch.raise_if_refused()
        counts = contributions_record(
            contributions=[
                ContributionValues(
                    customer_id=item["customer_number"],
                    month=item["month"],
                    deposit_interest=item["deposit_interest"],
                    loan_interest=item["loan_interest"],
                    fee_income=item["fee_income"],
                    other_income=item["other_income"],
                )
                for item in batch.items
                if item is not None
            ],
            partner=partner.application,
        )
        self.record_batch(**asdict(counts))
        return Response(ContributionBatchResult(asdict(counts)).data)


urlpatterns = [
    path("contributions/bulk", ContributionBulkView.as_view(), name="contribution-bulk"),
]
