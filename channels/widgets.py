"""The channels app's home-page widget: the service requests waiting for this person.

ChannelsConfig.ready() registers it. One aggregate over the open requests the person owns,
read through the (tenant, status, due_at) index like the "my requests" queue.
"""

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels import selectors
from channels.models import ServiceRequest
from crm.shell.widgets import Widget, register_widget


def my_requests(request: HttpRequest) -> dict:
    staff = request.user
    figures = (
        ServiceRequest.objects.in_scope(staff)
        .filter(status__in=selectors.OPEN_STATUSES, owner=staff)
        .aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=timezone.now())))
    )
    return {"open": figures["open"], "overdue": figures["overdue"]}


def register() -> None:
    register_widget(
        Widget(
            key="my_requests",
            title=_("My service requests"),
            template="channels/widgets/my_requests.html",
            context=my_requests,
            order=40,
            width="col-md-6 col-lg-4",
            permission="channels.view_servicerequest",
        )
    )
