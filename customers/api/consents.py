"""Customers' consents for partner systems: ``POST /api/v1/consents/bulk`` (the mobile app,
online banking) and ``GET /api/v1/consents/`` (current answers, by customer number).

A batch is checked whole before anything is written, in the shape of the other bulk
endpoints (``"attr": "items.3.customer_number"``); a good batch goes through
``customers.services.consent_record`` item by item, in one transaction. Replaying a batch
changes nothing (the same answer again is left as it was), and an answer older than the
one stored (``recorded_at``) is left unapplied: apps deliver late and out of order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from crm.api import fields
from crm.api.bulk import MAX_ITEMS, Batch, BatchCheck, FeedView
from crm.api.filters import PartnerFilterSet
from crm.api.inputs import DateTimeInput, StrictInput
from crm.api.views import PartnerAPIMixin
from customers import selectors, services
from customers.models import Consent, Customer

# The sources a partner system may report; the counter, letters and imports are the bank's.
PARTNER_SOURCES = [
    (value, label)
    for value, label in Consent.Source.choices
    if value
    in {
        Consent.Source.MOBILE_APP,
        Consent.Source.ONLINE,
        Consent.Source.PHONE,
        Consent.Source.SMS_REPLY,
        Consent.Source.API,
    }
]
# A partner's clock may run a little ahead of ours; an answer further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=15)


class ConsentItem(StrictInput):
    customer_number = fields.Text(max_length=32)
    purpose = fields.Choice(choices=Consent.Purpose.choices)
    channel = fields.Choice(choices=Consent.Channel.choices)
    granted = fields.Boolean(help_text=_("true: given; false: withdrawn."))
    source = fields.Choice(choices=PARTNER_SOURCES)
    recorded_at = DateTimeInput(
        required=False,
        help_text=_(
            "When the customer answered, ISO 8601 with its UTC offset; now when left out. "
            "An answer older than the one the bank holds is not applied."
        ),
    )

    def validate_recorded_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(gettext("This time has not come yet."), "future")
        return value


class ConsentBatch(Batch):
    items = ConsentItem(many=True, min_length=1, max_length=MAX_ITEMS)


class ConsentBatchResult(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("Answers the bank had none of before."))
    updated = serializers.IntegerField(help_text=_("Answers that replaced an older one."))
    unchanged = serializers.IntegerField(
        help_text=_("Answers the bank already held, or older than the one it holds.")
    )


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@extend_validation_errors(["future"], field_name="items.INDEX.recorded_at")
@extend_validation_errors(["duplicate"], field_name="items.INDEX.channel")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.customer_number")
class ConsentBulkView(FeedView):
    """Record customers' consents given or withdrawn in the app or online, all or nothing."""

    required_scope = "consents:write"

    @extend_schema(
        summary="Record customers' consents (up to 1000, all or nothing)",
        tags=["consents"],
        request=ConsentBatch,
        responses={200: ConsentBatchResult},
    )
    def post(self, request):
        batch = BatchCheck(request.data, ConsentItem)
        batch.refuse_repeats(
            lambda item: (item["customer_number"], item["purpose"], item["channel"]),
            "channel",
            gettext("Item %(index)d of this batch has the same customer, purpose and channel."),
        )
        selectors.resolve_customer_numbers(batch)
        batch.raise_if_refused()
        counts = consents_apply(batch.items)
        self.record_batch(**asdict(counts))
        return Response(ConsentBatchResult(asdict(counts)).data)


def consents_apply(items) -> Counts:
    """Record each checked item through ``consent_record``; count what changed."""
    customers = Customer.objects.in_bulk({item["customer_number"] for item in items})
    before = {
        (customer_id, purpose, channel): (granted, source, recorded_at)
        for customer_id, purpose, channel, granted, source, recorded_at in Consent.objects.filter(
            customer_id__in=customers
        ).values_list("customer_id", "purpose", "channel", "granted", "source", "recorded_at")
    }
    counts = Counts()
    for item in items:
        key = (item["customer_number"], item["purpose"], item["channel"])
        consent = services.consent_record(
            customer=customers[item["customer_number"]],
            purpose=item["purpose"],
            channel=item["channel"],
            granted=item["granted"],
            source=item["source"],
            actor=None,
            recorded_at=item.get("recorded_at"),
        )
        if key not in before:
            counts.created += 1
        elif before[key] == (consent.granted, consent.source, consent.recorded_at):
            counts.unchanged += 1
        else:
            counts.updated += 1
    return counts


class ConsentFilter(PartnerFilterSet):
    customer_number = django_filters.CharFilter(
        field_name="customer__number", label=_("Customer number")
    )

    class Meta:
        model = Consent
        fields: list[str] = []


class ConsentOutput(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number")

    class Meta:
        model = Consent
        fields = ["customer_number", "purpose", "channel", "granted", "source", "recorded_at"]


@extend_schema_view(
    list=extend_schema(
        summary="Customers' current consents (one answer per purpose and channel)",
        tags=["consents"],
    ),
)
class ConsentViewSet(PartnerAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The current answer of each customer per purpose and channel; no answer means no."""

    scope_resource = "consents"
    serializer_class = ConsentOutput
    filterset_class = ConsentFilter
    ordering_fields = ["id"]
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return Consent.objects.for_partner(self.partner).select_related("customer")
