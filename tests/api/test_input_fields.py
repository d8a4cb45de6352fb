"""Every input of the partner API is made of the shared fields (crm.api.fields), so that no
endpoint forgets what no bank would send: a new serializer with a bare DRF field fails here."""

import inspect

from django.urls import get_resolver
from rest_framework import serializers

from channels.api.inputs import ReferenceField
from crm.api import fields
from crm.api.inputs import StrictInput
from customers.api.customers import RelationshipManagerField

# Fields that are not crm.api.fields', and why they may be.
ALSO_ALLOWED = (
    serializers.ListSerializer,  # a batch's items: each item is a StrictInput, walked too
    serializers.ListField,  # the envelope of a batch, its items checked one by one
    # Interactions are checked in plain Python (InteractionItemCheck); the DRF serializer
    # only documents them, and the time's bounds are that check's.
    serializers.DateTimeField,
    ReferenceField,  # a code or number: strings only, echoes nothing
    RelationshipManagerField,  # a staff id or a username, echoes nothing
)
SHARED = tuple(
    member
    for _name, member in inspect.getmembers(fields, inspect.isclass)
    if issubclass(member, serializers.Field) and member.__module__ == fields.__name__
)


def every_input() -> set[type]:
    get_resolver().url_patterns  # noqa: B018 (imports every API module)
    found: set[type] = set()
    waiting = [StrictInput]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found.add(subclass)
            waiting.append(subclass)
    return found


def test_every_api_input_is_made_of_the_shared_fields():
    inputs = {each for each in every_input() if not each.__module__.startswith("tests.")}
    assert len(inputs) >= 10  # the walk found the API's inputs
    bare = {
        f"{serializer.__module__}.{serializer.__name__}.{name}: {type(field).__name__}"
        for serializer in inputs
        for name, field in serializer().fields.items()
        if not isinstance(field, SHARED + ALSO_ALLOWED)
    }
    assert bare == set()


def test_the_walk_would_notice_a_bare_field():
    class Careless(StrictInput):
        account_number = serializers.CharField()

    assert not isinstance(Careless().fields["account_number"], SHARED + ALSO_ALLOWED)
    assert Careless in every_input()
