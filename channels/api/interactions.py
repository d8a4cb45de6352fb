"""Contacts from partner systems: ``POST /api/v1/interactions/bulk``.

The call center, the mobile app, WeChat banking and core banking send up to 1,000 contacts
a call. Every item is checked before anything is written; one bad item refuses the whole
batch with each bad item's index, field and reason (``"attr": "items.3.channel"``), in the
shape of the other bulk endpoints. A good batch is one set-based insert, answered with how
many contacts were new and how many had been loaded before. An inbound SMS that is an
unsubscribe reply withdraws the customer's marketing consent by SMS in the same transaction.

Items are checked in plain Python rather than with a DRF serializer per item: at the
thousands of contacts a second this endpoint must take, a serializer per item would cost
more than the database. ``InteractionItem`` below documents the same fields for the schema.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import CharField, ChoiceField, DecimalField, Field
from rest_framework.response import Response
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from channels.api.inputs import UNSTORABLE, shown
from channels.ingest import InteractionValues, interactions_ingest
from channels.models import Channel, Interaction, Outlet, ServiceRequest
from channels.sms_replies import is_unsubscribe_reply
from crm import bounds
from crm.api import fields
from crm.api.bulk import MAX_ITEMS, Batch, BatchCheck, FeedView
from crm.api.inputs import MAX_UTC_OFFSET, UTC_OFFSET_MESSAGE, DateTimeInput, StrictInput
from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.models import Consent, Customer

SOURCE = re.compile(r"[-a-zA-Z0-9_]+")
KINDS = frozenset(Interaction.Kind.values)
DIRECTIONS = frozenset(Interaction.Direction.values)
# A partner's clock may run a little ahead of ours; a contact further ahead is a mistake.
CLOCK_SKEW = timedelta(minutes=15)
# An earlier time is a default date (such as 0001-01-01) sent by mistake, not a contact.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AMOUNT_DIGITS, AMOUNT_PLACES = bounds.AMOUNT_DIGITS, bounds.AMOUNT_PLACES


def max_length(field: str) -> int:
    return Interaction._meta.get_field(field).max_length


# Text fields: (name, maximum length, required, may be blank).
TEXT_FIELDS = (
    ("source", max_length("source"), True, False),
    ("external_id", max_length("external_id"), True, False),
    ("customer_number", Customer._meta.get_field("number").max_length, True, False),
    ("channel", Channel._meta.get_field("code").max_length, True, False),
    ("summary", max_length("summary"), False, True),
    ("outcome", max_length("outcome"), False, True),
    ("outlet", Outlet._meta.get_field("code").max_length, False, True),
    ("service_request", ServiceRequest._meta.get_field("number").max_length, False, True),
)
ITEM_FIELDS = frozenset(
    [name for name, *_rest in TEXT_FIELDS] + ["kind", "direction", "occurred_at", "amount"]
)
MISSING = object()

# DRF's own wording (and translations) for the faults its fields report.
REQUIRED = Field.default_error_messages["required"]
NULL = Field.default_error_messages["null"]
NOT_TEXT = CharField.default_error_messages["invalid"]
BLANK = CharField.default_error_messages["blank"]
TOO_LONG = CharField.default_error_messages["max_length"]
NOT_A_CHOICE = ChoiceField.default_error_messages["invalid_choice"]
NOT_A_NUMBER = DecimalField.default_error_messages["invalid"]
TOO_MANY_DIGITS = DecimalField.default_error_messages["max_digits"]
TOO_MANY_PLACES = DecimalField.default_error_messages["max_decimal_places"]
TOO_MANY_WHOLE_DIGITS = DecimalField.default_error_messages["max_whole_digits"]
BELOW_MINIMUM = DecimalField.default_error_messages["min_value"]
ABOVE_MAXIMUM = DecimalField.default_error_messages["max_value"]
NOT_A_DICT = serializers.Serializer.default_error_messages["invalid"]
NULL_CHARACTER = ProhibitNullCharactersValidator.message
SURROGATE = ProhibitSurrogateCharactersValidator.message
UNKNOWN_FIELD = StrictInput.unknown_field_message


def fault(message, code: str, **arguments) -> list[ErrorDetail]:
    text = str(message)
    return [ErrorDetail(text.format(**arguments) if arguments else text, code=code)]


class InteractionItemCheck:
    """One item's fields, checked and converted; ``faults`` maps each bad field to why."""

    __slots__ = ("faults", "values")

    def __init__(self, item, *, latest: datetime):
        self.faults: dict[str, list[ErrorDetail]] = {}
        self.values: dict = {}
        if not isinstance(item, dict):
            self.faults["non_field_errors"] = fault(
                NOT_A_DICT, "invalid", datatype=type(item).__name__
            )
            return
        for name, limit, required, blank in TEXT_FIELDS:
            self.text(item, name, limit, required=required, blank=blank)
        self.choice(item, "kind", KINDS, required=True)
        self.choice(item, "direction", DIRECTIONS, default=Interaction.Direction.INBOUND)
        self.time(item, "occurred_at", latest=latest)
        is_transaction = self.values.get("kind") == Interaction.Kind.TRANSACTION
        self.amount(item, "amount", required=is_transaction)
        for name in sorted(item.keys() - ITEM_FIELDS):
            self.faults[shown(name)] = fault(UNKNOWN_FIELD, "unknown_field")

    def text(self, item: dict, name: str, limit: int, *, required: bool, blank: bool) -> None:
        value = item.get(name, MISSING)
        if value is MISSING or value is None:
            if not required:
                self.values[name] = ""
            elif value is MISSING:
                self.faults[name] = fault(REQUIRED, "required")
            else:
                self.faults[name] = fault(NULL, "null")
            return
        if not isinstance(value, str):  # a number is a mistake in the sender's mapping
            self.faults[name] = fault(NOT_TEXT, "invalid")
            return
        value = value.strip()
        unstorable = UNSTORABLE.search(value)
        if unstorable and unstorable.group() == "\x00":
            self.faults[name] = fault(NULL_CHARACTER, "null_characters_not_allowed")
        elif unstorable:
            self.faults[name] = fault(
                SURROGATE,
                "surrogate_characters_not_allowed",
                code_point=ord(unstorable.group()),
            )
        elif not value and not blank:
            self.faults[name] = fault(BLANK, "blank")
        elif len(value) > limit:
            self.faults[name] = fault(TOO_LONG, "max_length", max_length=limit)
        elif name == "source" and not SOURCE.fullmatch(value):
            self.faults[name] = fault(
                _("Name the source system with letters, digits, hyphens and underscores."),
                "invalid",
            )
        else:
            self.values[name] = value

    def choice(self, item: dict, name: str, choices: frozenset, *, required=False, default=None):
        value = item.get(name, MISSING)
        if value is MISSING and not required:
            self.values[name] = default
        elif value is MISSING:
            self.faults[name] = fault(REQUIRED, "required")
        elif value is None:
            self.faults[name] = fault(NULL, "null")
        elif not isinstance(value, str) or value not in choices:
            self.faults[name] = fault(NOT_A_CHOICE, "invalid_choice", input=shown(value))
        else:
            self.values[name] = value

    def time(self, item: dict, name: str, *, latest: datetime) -> None:
        value = item.get(name, MISSING)
        if value is MISSING:
            self.faults[name] = fault(REQUIRED, "required")
            return
        if value is None:
            self.faults[name] = fault(NULL, "null")
            return
        moment = None
        if isinstance(value, str) and len(value) >= len("2026-01-31T09:30"):
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(value)
        if moment is None:
            self.faults[name] = fault(
                _("Give the time in ISO 8601 with its UTC offset, e.g. 2026-01-31T09:30:00+08:00."),
                "invalid",
            )
        elif moment.utcoffset() is None:
            self.faults[name] = fault(
                _("Give the time with its UTC offset (e.g. +08:00 or Z)."), "invalid"
            )
        elif abs(moment.utcoffset()) >= MAX_UTC_OFFSET:
            self.faults[name] = fault(UTC_OFFSET_MESSAGE, "invalid_utc_offset")
        elif moment > latest:
            self.faults[name] = fault(_("This time has not come yet."), "future")
        elif moment < EARLIEST:
            self.faults[name] = fault(_("This time is before 1970."), "too_early")
        else:
            self.values[name] = moment

    def amount(self, item: dict, name: str, *, required: bool) -> None:
        value = item.get(name, MISSING)
        if value is MISSING or value is None:
            if required:
                self.faults[name] = fault(_("A transaction needs its amount."), "required")
            else:
                self.values[name] = None
            return
        amount = None
        # A string only in the digits 0-9 (fields.Amount's rule): Decimal reads others too.
        plain = not isinstance(value, str) or bounds.is_plain_number(value.strip())
        if plain and not isinstance(value, bool) and isinstance(value, str | int | float):
            with contextlib.suppress(InvalidOperation):
                amount = Decimal(str(value).strip())
        if amount is None or not amount.is_finite():
            self.faults[name] = fault(NOT_A_NUMBER, "invalid")
            return
        # The digit counts as DRF's DecimalField makes them.
        _sign, digits, exponent = amount.as_tuple()
        if exponent >= 0:
            total, places = len(digits) + exponent, 0
        else:
            places = -exponent
            total = max(len(digits), places)
        if amount < 0:
            self.faults[name] = fault(BELOW_MINIMUM, "min_value", min_value=0)
        elif amount > bounds.MAX_AMOUNT:
            self.faults[name] = fault(ABOVE_MAXIMUM, "max_value", max_value=bounds.MAX_AMOUNT)
        elif total > AMOUNT_DIGITS:
            self.faults[name] = fault(TOO_MANY_DIGITS, "max_digits", max_digits=AMOUNT_DIGITS)
        elif places > AMOUNT_PLACES:
            self.faults[name] = fault(
                TOO_MANY_PLACES, "max_decimal_places", max_decimal_places=AMOUNT_PLACES
            )
        elif total - places > AMOUNT_DIGITS - AMOUNT_PLACES:
            self.faults[name] = fault(
                TOO_MANY_WHOLE_DIGITS,
                "max_whole_digits",
                max_whole_digits=AMOUNT_DIGITS - AMOUNT_PLACES,
            )
        else:
            self.values[name] = amount


