"""Customers for partner systems: ``/api/v1/customers/``.

Identity numbers are masked unless the token carries ``customers:pii``; every number then
shown in clear is written to the personal-data access log first.
"""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from crm import bounds
from crm.api import fields
from crm.api.answers import WriteAnswer, write_context
from crm.api.fields import IdFilter
from crm.api.filters import PartnerFilterSet
from crm.api.inputs import Conflict, DateTimeFilter, StrictInput
from crm.api.scopes import CUSTOMERS_PII
from crm.api.views import PartnerAPIMixin
from crm.audit.services import personal_data_accesses_record
from crm.domain import DomainError, as_api_error
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch, Staff
from crm.tenancy.roles import Role
from customers.models import CUSTOMER_DETAILS, Customer, to_fen
from customers.rules import NumberTaken
from customers.services import DuplicateCustomer, customer_create, customer_update

IDENTITY_FIELDS = ("id_number", "phone")
# Staff ids are bigints; a longer string of digits can only be a username.
MAX_ID_DIGITS = 18


def find_relationship_manager(reference: str | int) -> Staff | None:
    """Return the bank's active relationship manager with this staff id or username."""
    managers = Staff.objects.active().with_role(Role.RELATIONSHIP_MANAGER)
    reference = str(reference).strip()
    if reference.isdigit() and len(reference) <= MAX_ID_DIGITS:
        return managers.filter(pk=int(reference)).first()
    return managers.filter(username=reference).first()


class CustomerFilter(PartnerFilterSet):
    number = django_filters.CharFilter(label=_("Customer number"))
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Customer.Status.choices)
    tier = django_filters.ChoiceFilter(choices=Customer.Tier.choices)
    risk_grade = django_filters.ChoiceFilter(choices=Customer.RiskGrade.choices)
    home_branch = IdFilter(field_name="home_branch_id", label=_("Home branch"))
    branch_within = IdFilter(
        method="filter_branch_within",
        label=_("Home branch in the subtree of the branch with this id"),
    )
    relationship_manager = django_filters.CharFilter(
        method="filter_relationship_manager",
        label=_("Relationship manager (staff id or username)"),
    )
    name_prefix = django_filters.CharFilter(
        method="filter_name_prefix", label=_("Name starts with")
    )
    # An exact match on a number answers "is this person a customer?": as much as reading
    # the number itself, so these two need customers:pii like the numbers in clear do.
    phone = django_filters.CharFilter(
        method="filter_phone",
        label=_("Phone number (exact); needs the customers:pii scope, refused (400) without it"),
    )
    id_number = django_filters.CharFilter(
        method="filter_id_number",
        label=_("ID number (exact); needs the customers:pii scope, refused (400) without it"),
    )
    aum_min = django_filters.NumberFilter(
        method="filter_aum_min",
        min_value=0,
        max_value=bounds.MAX_CUSTOMER_TOTAL,
        label=_("AUM at least (CNY)"),
    )
    aum_max = django_filters.NumberFilter(
        method="filter_aum_max",
        min_value=0,
        max_value=bounds.MAX_CUSTOMER_TOTAL,
        label=_("AUM at most (CNY)"),
    )
    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed at or after")
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def is_valid(self):
        valid = super().is_valid()
        token = getattr(self.request, "auth", None)
        if token is not None and token.allow_scopes([CUSTOMERS_PII]):
            return valid
        for name in IDENTITY_FIELDS:
            if self.form.cleaned_data.get(name):
                self.form.add_error(
                    name,
                    ValidationError(
                        _("Searching by this number needs the customers:pii scope."),
                        code="pii_scope_required",
                    ),
                )
        return self.form.is_valid()

    def filter_branch_within(self, queryset, name, value):
        root = Branch.objects.filter(pk=value).first()
        if root is None:
            return queryset.none()
        return queryset.filter(home_branch_id__in=root.subtree_ids())

    def filter_relationship_manager(self, queryset, name, value):
        reference = value.strip()
        if reference.isdigit() and len(reference) <= MAX_ID_DIGITS:
            return queryset.filter(relationship_manager_id=int(reference))
        manager = Staff.objects.filter(username=reference).values_list("pk", flat=True).first()
        if manager is None:
            return queryset.none()
        return queryset.filter(relationship_manager_id=manager)

    def filter_name_prefix(self, queryset, name, value):
        return queryset.name_starts_with(value)

    def filter_phone(self, queryset, name, value):
        return queryset.with_phone(value, tenant_id=require_tenant().pk)

    def filter_id_number(self, queryset, name, value):
        return queryset.with_id_number(value, tenant_id=require_tenant().pk)

    # Ranges on the bigint copy in fen: comparisons on numeric would not use the index
    # under row-level security.
    def filter_aum_min(self, queryset, name, value):
        return queryset.filter(aum_fen__gte=to_fen(value))

    def filter_aum_max(self, queryset, name, value):
        return queryset.filter(aum_fen__lte=to_fen(value))


