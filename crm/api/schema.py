"""The partner API's OpenAPI schema, made to say what the server enforces.

drf-spectacular and drf-standardized-errors describe most of the API from its serializers
and filters; what they leave out or get wrong is added here, so that a client generated
from the schema (and schemathesis, in ``tests/api/test_api_fuzz.py``) meets the server's
real rules:

- inputs that refuse unknown fields (``StrictInput``) say ``additionalProperties: false``,
  and an unknown field's error is in the error shape;
- a text input that may not be blank says ``minLength: 1``; a bulk request's ``items``
  says ``minItems``/``maxItems``; an amount that may not be negative has no minus sign in
  its pattern, and its whole digits are bounded by its maximum;
- the errors of bulk items name their field as ``items.<index>.<field>`` (a pattern, not
  the placeholder drf-standardized-errors writes), and the batch itself as ``items``;
- a refusal by a service (``DomainError``) has the code ``invalid`` on any field;
- a filter parameter given empty is refused (``blank``), as is a bad ``page_size``;
- 409 answers have the error shape, and every call with a body may answer 413.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django import forms
from django_filters import filters as django_filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import force_instance, is_list_serializer
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ValidationErrorEnum
from drf_standardized_errors.openapi_utils import get_serializer_field_error_codes
from drf_standardized_errors.settings import package_settings
from rest_framework import serializers
from rest_framework.settings import api_settings

from crm.api.inputs import StrictInput

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
    from drf_standardized_errors.openapi_utils import InputDataField

#: Stands for the index of an item in an error's ``attr`` until the schema is finished.
INDEX: str = package_settings.LIST_INDEX_IN_API_SCHEMA
#: Stands for the name of a field an input does not take (any text).
UNKNOWN_FIELD = "UNKNOWN_FIELD"
SEPARATOR: str = package_settings.NESTED_FIELD_SEPARATOR
NON_FIELD_ERRORS: str = api_settings.NON_FIELD_ERRORS_KEY
# Text of any kind, newlines included (ECMA regular expressions: "." stops at a newline).
ANY_TEXT = r"[\s\S]*"
WHOLE_INDEX = r"(0|[1-9][0-9]*)"
BODY_METHODS = ("POST", "PUT", "PATCH")
# Text without NUL (PostgreSQL stores none; Django refuses it), and such text with at least
# one character that is not a space.
NO_NUL = r"^[^\u0000]*$"
# Python's whitespace (str.strip, which trims inputs), not ECMA's \s: it has \u001c-\u001f
# and \u0085 but not \ufeff.
SPACE = r"\t\n\u000b\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = rf"^[^\u0000]*[^{SPACE}\u0000][^\u0000]*$"
# A time's UTC offset as PostgreSQL's timestamptz stores it: below ±16:00 (crm.api.inputs).
STORABLE_OFFSET = r"([Zz]|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)$"


def is_free_text(schema: dict[str, Any]) -> bool:
    """A plain string schema: no choices, format or pattern of its own."""
    return schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema)


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "crm.api.authentication.PartnerTokenAuthentication"
    name = "partnerOAuth2"

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> dict[str, Any]:
        from crm.api.scopes import SCOPES

        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/o/token/",
                    "scopes": {name: str(label) for name, label in SCOPES.items()},
                }
            },
        }


class PartnerFilterExtension(DjangoFilterExtension):
    """Filter parameters as ``crm.api.filters.PartnerFilterSet`` takes them."""

    priority = 1  # before drf-spectacular's own extension for the same backend

    def resolve_filter_field(
        self,
        auto_schema: SpectacularAutoSchema,
        model: Any,
        filterset_class: Any,
        field_name: str,
        filter_field: Any,
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        for parameter in parameters:
            schema = parameter["schema"]
            if isinstance(filter_field, django_filters.NumberFilter):
                form_field = filter_field.field
                fractional = isinstance(form_field, forms.DecimalField | forms.FloatField)
                if isinstance(form_field, forms.IntegerField) and not fractional:
                    schema["type"] = "integer"  # a whole number: 1.5 is refused
                elif not schema.get("type"):  # a filter method without a type hint
                    schema["type"] = "number"
                for validator in filter_field.field.validators:
                    limit = getattr(validator, "limit_value", None)
                    if isinstance(limit, float):
                        # django-filter's default 1e50 is a float, which the server compares
                        # exactly: 10**50 + 1 passes. State the float's exact value.
                        limit = int(limit)
                    code = getattr(validator, "code", None)
                    # The strictest of each: django-filter adds its own maximum to the field's.
                    if code == "min_value" and limit is not None:
                        schema["minimum"] = max(limit, schema.get("minimum", limit))
                    elif code == "max_value" and limit is not None:
                        schema["maximum"] = min(limit, schema.get("maximum", limit))
            if schema.get("type") == "string" and "enum" not in schema:
                # Given empty or blank, a filter is refused (PartnerFilterSet); NUL too; a
                # time's format gets its pattern in PartnerAutoSchema._get_parameters.
                schema["minLength"] = 1
                if "format" not in schema:
                    schema.setdefault("pattern", NOT_BLANK)
        return parameters


class PartnerAutoSchema(AutoSchema):
    """drf-standardized-errors' schema, with what the server enforces beyond it."""

    # --- inputs -----------------------------------------------------------------------

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        serializer = force_instance(serializer)
        if direction == "request":
            properties = schema.get("properties", {})
            for name, field in serializer.fields.items():
                blank_text = isinstance(field, serializers.CharField) and field.allow_blank
                if blank_text and is_free_text(properties.get(name, {})):
                    properties[name]["pattern"] = NO_NUL
        if isinstance(serializer, StrictInput):
            schema["additionalProperties"] = False
            schema.update(serializer.schema_constraints)
            for name, keywords in serializer.schema_properties.items():
                if name in schema.get("properties", {}):
                    schema["properties"][name].update(keywords)
            if not vars(type(serializer)).get("__doc__"):
                # Not StrictInput's own docstring, which says nothing about this input.
                schema.pop("description", None)
        return schema

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any] | None:
        schema: dict[str, Any] | None = super()._map_serializer_field(
            field, direction, bypass_extensions
        )
        if schema is None or direction != "request":
            return schema
        if is_list_serializer(field) and schema.get("type") == "array":
            fewest, most = getattr(field, "min_length", None), getattr(field, "max_length", None)
            if fewest is not None:
                schema["minItems"] = fewest
            if most is not None:
                schema["maxItems"] = most
        refuses_blank = (
            isinstance(field, serializers.CharField) and not field.allow_blank
        ) or isinstance(field, serializers.RelatedField)  # "" is taken as null
        if refuses_blank and is_free_text(schema):
            # Django refuses NUL in any text (ProhibitNullCharactersValidator), and a text
            # that may not be blank may not be only spaces either (it is trimmed first).
            # Text that may be blank gets NO_NUL in _map_basic_serializer, once
            # drf-spectacular has made its choice between a pattern and a blank.
            schema["pattern"] = NOT_BLANK
            schema["minLength"] = max(schema.get("minLength", 0), 1)
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema = decimal_input_schema(field, schema)
        if schema.get("format") == "date-time":
            schema.setdefault("pattern", STORABLE_OFFSET)
        return schema

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("in") != "query":
                continue
            if schema.get("format") == "date-time":
                schema.setdefault("pattern", STORABLE_OFFSET)
            elif is_free_text(schema):  # cursor, ordering: any call refuses a NUL in its query
                schema["pattern"] = NO_NUL
        return parameters

    # --- errors -----------------------------------------------------------------------

    def _should_add_validation_error_response(self) -> bool:
        return True  # the query string of any call is checked (see below)

    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code == "413":
            return self.method in BODY_METHODS and status_code not in responses
        should: bool = super()._should_add_error_response(responses, status_code)
        return should

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction=direction)
        conflict = responses.get("409")
        if direction == "response" and conflict is not None and "content" not in conflict:
            # Declared with a description only; the answer has the error shape.
            shaped = self._get_response_for_code(ErrorResponse409Serializer, "409")
            responses["409"] = {**shaped, "description": conflict.get("description", "")}
        return responses

    def _get_validation_error_codes_by_field(
        self, data_fields: list[InputDataField]
    ) -> dict[str, set[str]]:
        codes: dict[str, set[str]] = super()._get_validation_error_codes_by_field(data_fields)
        # Any call's query string is checked for NUL characters (crm.api.inputs), the error
        # naming the parameter, whatever its name: known to the operation or not.
        codes.setdefault(UNKNOWN_FIELD, set()).add("null_characters_not_allowed")
        if self.method in BODY_METHODS:
            request = force_instance(self.get_request_serializer())
            if isinstance(request, serializers.Serializer):
                self._add_body_error_codes(codes, request, prefix="")
        elif self._is_list_view():
            paginator = self._get_paginator()
            name = getattr(paginator, "page_size_query_param", None)
            if name:
                codes[name] = {"invalid"}
            if getattr(self.view, "ordering_fields", None):
                codes["ordering"] = {"invalid"}
        return codes

    def _add_body_error_codes(
        self, codes: dict[str, set[str]], serializer: serializers.Serializer[Any], prefix: str
    ) -> None:
        from crm.api.bulk import Batch

        # A service's refusal (crm.domain.as_api_error) may name any input, code "invalid".
        for name in serializer.fields:
            codes.setdefault(f"{prefix}{name}", set()).add("invalid")
        codes.setdefault(f"{prefix}{NON_FIELD_ERRORS}", set()).add("invalid")
        if isinstance(serializer, StrictInput):
            # One entry for the unknown fields of the body and of its items alike: their
            # names are any text, so two patterns could not tell them apart.
            codes.setdefault(UNKNOWN_FIELD, set()).add("unknown_field")
        if isinstance(serializer, Batch) and not prefix:
            # The batch is first checked as Batch, a plain list: its errors name "items".
            codes.pop(f"items{SEPARATOR}{NON_FIELD_ERRORS}", None)
            codes["items"] = get_serializer_field_error_codes(Batch().fields["items"], "items")
        for list_name, list_field in serializer.fields.items():
            child = getattr(list_field, "child", None)
            if is_list_serializer(list_field) and isinstance(child, serializers.Serializer):
                inner = f"{prefix}{list_name}{SEPARATOR}{INDEX}{SEPARATOR}"
                self._add_body_error_codes(codes, child, prefix=inner)


