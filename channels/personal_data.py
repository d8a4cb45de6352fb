"""What channels adds to a customer's personal-data copy: contacts, preferences, requests.

ChannelsConfig.ready() registers these sections in customers' registry. Every contact is
in the copy, however many: the customer has a right to all of it. Contacts of other
customers never are, and neither are the staff's internal notes on request steps.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from channels.models import ChannelPreference, Interaction, ServiceRequest
from customers.models import Customer
from customers.personal_data import CopySection, register_copy_section


def contact_rows(customer: Customer) -> Iterable[list]:
    kinds = dict(Interaction.Kind.choices)
    directions = dict(Interaction.Direction.choices)
    contacts = (
        Interaction.objects.filter(customer=customer)
        .select_related("channel", "outlet")
        .order_by("occurred_at", "id")
    )
    for contact in contacts.iterator(chunk_size=2000):
        yield [
            contact.occurred_at,
            contact.channel.name,
            contact.outlet.name if contact.outlet else "",
            kinds.get(contact.kind, contact.kind),
            directions.get(contact.direction, contact.direction),
            contact.summary,
            contact.outcome,
            contact.amount,
        ]


def preference_rows(customer: Customer) -> list[tuple]:
    preference = (
        ChannelPreference.objects.filter(customer=customer)
        .select_related("preferred_channel")
        .first()
    )
    if preference is None:
        return []
    return [
        (
            _("Preferred channel"),
            preference.preferred_channel.name if preference.preferred_channel else "",
        ),
        (_("Contact from"), preference.contact_from),
        (_("Contact until"), preference.contact_until),
        (_("Do not contact"), _("Yes") if preference.do_not_contact else _("No")),
        (_("Updated at"), preference.updated_at),
    ]


def service_request_rows(customer: Customer) -> Iterable[list]:
    statuses = dict(ServiceRequest.Status.choices)
    requests = (
        ServiceRequest.objects.filter(customer=customer)
        .select_related("request_type", "opened_channel")
        .order_by("opened_at", "id")
    )
    for request in requests:
        yield [
            request.number,
            request.request_type.name,
            request.opened_channel.name,
            request.opened_at,
            statuses.get(request.status, request.status),
            request.summary,
            request.closed_at,
        ]


def register() -> None:
    register_copy_section(
        CopySection(
            "contacts",
            gettext_lazy("Contacts"),
            (
                gettext_lazy("Time"),
                gettext_lazy("Channel"),
                gettext_lazy("Outlet"),
                gettext_lazy("Kind"),
                gettext_lazy("Direction"),
                gettext_lazy("Summary"),
                gettext_lazy("Outcome"),
                gettext_lazy("Amount (CNY)"),
            ),
            contact_rows,
            order=70,
        )
    )
    register_copy_section(
        CopySection(
            "contact_preferences",
            gettext_lazy("Contact preferences"),
            (gettext_lazy("Item"), gettext_lazy("Value")),
            preference_rows,
            order=75,
        )
    )
    register_copy_section(
        CopySection(
            "service_requests",
            gettext_lazy("Service requests"),
            (
                gettext_lazy("Request number"),
                gettext_lazy("Type"),
                gettext_lazy("Opened in"),
                gettext_lazy("Opened at"),
                gettext_lazy("Status"),
                gettext_lazy("Summary"),
                gettext_lazy("Closed at"),
            ),
            service_request_rows,
            order=80,
        )
    )
