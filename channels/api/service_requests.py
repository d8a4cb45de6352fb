"""Service requests for partner systems: ``/api/v1/service-requests/``.

The mobile app, WeChat banking or the call center open a request, read where it stands and
move it on, through the same services the counter uses: a request opened in the app and
continued at the counter shows the same status and every step in both. Requests are found
by their number (the one the customer is told), never by database id.
"""

from __future__ import annotations

import django_filters
from django.db import IntegrityError
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from channels.api.inputs import ReferenceField
from channels.models import Channel, ServiceRequest, ServiceRequestStep, ServiceRequestType
from channels.services import service_request_move, service_request_open
from crm.api import fields
from crm.api.answers import WriteAnswer, write_context
from crm.api.filters import PartnerFilterSet
from crm.api.inputs import Conflict, DateTimeFilter, StrictInput
from crm.api.views import PartnerAPIMixin
from crm.domain import DomainError, as_api_error
from crm.tenancy.models import Branch, Staff
from customers.models import Customer

# DomainError names the services' arguments; the API names its inputs.
INPUT_OF_ARGUMENT = {"request_type": "type"}


class ServiceRequestFilter(PartnerFilterSet):
    customer_number = django_filters.CharFilter(
        field_name="customer__number", label=_("Customer number")
    )
    status = django_filters.ChoiceFilter(choices=ServiceRequest.Status.choices)
    type = django_filters.CharFilter(field_name="request_type__code", label=_("Type code"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    opened_since = DateTimeFilter(
        field_name="opened_at", lookup_expr="gte", label=_("Opened at or after")
    )
    updated_since = DateTimeFilter(
        method="filter_updated_since", label=_("Moved, reassigned or opened at or after")
    )

    class Meta:
        model = ServiceRequest
        fields: list[str] = []

    def filter_overdue(self, queryset, name, value):
        overdue = ServiceRequest.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_updated_since(self, queryset, name, value):
        # Every change of a request is one of its steps.
        steps = ServiceRequestStep.objects.filter(request=OuterRef("pk"), occurred_at__gte=value)
        return queryset.filter(Exists(steps))


class ChannelOutput(serializers.ModelSerializer):
    class Meta:
        model = Channel
        fields = ["code", "name", "kind"]


class RequestTypeOutput(serializers.ModelSerializer):
    class Meta:
        model = ServiceRequestType
        fields = ["code", "name", "sla_hours"]


class StaffOutput(serializers.ModelSerializer):
    class Meta:
        model = Staff
        fields = ["id", "username", "name"]


class TeamOutput(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name"]


class StepOutput(serializers.ModelSerializer):
    """One move of the request: where it happened and who made it (staff or partner)."""

    channel = ChannelOutput()
    staff = StaffOutput(allow_null=True, help_text=_("The bank's staff member, if any."))
    partner_name = serializers.CharField(help_text=_("The partner system, if any."))

    class Meta:
        model = ServiceRequestStep
        fields = [
            "from_status",
            "to_status",
            "channel",
            "staff",
            "partner_name",
            "note",
            "occurred_at",
        ]


class ServiceRequestOutput(serializers.ModelSerializer):
    type = RequestTypeOutput(source="request_type")
    customer_number = serializers.CharField(source="customer.number")
    status_label = serializers.CharField(source="get_status_display")
    allowed_next_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceRequest.Status.choices),
        help_text=_("The statuses this request may move to now; empty once it is closed."),
    )
    is_overdue = serializers.BooleanField(help_text=_("Still open after its due time."))
    opened_channel = ChannelOutput()
    owner = StaffOutput(allow_null=True)
    team = TeamOutput()

    class Meta:
        model = ServiceRequest
        fields = [
            "number",
            "type",
            "customer_number",
            "summary",
            "status",
            "status_label",
            "allowed_next_statuses",
            "is_overdue",
            "opened_channel",
            "opened_at",
            "due_at",
            "closed_at",
            "owner",
            "team",
            "source",
            "external_id",
        ]


class ServiceRequestDetailOutput(ServiceRequestOutput):
    steps = StepOutput(many=True, help_text=_("Every step, oldest first."))

    class Meta(ServiceRequestOutput.Meta):
        fields = [*ServiceRequestOutput.Meta.fields, "steps"]


class ServiceRequestWriteAnswer(WriteAnswer, ServiceRequestDetailOutput):
    """The answer to opening or moving a request (see ``crm.api.answers``).

    To a token without service_requests:read: the request's number, where it stands (status,
    next moves, due time) and the fields the call set; never its steps, owner, team or the
    summary of a request it did not open.
    """

    always = frozenset(
        {
            "number",
            "status",
            "status_label",
            "allowed_next_statuses",
            "is_overdue",
            "opened_at",
            "due_at",
            "closed_at",
        }
    )
    answered_as = {"type": "type", "channel": "opened_channel", "to_status": "status"}


WRITE_ANSWER = _(
    "The request as service_requests:read shows it when the token has that scope; otherwise "
    "only its number, where it stands and the fields the call set."
)


def max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def code_of(model, label, message) -> ReferenceField:
    return ReferenceField("code", model.objects.all(), message, label=label)


class ServiceRequestOpenInput(StrictInput):
    type = code_of(
        ServiceRequestType, _("type code"), _("This bank has no request type with this code.")
    )
    customer_number = ReferenceField(
        "number",
        Customer.objects.select_related("home_branch"),
        _("No customer of this bank has this customer number."),
    )
    channel = code_of(Channel, _("channel code"), _("This bank has no channel with this code."))
    summary = fields.Text(max_length=max_length(ServiceRequest, "summary"))
    note = fields.Text(
        max_length=max_length(ServiceRequestStep, "note"),
        required=False,
        allow_blank=True,
        default="",
    )
    source = fields.Slug(
        max_length=max_length(ServiceRequest, "source"),
        required=False,
        allow_blank=True,
        default="",
        help_text=_("The partner system; with external_id, a replay opens nothing twice."),
    )
    external_id = fields.Text(
        max_length=max_length(ServiceRequest, "external_id"),
        required=False,
        allow_blank=True,
        default="",
    )

    def validate(self, attrs):
        if attrs["external_id"] and not attrs["source"]:
            raise ValidationError(
                {"source": [gettext("Name the source system together with its id.")]}
            )
        return attrs


class TransitionInput(StrictInput):
    to_status = fields.Choice(choices=ServiceRequest.Status.choices)
    channel = code_of(Channel, _("channel code"), _("This bank has no channel with this code."))
    note = fields.Text(
        max_length=max_length(ServiceRequestStep, "note"),
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required to reject or cancel a request."),
    )


def refused(error: DomainError) -> ValidationError:
    return as_api_error(error, INPUT_OF_ARGUMENT)


@extend_schema_view(
    list=extend_schema(summary="List the bank's service requests", tags=["service requests"]),
    retrieve=extend_schema(
        summary="Read one service request with its steps",
        tags=["service requests"],
        responses={200: ServiceRequestDetailOutput},
    ),
    create=extend_schema(
        summary="Open a service request from a channel",
        tags=["service requests"],
        request=ServiceRequestOpenInput,
        responses={
            201: OpenApiResponse(ServiceRequestWriteAnswer, description=WRITE_ANSWER),
            200: OpenApiResponse(
                ServiceRequestWriteAnswer,
                description="Opened before with the same source and external id",
            ),
            409: OpenApiResponse(
                description="The external id belongs to a request of another customer or type"
            ),
        },
    ),
    transition=extend_schema(
        summary="Move a service request to its next status",
        tags=["service requests"],
        request=TransitionInput,
        responses={200: OpenApiResponse(ServiceRequestWriteAnswer, description=WRITE_ANSWER)},
    ),
)
class ServiceRequestViewSet(
    PartnerAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests of the partner's bank, by request number; steps say channel and who."""

    scope_resource = "service_requests"
    serializer_class = ServiceRequestOutput
    filterset_class = ServiceRequestFilter
    ordering_fields = ["id"]
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9_-]+"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        requests = ServiceRequest.objects.for_partner(self.partner).select_related(
            "request_type", "customer", "opened_channel", "owner", "team"
        )
        if self.action == "list":
            return requests
        steps = ServiceRequestStep.objects.select_related("channel", "staff").order_by(
            "occurred_at", "pk"
        )
        return requests.prefetch_related(Prefetch("steps", queryset=steps))

    def get_serializer_class(self):
        return ServiceRequestOutput if self.action == "list" else ServiceRequestDetailOutput

    @property
    def partner_name(self) -> str:
        return self.request.user.application.name

    def reread(self, request: ServiceRequest) -> ServiceRequest:
        """The request as it is now, with its steps, in the shape the output needs."""
        return self.get_queryset().get(pk=request.pk)

    def create(self, request, *args, **kwargs):
        given = ServiceRequestOpenInput(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        opened = self.opened_before(fields)
        if opened is not None:
            return self.answer_write(opened, given.initial_data)
        try:
            opened = service_request_open(
                request_type=fields["type"],
                customer=fields["customer_number"],
                channel=fields["channel"],
                summary=fields["summary"],
                note=fields["note"],
                source=fields["source"],
                external_id=fields["external_id"],
                partner_name=self.partner_name,
            )
        except DomainError as error:
            raise refused(error) from error
        except IntegrityError:
            # The same external id opened by a concurrent call: answer as a replay.
            opened = self.opened_before(fields)
            if opened is None:
                raise
            return self.answer_write(opened, given.initial_data)
        return self.answer_write(self.reread(opened), given.initial_data, status.HTTP_201_CREATED)

    def answer_write(self, opened: ServiceRequest, written, status_code=status.HTTP_200_OK):
        """Answer a write with what the token may see (see ``crm.api.answers``)."""
        context = write_context(self.request, self.scope_resource, written)
        return Response(ServiceRequestWriteAnswer(opened, context=context).data, status_code)

    def opened_before(self, fields: dict) -> ServiceRequest | None:
        """The request this partner already opened with this external id, if any."""
        if not fields["external_id"]:
            return None
        opened = (
            self.get_queryset()
            .filter(source=fields["source"], external_id=fields["external_id"])
            .first()
        )
        if opened is not None and (
            opened.customer_id != fields["customer_number"].pk
            or opened.request_type_id != fields["type"].pk
        ):
            raise Conflict(
                "external_id",
                gettext(
                    "Request %(number)s was opened with this external id for another "
                    "customer or type."
                )
                % {"number": opened.number},
            )
        return opened

    @action(detail=True, methods=["post"], url_path="transitions")
    def transition(self, request, *args, **kwargs):
        service_request = self.get_object()
        given = TransitionInput(data=request.data)
        given.is_valid(raise_exception=True)
        fields = given.validated_data
        try:
            moved = service_request_move(
                request=service_request,
                to_status=fields["to_status"],
                channel=fields["channel"],
                note=fields["note"],
                partner_name=self.partner_name,
            )
        except DomainError as error:
            raise refused(error) from error
        return self.answer_write(self.reread(moved), written=["to_status"])
