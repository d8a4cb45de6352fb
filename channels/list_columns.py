"""What channels adds to the customer list: each customer's open service requests.

ChannelsConfig.ready() registers a column (how many requests are open) and a filter
(customers with or without open requests). The count is a correlated subquery in the list's
own query, read per row of the page through the (tenant, customer, opened_at) index; the
filter is a semi-join on the open requests, which are few next to the customers.
"""

import django_filters
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from channels.models import ServiceRequest
from channels.selectors import OPEN_STATUSES
from customers.list_columns import (
    ListColumn,
    ListFilter,
    register_list_column,
    register_list_filter,
)

PERMISSION = "channels.view_servicerequest"
WITH, WITHOUT = "with", "without"


def _open_requests() -> QuerySet:
    return ServiceRequest.objects.filter(status__in=OPEN_STATUSES)


def annotate_open_requests(queryset: QuerySet) -> QuerySet:
    counts = (
        _open_requests()
        .filter(tenant_id=OuterRef("tenant_id"), customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(open=Count("pk"))
        .values("open")
    )
    return queryset.annotate(
        open_requests=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def filter_open_requests(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if not value:
        return queryset
    customers = _open_requests().values("customer_id")
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
            key="open_requests",
            title=_("Open requests"),
            annotate=annotate_open_requests,
            attribute="open_requests",
            order=10,
            css_class="num",
            permission=PERMISSION,
        )
    )
    register_list_filter(
        ListFilter(key="open_requests", make=open_requests_filter, permission=PERMISSION)
    )