class InteractionBatchCheck(BatchCheck):
    """A batch of contacts, checked item by item in plain Python; faults kept per item."""

    def __init__(self, data):
        envelope = Batch(data=data)
        envelope.is_valid(raise_exception=True)
        self.errors = {}
        self.items = []
        latest = timezone.now() + CLOCK_SKEW
        for index, item in enumerate(envelope.validated_data["items"]):
            checked = InteractionItemCheck(item, latest=latest)
            if checked.faults:
                self.errors[index] = checked.faults
                self.items.append(None)
            else:
                self.items.append(checked.values)

    def resolve_optional(self, field: str, find: Callable[[set[str]], dict], message: str):
        """Replace ``item[field]`` by what ``find`` found for it (None when not given).

        ``find`` runs once, with every reference of the batch, and only if there is one.
        """
        references = self.values(field) - {""}
        found = find(references) if references else {}
        for index, item in self.valid():
            reference = item[field]
            if not reference:
                item[field] = None
            elif reference in found:
                item[field] = found[reference]
            else:
                self.refuse(index, field, message, "does_not_exist")

    def check(self) -> None:
        """Resolve every reference in one query per kind; refuse what the bank lacks."""
        self.refuse_repeats(
            lambda item: (item["source"], item["external_id"]),
            "external_id",
            gettext("Item %(index)d of this batch has the same source and external id."),
        )
        customer_selectors.resolve_customer_numbers(self)
        self.resolve(
            "channel",
            dict(Channel.objects.filter(code__in=self.values("channel")).values_list("code", "pk")),
            gettext("This bank has no channel with this code."),
        )
        self.resolve_optional(
            "outlet",
            lambda codes: {
                code: (pk, channel_id)
                for code, pk, channel_id in Outlet.objects.filter(code__in=codes).values_list(
                    "code", "pk", "channel_id"
                )
            },
            gettext("This bank has no outlet with this code."),
        )
        self.resolve_optional(
            "service_request",
            lambda numbers: {
                number: (pk, customer_id)
                for number, pk, customer_id in ServiceRequest.objects.filter(
                    number__in=numbers
                ).values_list("number", "pk", "customer_id")
            },
            gettext("This bank has no service request with this number."),
        )
        self.refuse_mismatches()

    def refuse_mismatches(self) -> None:
        for index, item in self.valid():
            outlet, request = item["outlet"], item["service_request"]
            # Only references that were found are compared: found ones are tuples and ids.
            channel, customer = item["channel"], item["customer_number"]
            if isinstance(outlet, tuple) and isinstance(channel, int) and outlet[1] != channel:
                self.refuse(
                    index, "outlet", gettext("This outlet belongs to another channel."), "invalid"
                )
            if isinstance(request, tuple) and isinstance(customer, int) and request[1] != customer:
                self.refuse(
                    index,
                    "service_request",
                    gettext("This service request is another customer's."),
                    "invalid",
                )

    def interactions(self) -> list[InteractionValues]:
        """The batch as rows to insert; only once nothing was refused."""
        return [
            InteractionValues(
                customer_id=item["customer_number"],
                channel_id=item["channel"],
                kind=item["kind"],
                direction=item["direction"],
                occurred_at=item["occurred_at"],
                source=item["source"],
                external_id=item["external_id"],
                summary=item["summary"],
                outcome=item["outcome"],
                amount=item["amount"],
                outlet_id=item["outlet"][0] if item["outlet"] else None,
                service_request_id=(
                    item["service_request"][0] if item["service_request"] else None
                ),
            )
            for item in self.items
        ]


