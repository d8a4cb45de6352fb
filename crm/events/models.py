"""The outbox: changes to a bank's data, written with the change, dispatched after commit."""

from typing import Self

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.managers import ScopedManager, ScopedQuerySet


class ChangeEventQuerySet(ScopedQuerySet["ChangeEvent"]):
    def due(self) -> Self:
        """Events some subscriber has not had yet and whose next try has come."""
        return self.filter(dispatched_at__isnull=True, next_attempt_at__lte=Now())


_ChangeEventManagerBase = ScopedManager.from_queryset(ChangeEventQuerySet)


class ChangeEventManager(_ChangeEventManagerBase["ChangeEvent"]):
    pass


class ChangeEvent(models.Model):
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    # "<app>.<what>.<happened>", e.g. "customers.holdings.changed"
    kind = models.CharField(_("kind"), max_length=100)
    subject_id = models.BigIntegerField(_("record id"))
    payload = models.JSONField(_("details"), default=dict, blank=True)
    actor = models.ForeignKey(
        "tenancy.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)

    objects = ChangeEventManager()

    class Meta:
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at"],
                condition=models.Q(dispatched_at__isnull=True),
                name="change_event_undispatched",
            ),
            models.Index(fields=["tenant", "-occurred_at"], name="change_event_tenant_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.subject_id}"


class EventDelivery(models.Model):
    """One event handed to one subscriber: written with the subscriber's work, so never twice."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    event = models.ForeignKey(
        ChangeEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    subscriber = models.CharField(_("subscriber"), max_length=100)
    delivered_at = models.DateTimeField(_("delivered"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"], name="event_delivered_once_per_subscriber"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscriber}"