def decimal_input_schema(field: serializers.DecimalField, schema: dict[str, Any]) -> dict[str, Any]:
    """An amount as DRF's DecimalField takes it: text (as it answers) or a JSON number."""
    meta_keys = ("title", "description", "nullable", "default", "readOnly", "writeOnly")
    meta = {key: schema.pop(key) for key in meta_keys if key in schema}
    text = {**schema, "pattern": decimal_pattern(field)}
    number: dict[str, Any] = {"type": "number"}
    whole = (field.max_digits or 30) - (field.decimal_places or 0)
    if field.min_value is not None:
        number["minimum"] = field.min_value
    else:
        number.update(minimum=-(10**whole), exclusiveMinimum=True)
    if field.max_value is not None:
        number["maximum"] = field.max_value
    else:
        number.update(maximum=10**whole, exclusiveMaximum=True)
    return {"oneOf": [text, number], **meta}


def decimal_pattern(field: serializers.DecimalField) -> str:
    """A decimal's text as the field takes it: a sign only if it may be negative, no more
    whole digits than its maximum has, and at least one digit."""
    places = field.decimal_places or 0
    whole = (field.max_digits or 30) - places
    maximum = field.max_value
    if maximum is not None and Decimal(maximum) >= 1:
        whole = min(whole, len(str(int(Decimal(maximum)))))
    minimum = field.min_value
    sign = "" if minimum is not None and Decimal(minimum) >= 0 else "-?"
    if places:
        number = rf"(\d{{1,{whole}}}(\.\d{{0,{places}}})?|\.\d{{1,{places}}})"
    else:
        number = rf"\d{{1,{whole}}}"
    return rf"^{sign}{number}$"