def sms_unsubscribes_record(items) -> None:
    """Withdraw marketing consent by SMS for each inbound SMS whose text (``summary``) is an
    unsubscribe reply (``channels.sms_replies``), in the batch's transaction: the customer is
    not texted again the same minute. A replayed batch records nothing new, and a reply older
    than a consent given since (the app, the counter) does not undo it."""
    replies = [
        item
        for item in items
        if item["direction"] == Interaction.Direction.INBOUND
        and is_unsubscribe_reply(item["summary"])
    ]
    if not replies:
        return
    sms_channels = set(
        Channel.objects.filter(
            pk__in={item["channel"] for item in replies}, kind=Channel.Kind.SMS
        ).values_list("pk", flat=True)
    )
    replies = [item for item in replies if item["channel"] in sms_channels]
    customers = Customer.objects.in_bulk({item["customer_number"] for item in replies})
    for item in sorted(replies, key=lambda item: item["occurred_at"]):
        customer_services.consent_record(
            customer=customers[item["customer_number"]],
            purpose=Consent.Purpose.MARKETING,
            channel=Consent.Channel.SMS,
            granted=False,
            source=Consent.Source.SMS_REPLY,
            actor=None,
            recorded_at=item["occurred_at"],
        )


class InteractionItem(StrictInput):
    """One contact (for the schema; ``InteractionItemCheck`` applies the same rules)."""

    source = fields.Slug(
        max_length=max_length("source"),
        help_text=_("The partner system, e.g. call_center, mobile_app, wechat, core_banking."),
    )
    external_id = fields.Text(
        max_length=max_length("external_id"),
        help_text=_("The contact's id in the source system; a replay of it is skipped."),
    )
    customer_number = fields.Text(max_length=32)
    channel = fields.Text(help_text=_("Code of one of the bank's channels."))
    kind = fields.Choice(choices=Interaction.Kind.choices)
    direction = fields.Choice(
        choices=Interaction.Direction.choices, default=Interaction.Direction.INBOUND
    )
    occurred_at = DateTimeInput(help_text=_("ISO 8601 with its UTC offset."))
    summary = fields.Text(
        max_length=max_length("summary"),
        required=False,
        help_text=_(
            "For an inbound SMS, its text: an unsubscribe reply (T, TD, 退订, 回T退订...) "
            "withdraws the customer's consent to marketing by SMS."
        ),
    )
    outcome = fields.Text(max_length=max_length("outcome"), required=False)
    amount = fields.Amount(
        required=False,
        allow_null=True,
        help_text=_("CNY; required for a transaction."),
    )
    outlet = fields.Text(
        required=False, allow_blank=True, help_text=_("Code of the outlet, if any.")
    )
    service_request = fields.Text(
        required=False,
        allow_blank=True,
        help_text=_("Number of the service request the contact belongs to, if any."),
    )


