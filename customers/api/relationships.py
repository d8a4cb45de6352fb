"""Relationships between customers for partner systems: ``/api/v1/relationships/``.

The same rules as the customer page (``customers.rules``, through the same services): a
relationship is added, corrected (its kind, its note) or ended (``ended_on``), never
deleted. A partner acts for the whole bank. Refusals come back in the API's error shape,
naming the field; a relationship already recorded is a conflict (409).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from crm.api import fields
from crm.api.answers import WriteAnswer, write_context
from crm.api.filters import PartnerFilterSet
from crm.api.inputs import Conflict, StrictInput
from crm.api.views import PartnerAPIMixin
from crm.domain import DomainError, as_api_error
from customers import services
from customers.models import Customer, CustomerRelationship
from customers.rules import RelationshipExists

# Service arguments by the names partners send.
INPUTS = {"from_customer": "from_customer_number", "to_customer": "to_customer_number"}


class RelationshipFilter(PartnerFilterSet):
    customer_number = django_filters.CharFilter(
        method="filter_customer_number", label=_("Customer number of either customer")
    )
    current = django_filters.BooleanFilter(
        field_name="ended_on", lookup_expr="isnull", label=_("Only those not ended (true)")
    )

    class Meta:
        model = CustomerRelationship
        fields: list[str] = []

    def filter_customer_number(self, queryset, name, value):
        return queryset.filter(
            Q(from_customer__number=value.strip()) | Q(to_customer__number=value.strip())
        )


class RelationshipOutput(serializers.ModelSerializer):
    """``from_customer_number`` is the ``kind`` of ``to_customer_number``."""

    from_customer_number = serializers.CharField(source="from_customer.number")
    to_customer_number = serializers.CharField(source="to_customer.number")

    class Meta:
        model = CustomerRelationship
        fields = [
            "id",
            "from_customer_number",
            "kind",
            "to_customer_number",
            "note",
            "created_at",
            "ended_on",
        ]


class RelationshipWriteAnswer(WriteAnswer, RelationshipOutput):
    """The answer to recording or changing a relationship (see ``crm.api.answers``).

    To a token without relationships:read: its id and the fields the request set.
    """


WRITE_ANSWER = _(
    "The relationship as relationships:read shows it when the token has that scope; "
    "otherwise only its id and the fields the request set."
)


class RelationshipCreateInput(StrictInput):
    from_customer_number = fields.Text(max_length=32)
    to_customer_number = fields.Text(max_length=32)
    kind = fields.Choice(choices=CustomerRelationship.Kind.choices)
    note = fields.Text(max_length=200, required=False, allow_blank=True, default="")


class RelationshipChangeInput(StrictInput):
    """A correction (``kind``, ``note``) or an end (``ended_on``), or both at once."""

    kind = fields.Choice(choices=CustomerRelationship.Kind.choices, required=False)
    note = fields.Text(max_length=200, required=False, allow_blank=True)
    ended_on = fields.Date(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(gettext("Give kind, note or ended_on."))
        return attrs

    schema_constraints = {"minProperties": 1}  # as validate() requires


@extend_schema_view(
    list=extend_schema(summary="List relationships between customers", tags=["relationships"]),
    retrieve=extend_schema(summary="Read one relationship", tags=["relationships"]),
    create=extend_schema(
        summary="Record a relationship between two customers",
        tags=["relationships"],
        request=RelationshipCreateInput,
        responses={
            201: OpenApiResponse(RelationshipWriteAnswer, description=WRITE_ANSWER),
            409: OpenApiResponse(description="The relationship is already recorded"),
        },
    ),
    partial_update=extend_schema(
        summary="Correct a relationship's kind or note, or end it (ended_on)",
        tags=["relationships"],
        request=RelationshipChangeInput,
        responses={
            200: OpenApiResponse(RelationshipWriteAnswer, description=WRITE_ANSWER),
            409: OpenApiResponse(description="A duplicate"),
        },
    ),
)
class RelationshipViewSet(
    PartnerAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Relationships between the bank's customers, in both directions, ended ones included."""

    scope_resource = "relationships"
    serializer_class = RelationshipOutput
    filterset_class = RelationshipFilter
    ordering_fields = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return CustomerRelationship.objects.for_partner(self.partner).select_related(
            "from_customer", "to_customer"
        )

    def create(self, request, *args, **kwargs):
        given = RelationshipCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        customers = self._customers(data["from_customer_number"], data["to_customer_number"])
        relationship = self.apply(
            services.relationship_add,
            from_customer=customers["from_customer_number"],
            to_customer=customers["to_customer_number"],
            kind=data["kind"],
            note=data["note"],
            actor=None,
        )
        return self.answer_write(relationship, data, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        relationship = self.get_object()
        given = RelationshipChangeInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if "kind" in data or "note" in data:
            relationship = self.apply(
                services.relationship_correct,
                relationship=relationship,
                kind=data.get("kind", relationship.kind),
                note=data.get("note"),
                actor=None,
            )
        if "ended_on" in data:
            relationship = self.apply(
                services.relationship_end,
                relationship=relationship,
                ended_on=data["ended_on"],
                actor=None,
            )
        return self.answer_write(relationship, data, status.HTTP_200_OK)

    def answer_write(self, relationship, written, status_code) -> Response:
        context = write_context(self.request, self.scope_resource, written)
        return Response(RelationshipWriteAnswer(relationship, context=context).data, status_code)

    def _customers(self, *numbers: str) -> dict[str, Customer]:
        """The bank's customers with these numbers, by input name; refuse unknown ones."""
        found = {
            customer.number: customer
            for customer in Customer.objects.for_partner(self.partner).filter(number__in=numbers)
        }
        names = ("from_customer_number", "to_customer_number")
        missing = {
            name: [gettext("No customer of this bank has this customer number.")]
            for name, number in zip(names, numbers, strict=True)
            if number not in found
        }
        if missing:
            raise serializers.ValidationError(missing)
        return {name: found[number] for name, number in zip(names, numbers, strict=True)}

    @staticmethod
    def apply(service, **arguments) -> CustomerRelationship:
        """Call a relationships service; its refusals in the API's error shape."""
        try:
            return service(**arguments)
        except RelationshipExists as exc:
            raise Conflict(INPUTS.get(exc.field or "", exc.field or "kind"), exc.message) from exc
        except DomainError as exc:
            raise as_api_error(exc, INPUTS) from exc
