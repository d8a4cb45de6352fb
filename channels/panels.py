"""The customer page's timeline panel: every channel's contacts with the customer.

ChannelsConfig.ready() registers the panel. On the customer page the panel costs two
queries whatever the customer's history: one keyset page of interactions and one of
service-request steps. Its filters use the channel kinds, fixed choices, and the forms to
log a contact or open a request load when a button asks for them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from channels import selectors
from channels.forms import TimelineFilterForm
from customers.models import Customer
from customers.panels import Panel


def timeline_context(
    request: HttpRequest, customer: Customer, form: TimelineFilterForm | None = None
) -> dict:
    """What the timeline template needs: filters, one page of entries, what the viewer may do.

    ``form`` holds the query string's filters; without it, the newest entries of every kind.
    """
    staff = request.user
    form = form if form is not None else TimelineFilterForm()
    page, errors, query = None, [], ""
    if not form.is_bound or form.is_valid():
        page = selectors.timeline_page(staff, customer, **form.filters())
        if form.is_bound:
            # What "load more" carries on: the filters, not the position.
            filters = {name: form.cleaned_data[name] for name in ("channel", "kind")}
            query = urlencode({name: value for name, value in filters.items() if value})
    else:
        errors = [error for field_errors in form.errors.values() for error in field_errors]
    return {
        "filter_form": form,
        "page": page,
        "errors": errors,
        "query": query,
        "can_log": staff.has_perm("channels.add_interaction"),
        "can_open_request": staff.has_perm("channels.add_servicerequest"),
    }


def timeline_panel(request: HttpRequest, customer: Customer) -> dict:
    return timeline_context(request, customer)


TIMELINE_PANEL = Panel(
    key="timeline",
    title=_("Contacts across channels"),
    template="channels/panels/timeline.html",
    context=timeline_panel,
    order=25,
    width="col-12",
    permission="channels.view_interaction",
)


def follow_ups_panel(request: HttpRequest, customer: Customer) -> dict:
    """The customer's follow-ups the viewer may see: one query."""
    rows = selectors.customer_follow_ups(request.user, customer)
    return {
        "open_follow_ups": [row for row in reversed(rows) if row.is_open],
        "closed_follow_ups": [row for row in rows if not row.is_open],
        "can_plan": request.user.has_perm("channels.add_followup"),
    }


FOLLOW_UPS_PANEL = Panel(
    key="follow_ups",
    title=_("Follow-ups"),
    template="channels/panels/follow_ups.html",
    context=follow_ups_panel,
    order=26,
    permission="channels.view_followup",
    lazy=True,
)