class InteractionBatch(Batch):
    items = InteractionItem(many=True, min_length=1, max_length=MAX_ITEMS)


class IngestResult(serializers.Serializer):
    created = serializers.IntegerField(help_text=_("Contacts recorded by this call."))
    duplicates = serializers.IntegerField(
        help_text=_("Contacts of the batch recorded before (same source and external id).")
    )


# Refusals of items beyond what InteractionItem's fields say: InteractionItemCheck's own
# rules, and references the bank does not have.
@extend_validation_errors(["future", "too_early"], field_name="items.INDEX.occurred_at")
@extend_validation_errors(["required"], field_name="items.INDEX.amount")
@extend_validation_errors(["duplicate"], field_name="items.INDEX.external_id")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.customer_number")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.channel")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.outlet")
@extend_validation_errors(["does_not_exist"], field_name="items.INDEX.service_request")
class InteractionBulkView(FeedView):
    """Record contacts from partner systems, all or nothing; replays are skipped."""

    required_scope = "interactions:write"

    @extend_schema(
        summary="Load customers' contacts from a channel (up to 1000, all or nothing)",
        tags=["interactions"],
        request=InteractionBatch,
        responses={200: IngestResult},
    )
    def post(self, request):
        batch = InteractionBatchCheck(request.data)
        batch.check()
        batch.raise_if_refused()
        counts = interactions_ingest(interactions=batch.interactions())
        sms_unsubscribes_record(batch.items)
        self.record_batch(created=counts.created, unchanged=counts.duplicates)
        return Response(IngestResult(asdict(counts)).data)
