from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.http import StaffRequest
from crm.notifications import services
from crm.notifications.models import Notification
from crm.tenancy.decorators import tenant_staff_required

PAGE_SIZE = 50


def get_own_notification_or_404(request: StaffRequest, pk: int) -> Notification:
    """Return the reader's own notification; anybody else's is not found."""
    return get_object_or_404(Notification.objects.for_recipient(request.user), pk=pk)


@tenant_staff_required
def inbox(request: StaffRequest) -> HttpResponse:
    """The staff member's latest notifications, unread first marked."""
    notifications = list(Notification.objects.for_recipient(request.user)[:PAGE_SIZE])
    return render(request, "notifications/inbox.html", {"notifications": notifications})


@tenant_staff_required
def badge(request: StaffRequest) -> HttpResponse:
    """The unread count beside the menu, fetched by htmx after the page has loaded.

    Fetched apart so that no page's own query budget pays for it.
    """
    unread = Notification.objects.for_recipient(request.user).unread().count()
    return render(request, "notifications/_badge.html", {"unread": unread})


@tenant_staff_required
@require_POST
def open_notification(request: StaffRequest, pk: int) -> HttpResponse:
    """Mark the notification read and follow its link (back to the inbox without one)."""
    notification = get_own_notification_or_404(request, pk)
    services.notification_mark_read(notification=notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:list")


@tenant_staff_required
@require_POST
def mark_all_read(request: StaffRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(recipient=request.user)
    if marked:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")
