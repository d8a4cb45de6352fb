"""Pieces shared by the API's input serializers."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import get_error_detail

from crm import bounds
from crm.api import fields

_R = TypeVar("_R")


class StrictInput(serializers.Serializer[Any]):
    """Refuse fields the endpoint does not take, so that a misspelt field is not ignored.

    A model serializer built on it makes its fields of ``crm.api.fields``, which refuse
    what no bank would send (numbers as text, amounts and dates out of bounds, ids that are
    not whole numbers).
    """

    unknown_field_message = _("Unknown or read-only field.")
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
            bounds.shown(name): [ErrorDetail(str(self.unknown_field_message), code="unknown_field")]
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
