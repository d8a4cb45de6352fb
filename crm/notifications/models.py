"""Messages to one staff member: what is due, what was decided, what needs them."""

from typing import TYPE_CHECKING, Self

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.notifications.kinds import notification_kind
from crm.tenancy.managers import ScopedManager, ScopedQuerySet

if TYPE_CHECKING:
    from crm.tenancy.models import Staff


class NotificationQuerySet(ScopedQuerySet["Notification"]):
    def for_recipient(self, staff: "Staff") -> Self:
        """Return the notifications addressed to ``staff``: nobody reads another's."""
        return self.filter(tenant_id=staff.tenant_id, recipient=staff)

    def unread(self) -> Self:
        return self.filter(read_at__isnull=True)


_NotificationManagerBase = ScopedManager.from_queryset(NotificationQuerySet)


class NotificationManager(_NotificationManagerBase["Notification"]):
    pass


class Notification(models.Model):
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    recipient = models.ForeignKey(
        "tenancy.Staff",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=100)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # What the notification is about, e.g. "approvals.proposal:42:decided": writing the
    # same key twice (a replayed job, two workers) leaves one notification.
    key = models.CharField(_("key"), max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "recipient", "key"], name="notification_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["tenant", "recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def _render(self, template: str | Promise) -> str:
        text = str(template)  # a lazy translation: rendered in the reader's language now
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text

    @property
    def subject(self) -> str:
        kind = notification_kind(self.kind)
        return self._render(kind.subject) if kind else self.kind

    @property
    def body(self) -> str:
        kind = notification_kind(self.kind)
        return self._render(kind.body) if kind and kind.body else ""