class RelationshipManagerOutput(serializers.ModelSerializer):
    class Meta:
        model = Staff
        fields = ["id", "username", "name"]


class CustomerOutput(serializers.ModelSerializer):
    """A customer as partners see it; ``id_number`` and ``phone`` only with customers:pii."""

    relationship_manager = RelationshipManagerOutput(allow_null=True)
    aum = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text=_("Assets under management, CNY.")
    )
    id_number = serializers.SerializerMethodField(
        help_text=_("In clear; only with the customers:pii scope.")
    )
    phone = serializers.SerializerMethodField(
        help_text=_("In clear; only with the customers:pii scope.")
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            *CUSTOMER_DETAILS,
            "id_number_masked",
            "phone_masked",
            "id_number",
            "phone",
            "home_branch",
            "relationship_manager",
            "tier",
            "risk_grade",
            "aum",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if not self.context.get("reveal_identity"):
            for name in IDENTITY_FIELDS:
                fields.pop(name)
        return fields

    def get_id_number(self, customer: Customer) -> str:
        return customer.reveal("id_number")

    def get_phone(self, customer: Customer) -> str:
        return customer.reveal("phone")


class CustomerWriteAnswer(WriteAnswer, CustomerOutput):
    """The answer to a create or a change (see ``crm.api.answers``).

    To a token without customers:read: the customer's id, number and time of change, and
    the fields the request set, identity numbers masked.
    """

    always = frozenset({"id", "number", "updated_at"})
    answered_as = {"id_number": "id_number_masked", "phone": "phone_masked"}


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
)
class RelationshipManagerField(serializers.Field):
    """A relationship manager of the bank, given by staff id or username."""

    default_error_messages = {
        "does_not_exist": _("No active relationship manager of this bank has this id or username.")
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("does_not_exist")
        manager = find_relationship_manager(data)
        if manager is None:
            self.fail("does_not_exist")
        return manager

    def to_representation(self, value):
        return value.pk


class CustomerCreateInput(StrictInput, serializers.ModelSerializer):
    """What partners may set on a customer; identity numbers in clear, stored encrypted.

    Only the shape is checked here: the record's rules (``customers.rules``) are the
    service's, and come back as the same JSON errors.
    """

    id_number = fields.Text(max_length=40, required=False, allow_blank=True)
    phone = fields.Text(max_length=30, required=False, allow_blank=True)
    home_branch = fields.IdRelated(queryset=Branch.objects.all())
    # 1900 to today: customers.rules says so in the same words as the page and the import.
    birth_date = fields.Date(ruled=True, required=False, allow_null=True)
    relationship_manager = RelationshipManagerField(required=False, allow_null=True)

    class Meta:
        model = Customer
        fields = [*CUSTOMER_DETAILS, "id_number", "phone", "home_branch", "relationship_manager"]

    schema_properties = {
        # customers.validators.validate_mobile, which also ignores spaces, hyphens and
        # brackets; blank for no phone.
        "phone": {"pattern": r"^$|^(\+86|0086)?1[3-9][0-9]{9}$", "example": "13812345678"},
    }


class CustomerUpdateInput(CustomerCreateInput):
    """Changes to a customer: any field but its number and type, which core banking owns."""

    class Meta(CustomerCreateInput.Meta):
        fields = [f for f in CustomerCreateInput.Meta.fields if f not in ("number", "kind")]


WRITE_ANSWER = _(
    "The customer as customers:read shows it when the token has that scope; otherwise only "
    "its id, number, updated_at and the fields the request set (identity numbers masked)."
)


@extend_schema_view(
    list=extend_schema(summary="List the bank's customers", tags=["customers"]),
    retrieve=extend_schema(summary="Read one customer", tags=["customers"]),
    create=extend_schema(
        summary="Create a customer",
        tags=["customers"],
        request=CustomerCreateInput,
        responses={
            201: OpenApiResponse(CustomerWriteAnswer, description=WRITE_ANSWER),
            409: OpenApiResponse(description="Same customer number, ID or phone number"),
        },
    ),
    partial_update=extend_schema(
        summary="Change a customer",
        tags=["customers"],
        request=CustomerUpdateInput,
        responses={
            200: OpenApiResponse(CustomerWriteAnswer, description=WRITE_ANSWER),
            409: OpenApiResponse(description="Same ID or phone number as another customer"),
        },
    ),
)
class CustomerViewSet(
    PartnerAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Customers of the partner's bank; numbers masked unless the token has customers:pii."""

    scope_resource = "customers"
    serializer_class = CustomerOutput
    filterset_class = CustomerFilter
    ordering_fields = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Customer.objects.for_partner(self.partner).select_related("relationship_manager")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "reveal_identity": self.reveals_identity()}

    def reveals_identity(self) -> bool:
        return self.request.auth is not None and self.request.auth.allow_scopes([CUSTOMERS_PII])

    def record_reveals(self, customers: Iterable[Customer]) -> None:
        """Log each number about to be shown in clear, before it is shown."""
        if not self.reveals_identity():
            return
        accesses = [
            (customer, field)
            for customer in customers
            for field in IDENTITY_FIELDS
            if getattr(customer, f"{field}_encrypted")
        ]
        if accesses:
            personal_data_accesses_record(
                accesses=accesses,
                reason=gettext("API read"),
                partner_name=self.request.user.application.name,
            )

    def respond_with(self, customer: Customer, status_code=status.HTTP_200_OK) -> Response:
        self.record_reveals([customer])
        return Response(self.get_serializer(customer).data, status=status_code)

    def answer_write(self, customer: Customer, written: Iterable[str], status_code) -> Response:
        """Answer a write with what the token may see (see ``crm.api.answers``)."""
        context = write_context(self.request, self.scope_resource, written)
        if "written" in context:
            context["reveal_identity"] = False  # answered masked, as written
        else:
            self.record_reveals([customer])
            context["reveal_identity"] = self.reveals_identity()
        return Response(CustomerWriteAnswer(customer, context=context).data, status=status_code)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self.record_reveals(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return self.respond_with(self.get_object())

    def create(self, request, *args, **kwargs):
        given = CustomerCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            # A partner system acts as the partner application: no staff scope (rule 6).
            customer = self.apply(customer_create, actor=None, **given.validated_data)
        except IntegrityError as exc:  # the same number created by a concurrent call
            raise self.conflict(NumberTaken()) from exc
        return self.answer_write(customer, given.validated_data, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        customer = self.get_object()
        given = CustomerUpdateInput(customer, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        customer = self.apply(
            customer_update, customer=customer, actor=None, **given.validated_data
        )
        return self.answer_write(customer, given.validated_data, status.HTTP_200_OK)

    @classmethod
    def apply(cls, service, **arguments) -> Customer:
        """Call a customers service; turn its refusals into the API's error shape.

        The same customer number, ID or phone number as another customer is a conflict
        (409) when it is the only problem.
        """
        try:
            return service(**arguments)
        except DomainError as exc:
            [first, *others] = exc.errors
            if not others and isinstance(first, DuplicateCustomer | NumberTaken):
                raise cls.conflict(first) from exc
            raise as_api_error(exc) from exc

    @staticmethod
    def conflict(error: DomainError) -> Conflict:
        return Conflict(error.field, error.message)
