"""Proposed actions waiting for a second person (maker-checker)."""

from typing import Self

import pghistory
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.managers import ScopedManager, ScopedQuerySet
from crm.tenancy.models import event_indexes, every_change


class ProposalQuerySet(ScopedQuerySet["Proposal"]):
    scope_branch_field = "maker_branch"

    def pending(self) -> Self:
        return self.filter(status=Proposal.Status.PENDING)

    def overdue(self) -> Self:
        """Pending proposals past their expiry, still to be marked expired."""
        return self.pending().filter(expires_at__lte=timezone.now())


_ProposalManagerBase = ScopedManager.from_queryset(ProposalQuerySet)


class ProposalManager(_ProposalManagerBase["Proposal"]):
    pass


@pghistory.track(*every_change(), meta=event_indexes("proposal_event_trail"))
class Proposal(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    action = models.CharField(_("action"), max_length=100)
    payload = models.JSONField(_("details"))
    summary = models.CharField(_("summary"), max_length=300)
    maker = models.ForeignKey(
        "tenancy.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    # Where the maker worked when proposing: decides who is senior enough to approve.
    maker_branch = models.ForeignKey(
        "tenancy.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    decided_by = models.ForeignKey(
        "tenancy.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)

    objects = ProposalManager()

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["tenant", "expires_at"],
                condition=models.Q(status="pending"),
                name="proposal_pending",
            ),
            models.Index(fields=["tenant", "maker", "-created_at"], name="proposal_by_maker"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