class Error409Serializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(choices=[("duplicate", "duplicate")])
    detail = serializers.CharField()
    attr = serializers.CharField(help_text="The input that clashes with existing data.")


class ErrorResponse409Serializer(serializers.Serializer[Any]):
    """The input clashes with data the bank already has (crm.api.inputs.Conflict)."""

    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    # A field named like Serializer.errors: this serializer only describes, never validates.
    errors = Error409Serializer(many=True)  # type: ignore[assignment]


class Error413Serializer(serializers.Serializer[Any]):
    # crm.request_size answers it (issue 13), before any view runs.
    code = serializers.ChoiceField(choices=[("request_too_large", "request_too_large")])
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse413Serializer(serializers.Serializer[Any]):
    """The request's body is larger than the server takes."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error413Serializer(many=True)  # type: ignore[assignment]  # as above


def placeholder_pattern(attr: str) -> str | None:
    """The pattern for an error's ``attr`` holding placeholders; None if it has none."""
    parts = attr.split(SEPARATOR)
    if INDEX not in parts and UNKNOWN_FIELD not in parts:
        return None
    pieces = []
    for part in parts:
        if part == INDEX:
            pieces.append(WHOLE_INDEX)
        elif part == UNKNOWN_FIELD:
            pieces.append(ANY_TEXT)
        else:
            pieces.append(re.escape(part))
    return "^" + re.escape(SEPARATOR).join(pieces) + "$"


def postprocess_error_attrs(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Turn the placeholders in validation errors' ``attr`` into patterns.

    ``items.INDEX.balance`` becomes ``^items\\.(0|[1-9][0-9]*)\\.balance$``; the name of a
    field an input does not take (or of a query parameter with a NUL) any text. An error
    list then says each error is ``anyOf`` its shapes, without the ``attr`` discriminator:
    a pattern maps to no exact value, and an unknown name may look like a known one.
    """
    schemas = result.get("components", {}).get("schemas", {})
    patterned = set()
    for name, schema in schemas.items():
        attr = schema.get("properties", {}).get("attr")
        if not attr or len(attr.get("enum", [])) != 1:
            continue
        pattern = placeholder_pattern(attr["enum"][0])
        if pattern is not None:
            shown = attr.pop("enum")[0].split(SEPARATOR)
            shown = [{INDEX: "<index>", UNKNOWN_FIELD: "<any name>"}.get(p, p) for p in shown]
            attr["type"] = "string"
            attr["pattern"] = pattern
            attr["description"] = SEPARATOR.join(shown)
            patterned.add(f"#/components/schemas/{name}")
    for schema in schemas.values():
        shapes = [choice.get("$ref", "") for choice in schema.get("oneOf", [])]
        if patterned & set(shapes):
            schema["anyOf"] = schema.pop("oneOf")
            schema.pop("discriminator", None)
    return result
