"""What channels adds to the customer list: the last contact, and open service requests.

ChannelsConfig.ready() registers a column (when the customer was last in contact, in any
channel) and a filter (customers with or without open requests). The column is a
correlated subquery in the list's own query: one probe per row of the page through the
(tenant, customer, occurred_at desc) index of the timeline, however many contacts there
are. The filter is a semi-join on the open requests, which are few next to the customers.
"""

import django_filters
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from channels.models import Interaction, ServiceRequest
from channels.selectors import OPEN_STATUSES
from customers.list_columns import (
    ListColumn,
    ListFilter,
    register_list_column,
    register_list_filter,
)

WITH, WITHOUT = "with", "without"


def annotate_last_contact(queryset: QuerySet) -> QuerySet:
    newest = (
        Interaction.objects.filter(tenant_id=OuterRef("tenant_id"), customer_id=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )
    return queryset.annotate(last_contact=Subquery(newest))


def show_last_contact(value) -> str:
    return date_format(timezone.localtime(value), "SHORT_DATE_FORMAT") if value else "—"


def filter_open_requests(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if not value:
        return queryset
    customers = ServiceRequest.objects.filter(status__in=OPEN_STATUSES).values("customer_id")
    if value == WITH:
        return queryset.filter(pk__in=customers)
    return queryset.exclude(pk__in=customers)


def open_requests_filter() -> django_filters.Filter:
    return django_filters.ChoiceFilter(
        label=_("Service requests"),
        choices=[(WITH, _("With open requests")), (WITHOUT, _("Without open requests"))],
        empty_label=_("With or without"),
        method=filter_open_requests,
    )


def register() -> None:
    register_list_column(
        ListColumn(
            key="last_contact",
            title=_("Last contact"),
            annotate=annotate_last_contact,
            attribute="last_contact",
            display=show_last_contact,
            order=10,
            css_class="text-nowrap",
            permission="channels.view_interaction",
        )
    )
    register_list_filter(
        ListFilter(
            key="open_requests",
            make=open_requests_filter,
            permission="channels.view_servicerequest",
        )
    )
