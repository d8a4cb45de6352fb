"""Template filters of the customer list."""

from functools import cache

from django import template
from django.db import models

register = template.Library()


@cache
def _labels(model: type[models.Model], field_name: str) -> dict:
    return dict(model._meta.get_field(field_name).flatchoices)


@register.filter
def label(instance: models.Model, field_name: str):
    """The label of a coded field's value: ``{{ customer|label:"tier" }}``.

    Like ``get_tier_display``, which builds a dictionary of the field's choices at every
    call: a list page calls it hundreds of times.
    """
    value = getattr(instance, field_name)
    return _labels(type(instance), field_name).get(value, value)


@register.filter
def column_value(instance: models.Model, column):
    """The value another app's list column shows: ``{{ customer|column_value:column }}``."""
    return column.value_of(instance)


@register.filter
def filters_in_use(form) -> int:
    """How many of the list's filters (the search box aside) the request sets.

    On a phone the filters are folded away; they open by themselves when one is in use.
    """
    return sum(1 for field in form if field.name != "q" and field.data not in (None, "", []))
