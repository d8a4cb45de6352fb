"""What channels adds to the customer search box: service requests by their number.

A request number (``SR`` and digits, as on the customer's receipt) typed in the customer
list's search box finds the request, if the staff member may see it: one lookup through
the ``(tenant_id, number)`` unique index (an equality, so index-backed under row-level
security). ChannelsConfig.ready() registers it.
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from channels.models import ServiceRequest
from crm.tenancy.models import Staff
from customers.search_providers import SearchHit, SearchProvider

REQUEST_NUMBER = re.compile(r"^SR\d{6,20}$")


def find_service_requests(staff: Staff, text: str) -> list[SearchHit]:
    number = "".join(text.split()).upper()
    if not REQUEST_NUMBER.match(number) or not staff.has_perm("channels.view_servicerequest"):
        return []
    found = (
        ServiceRequest.objects.in_scope(staff)
        .filter(number=number)
        .only("pk", "number", "summary")
        .first()
    )
    if found is None:
        return []
    return [
        SearchHit(
            kind=_("Service request"),
            label=f"{found.number} {found.summary}",
            url=reverse("channels:request_detail", args=[found.pk]),
        )
    ]


SERVICE_REQUESTS = SearchProvider(key="service_requests", find=find_service_requests)
