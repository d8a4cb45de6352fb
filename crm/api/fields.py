"""The fields every input serializer of the API is made of, so that no endpoint can forget
what no bank would send (the bounds are ``crm.bounds``'s):

- ``Text``/``Slug``: a JSON string only; a number sent for an account number (``1.5``) is
  a mistake in the sender's mapping, not an identifier.
- ``Amount``/``CustomerTotal``: written with the digits 0-9 (no full-width or
  Arabic-Indic digits, no exponents), never negative, at most ``MAX_AMOUNT`` (one balance
  or payment) or ``MAX_CUSTOMER_TOTAL`` (one customer's figures); ``Income``: either
  sign, within ±``MAX_MONTHLY_INCOME`` (a customer's income of one kind in a month).
- ``Date``/``Month``: written with the digits 0-9, from 1900 on, not after today for what
  has happened (``past=True``), else not more than a year ahead.
- ``Choice``: repeats at most ``ECHO_LIMIT`` characters of a refused value.
- ``IdRelated``/``IdFilter``: a whole number within bigint, never ``1.5`` (which the
  database would round to 1).

``StrictInput`` makes model serializers build their fields from these too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm import bounds


class _StringsOnly:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class Text(_StringsOnly, serializers.CharField):
    """Text given as a JSON string; numbers are refused, not turned into text."""


class Slug(_StringsOnly, serializers.SlugField):
    """A name of letters, digits, hyphens and underscores, given as a JSON string."""


class Boolean(serializers.BooleanField):
    """JSON true or false; the strings and numbers DRF would also read ("yes", 0) are refused:
    a partner sending them has misread the schema, and guessing could record a "no" as given."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=bounds.shown(data))
        return data


class Amount(serializers.DecimalField):
    """An amount in CNY: 0 to ``MAX_AMOUNT``, two decimals, digits 0-9 only."""

    largest = bounds.MAX_AMOUNT
    digits = bounds.AMOUNT_DIGITS

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", self.digits)
        kwargs.setdefault("decimal_places", bounds.AMOUNT_PLACES)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", self.largest)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        if isinstance(data, str):
            text = data.strip()
            if len(text) > self.MAX_STRING_LENGTH:
                self.fail("max_string_length")
            if not bounds.is_plain_number(text):
                self.fail("invalid")
        return super().to_internal_value(data)


class CustomerTotal(Amount):
    """A total of one customer's balances in CNY: 0 to ``MAX_CUSTOMER_TOTAL``."""

    largest = bounds.MAX_CUSTOMER_TOTAL
    digits = bounds.CUSTOMER_TOTAL_DIGITS


class Income(Amount):
    """A customer's income of one kind in one month, in CNY: a loss or a refund makes it
    negative; within ±``MAX_MONTHLY_INCOME``."""

    largest = bounds.MAX_MONTHLY_INCOME

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -self.largest)
        super().__init__(**kwargs)


DATE_ERRORS: dict[str, StrOrPromise] = {
    "too_early": _("Give a date from 1900-01-01 on."),
    "future": _("This date has not come yet."),
    "too_late": _("Give a date no later than {latest}."),
}


def check_date(field: serializers.Field[Any, Any, Any, Any], value: date, *, past: bool) -> date:
    """Refuse ``value`` outside ``crm.bounds``'s range through ``field``."""
    if value < bounds.EARLIEST_DATE:
        field.fail("too_early")
    if past and value > bounds.today():
        field.fail("future")
    latest = bounds.latest_planned_date()
    if value > latest:
        field.fail("too_late", latest=latest.isoformat())
    return value


class Date(serializers.DateField):
    """A date as YYYY-MM-DD in the digits 0-9, from 1900 on; ``past``: not after today.

    ``ruled`` leaves the range to a service whose rule says it in its own words for every
    way in (a birth date: ``customers.rules``).
    """

    default_error_messages = DATE_ERRORS

    def __init__(self, *, past: bool = False, ruled: bool = False, **kwargs: Any) -> None:
        self.past = past
        self.ruled = ruled
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        if isinstance(value, str) and not bounds.is_plain_date(value):
            self.fail("invalid", format="YYYY-MM-DD")
        given: date = super().to_internal_value(value)
        return given if self.ruled else check_date(self, given, past=self.past)


@extend_schema_field({"type": "string", "example": "2026-01"})
class Month(serializers.Field[date, Any, str, Any]):
    """A month as YYYY-MM (or its first day), from 1900 to the current month."""

    default_error_messages = {
        **DATE_ERRORS,
        "invalid": _("Give the month as YYYY-MM or as its first day, YYYY-MM-01."),
        "future": _("This month has not come yet."),
    }

    def to_internal_value(self, data: Any) -> date:
        month = None
        if isinstance(data, str) and len(data) in (7, 10) and bounds.is_plain_date(data):
            try:
                month = date.fromisoformat(data if len(data) == 10 else f"{data}-01")
            except ValueError:
                month = None
        if month is None or month.day != 1:
            self.fail("invalid")
        return check_date(self, month, past=True)

    def to_representation(self, value: date) -> str:
        return value.strftime("%Y-%m")


class Choice(serializers.ChoiceField):
    """One of the choices; a refusal repeats at most ``ECHO_LIMIT`` characters of the input."""

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            self.fail("invalid_choice", input=bounds.shown(data))


class IdRelated(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """An object by its id: a whole number (a JSON integer or a string of digits 0-9)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) <= 19:
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= bounds.MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class _WholeNumber(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and not bounds.is_plain_date(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """A query parameter naming an object by id: a whole number within bigint."""

    # A whole number instead of NumberFilter's decimal, which the database would round.
    field_class = _WholeNumber  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", bounds.MAX_ID)
        super().__init__(*args, **kwargs)
