"""The base of the partner API's filters: a parameter given is a parameter used."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.filters import OrderingFilter

BOOLEANS = frozenset({"true", "false"})


class PartnerFilterSet(django_filters.FilterSet):
    """Refuse a filter parameter that is given without a value the filter can use.

    django-filter takes ``updated_since=`` (empty) or ``is_active=maybe`` as "no filter", so
    a partner's sync with a lost timestamp would silently fetch everything. Here an empty
    value is refused (``blank``) and a yes/no filter takes only ``true`` or ``false``
    (``invalid``), each with the parameter's name, as every other bad value.
    """

    blank_message = _("Give a value, or leave the parameter out.")
    boolean_message = _("Give true or false.")

    @property
    def form(self) -> forms.Form:
        fresh = not hasattr(self, "_form")
        built: forms.Form = super().form
        if fresh:
            # Declared as the fields' own messages, so that the OpenAPI schema lists the
            # codes among each parameter's errors.
            for name, field in built.fields.items():
                extra: dict[str, Any] = {"blank": self.blank_message}
                if isinstance(self.filters.get(name), django_filters.BooleanFilter):
                    extra["invalid"] = self.boolean_message
                field.error_messages = {**field.error_messages, **extra}
        return built

    def is_valid(self) -> bool:
        super().is_valid()
        if self.is_bound:
            for name, filter_ in self.filters.items():
                fault = self._fault(name, filter_)
                if fault is not None and name not in self.form.errors:
                    self.form.add_error(name, fault)
        return self.is_bound and not self.form.errors

    def _fault(self, name: str, filter_: django_filters.Filter) -> ValidationError | None:
        data = self.data or {}
        if name not in data:
            return None
        given = data.get(name)
        if given is None or str(given).strip() == "":
            return ValidationError(self.blank_message, code="blank")
        if isinstance(filter_, django_filters.BooleanFilter) and str(given).lower() not in BOOLEANS:
            return ValidationError(self.boolean_message, code="invalid")
        return None


class PartnerOrderingFilter(OrderingFilter):
    """Order a list by one of the view's ``ordering_fields``, or refuse the parameter.

    DRF's filter drops an ordering it does not know and answers in the default order, so a
    partner asking for ``-updated_at`` would page through the list in another order than it
    believes. Here an unknown, empty or repeated ordering is a 400 naming the parameter, and
    the schema lists the orderings there are.
    """

    invalid_message = _("Order by one of: %(orderings)s.")

    def orderings(self, view: Any) -> list[str]:
        fields = [
            name for name in getattr(view, "ordering_fields", None) or [] if name != "__all__"
        ]
        return [order for name in fields for order in (name, f"-{name}")]

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        given = request.query_params.get(self.ordering_param)
        if given is not None:
            allowed = self.orderings(view)
            if given not in allowed:
                message = str(self.invalid_message) % {"orderings": ", ".join(allowed)}
                raise APIValidationError(
                    {self.ordering_param: [ErrorDetail(message, code="invalid")]}
                )
        return super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.ordering_param:
                parameter["schema"] = {"type": "string", "enum": self.orderings(view)}
        return parameters
