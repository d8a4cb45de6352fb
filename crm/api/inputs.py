"""Pieces shared by the API's inputs: serializers, their fields and the list filters."""

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.request import Request

from crm.api import fields
from crm.bounds import shown  # what of a refused input an error message may repeat

_R = TypeVar("_R")

# PostgreSQL stores no NUL character and UTF-8 has no lone surrogate: either would fail in
# the database or in the answer rather than as a fault of the input. The JSON parser
# (crm.api.parsers) refuses them in every body; this is for what it does not see.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NULL_CHARACTER = ProhibitNullCharactersValidator.message


def refuse_unstorable_query(request: Request) -> None:
    """Refuse a query string with a NUL in it, naming the parameter (the body's characters
    are checked by the JSON parser). Lone surrogates cannot come this way: Django decodes
    the query string with replacement characters."""
    faults = {
        shown(name): [ErrorDetail(str(NULL_CHARACTER), code="null_characters_not_allowed")]
        for name, values in request.query_params.lists()
        if UNSTORABLE.search(name) or any(UNSTORABLE.search(value) for value in values)
    }
    if faults:
        raise ValidationError(faults)


def refuse_unstorable_credentials(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Answer 400 (``invalid_request``, as OAuth2 answers) for a NUL in the form or the Basic
    credentials of a token request: the client id is looked up as given, and PostgreSQL
    refuses a NUL in the query (a 500)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        given = [request.META.get("QUERY_STRING", "")]
        given += [text for name, values in request.POST.lists() for text in (name, *values)]
        scheme, _space, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True)
            except binascii.Error:
                decoded = b""  # oauthlib refuses it as it is
            given.append(unquote(decoded.decode("utf-8", "replace")))
        if any(UNSTORABLE.search(text) for text in given):
            return JsonResponse(
                {"error": "invalid_request", "error_description": str(NULL_CHARACTER)},
                status=400,
            )
        return view(request, *args, **kwargs)

    return checked


# Python takes UTC offsets up to ±23:59, PostgreSQL's timestamptz only below ±16:00: a time
# at "+16:00" passed every check and then failed in the database (a 500).
MAX_UTC_OFFSET = timedelta(hours=16)
UTC_OFFSET_MESSAGE = _("Give a UTC offset between -15:59 and +15:59.")


def validate_utc_offset(value: datetime) -> None:
    """Refuse a time whose UTC offset the database cannot store."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) >= MAX_UTC_OFFSET:
        raise DjangoValidationError(UTC_OFFSET_MESSAGE, code="invalid_utc_offset")


class DateTimeInput(serializers.DateTimeField):
    """A time in ISO 8601; every input serializer takes times through this field.

    DRF moves a time to the bank's time zone before validators see it, so the offset the
    partner gave is checked here, on the text as sent.
    """

    default_error_messages = {"invalid_utc_offset": UTC_OFFSET_MESSAGE}

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                given = parse_datetime(value.strip())
            except ValueError:
                given = None  # DRF's own message says what is wrong with it
            if given is not None:
                try:
                    validate_utc_offset(given)
                except DjangoValidationError:
                    self.fail("invalid_utc_offset")
        return super().to_internal_value(value)


class _IsoDateTimeInput(IsoDateTimeField):
    default_validators = [validate_utc_offset]
    # Listed so that the schema names the code among the filter's refusals.
    default_error_messages = {"invalid_utc_offset": UTC_OFFSET_MESSAGE}


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """A list filter on a time in ISO 8601; every filter set takes times through this one."""

    field_class = _IsoDateTimeInput


class StrictInput(serializers.Serializer[Any]):
    """Refuse fields the endpoint does not take, so that a misspelt field is not ignored.

    A model serializer built on it makes its fields of ``crm.api.fields``, which refuse
    what no bank would send (numbers as text, amounts and dates out of bounds, ids that are
    not whole numbers).
    """

    unknown_field_message = _("Unknown or read-only field.")
    #: JSON Schema keywords the OpenAPI schema adds to this input's object (crm.api.schema),
    #: for rules its fields cannot state, e.g. ``{"minProperties": 1}``.
    schema_constraints: ClassVar[dict[str, Any]] = {}
    #: JSON Schema keywords added to some fields' schemas, by field name.
    schema_properties: ClassVar[dict[str, dict[str, Any]]] = {}
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: fields.Text,
        models.TextField: fields.Text,
        models.SlugField: fields.Slug,
        models.DateField: fields.Date,
        models.DecimalField: fields.Amount,
    }
    serializer_related_field = fields.IdRelated
    serializer_choice_field = fields.Choice

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors: dict[str, Any] = {
            # The name is the error's attr: a 100 KB key is not repeated whole.
            shown(name): [ErrorDetail(str(self.unknown_field_message), code="unknown_field")]
            for name in unknown
        }
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if not isinstance(exc.detail, Mapping):
                raise
            errors = {**exc.detail, **errors}
        if errors:
            raise ValidationError(errors)
        return value


def run_validator(
    validator: Callable[..., _R], *args: Any, field: str | None = None, **kwargs: Any
) -> _R:
    """Run a validator (one of ``customers.validators``, say); its errors become DRF's.

    ``field`` names the input the error is about; leave it out in a ``validate_<field>``
    method, where DRF adds it.
    """
    try:
        return validator(*args, **kwargs)
    except DjangoValidationError as exc:
        detail = get_error_detail(exc)
        if field is not None and not isinstance(detail, Mapping):
            detail = {field: detail}
        raise ValidationError(detail) from exc


class Conflict(ValidationError):
    """A validation error that is a clash with existing data: answered 409, not 400."""

    status_code = 409
    default_code = "duplicate"

    def __init__(self, field: str, message: str) -> None:
        super().__init__({field: [ErrorDetail(message, code="duplicate")]})
