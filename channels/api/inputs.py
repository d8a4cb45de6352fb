"""Pieces shared by the channels API's inputs."""

import re

from rest_framework import serializers

from crm import bounds

# PostgreSQL stores no NUL character and UTF-8 has no lone surrogate: either would fail in
# the database or in the answer rather than as a fault of the input.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def shown(value) -> str:
    """``value`` as it may be echoed in an answer: storable, and not whole if long."""
    return bounds.shown(value)


class ReferenceField(serializers.SlugRelatedField):
    """One of the bank's objects by its code or number, given as a JSON string; another
    bank's is not found."""

    def __init__(self, slug_field: str, queryset, message, **kwargs):
        kwargs["error_messages"] = {"does_not_exist": message, "invalid": message}
        super().__init__(slug_field=slug_field, queryset=queryset, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if UNSTORABLE.search(str(data)):
            self.fail("invalid")
        return super().to_internal_value(data)
