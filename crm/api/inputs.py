"""Pieces shared by the API's input serializers."""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import get_error_detail

_R = TypeVar("_R")


class StrictInput(serializers.Serializer[Any]):
    """Refuse fields the endpoint does not take, so that a misspelt field is not ignored."""

    unknown_field_message = _("Unknown or read-only field.")
    #: JSON Schema keywords the OpenAPI schema adds to this input's object (crm.api.schema),
    #: for rules its fields cannot state, e.g. ``{"minProperties": 1}``.
    schema_constraints: ClassVar[dict[str, Any]] = {}
    #: JSON Schema keywords added to some fields' schemas, by field name.
    schema_properties: ClassVar[dict[str, dict[str, Any]]] = {}

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors: dict[str, Any] = {
            name: [ErrorDetail(str(self.unknown_field_message), code="unknown_field")]
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
