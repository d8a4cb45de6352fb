"""Pieces shared by the channels API's inputs."""

from rest_framework import serializers

from crm.api.inputs import UNSTORABLE
from crm.bounds import shown

__all__ = ["UNSTORABLE", "ReferenceField", "shown"]


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
