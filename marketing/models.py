"""Marketing's tables: each is tenant-owned, under row-level security."""

from __future__ import annotations

import pghistory
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from crm.tenancy.models import TenantOwned, event_indexes, every_change
from customers.models import Customer

# A cadence longer than a year is no cadence: the follow-ups' planning horizon is a year.
MAX_CADENCE_DAYS = 366
MAX_BOOK_SIZE = 100_000


def tier_label(tier: str) -> str:
    """The tier's name as staff read it; the stored value when the tier is unknown."""
    return str(dict(Customer.Tier.choices).get(tier, tier))


# --- the tier service policy -----------------------------------------------------------------


@pghistory.track(*every_change(), meta=event_indexes("service_policy_event_trail"))
class TierServicePolicy(TenantOwned):
    """How the bank serves the customers of one tier (差异化服务).

    ``tier`` holds a ``customers.Customer.Tier`` value without freezing the choices here, so
    that a tier added to customers (``new``) needs no migration of marketing: the page and the
    selector list every tier customers knows, and a tier without a row reads the defaults.
    """

    tier = models.CharField(_("tier"), max_length=16)
    contact_cadence_days = models.PositiveSmallIntegerField(
        _("contact every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CADENCE_DAYS)],
        help_text=_("Days between planned contacts with each customer; empty for no cadence."),
    )
    requires_relationship_manager = models.BooleanField(
        _("must have a relationship manager"), default=False
    )
    max_book_size = models.PositiveIntegerField(
        _("most customers of the tier per relationship manager"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BOOK_SIZE)],
        help_text=_("Empty for no cap."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier service policy")
        verbose_name_plural = _("tier service policies")
        permissions = [
            ("view_service_coverage", _("Can see the tiers' relationship manager coverage")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tier"], name="service_policy_tier_unique"),
            models.CheckConstraint(
                condition=models.Q(contact_cadence_days__gte=1)
                & models.Q(contact_cadence_days__lte=MAX_CADENCE_DAYS)
                | models.Q(contact_cadence_days__isnull=True),
                name="service_policy_cadence_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(max_book_size__gte=1, max_book_size__lte=MAX_BOOK_SIZE)
                | models.Q(max_book_size__isnull=True),
                name="service_policy_book_size_bounds",
            ),
        ]

    def __str__(self) -> str:
        return tier_label(self.tier)

    @property
    def tier_label(self) -> str:
        return tier_label(self.tier)


@pghistory.track(*every_change(), meta=event_indexes("service_privilege_event_trail"))
class ServicePrivilege(TenantOwned):
    """One privilege of a tier (a priority window, a fee waiver…), in the bank's order."""

    policy = models.ForeignKey(
        TierServicePolicy,
        on_delete=models.CASCADE,
        related_name="privileges",
        verbose_name=_("tier service policy"),
    )
    name = models.CharField(_("privilege"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service privilege")
        verbose_name_plural = _("service privileges")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "name"], name="service_privilege_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*every_change(), meta=event_indexes("suggested_channel_event_trail"))
class SuggestedChannel(TenantOwned):
    """An electronic channel the bank steers a tier's customers to (BZ: cheaper to serve)."""

    policy = models.ForeignKey(
        TierServicePolicy,
        on_delete=models.CASCADE,
        related_name="suggested_channels",
        verbose_name=_("tier service policy"),
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="+", verbose_name=_("channel")
    )

    class Meta:
        verbose_name = _("suggested channel")
        verbose_name_plural = _("suggested channels")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "channel"], name="suggested_channel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.channel_id}"
