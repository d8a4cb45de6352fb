"""Records of who did what that the change triggers of django-pghistory do not cover."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.managers import ScopedManager


class LoginEvent(models.Model):
    """A login, a logout or a failed login, of staff or of a partner system, and each
    step of staff's two-factor sign-in.

    Attempts with an unknown username (or client id) belong to no tenant: only platform
    administrators see them. Everything else is filed under the tenant of the staff member
    (or partner application) for its auditors. A partner system's events carry its client
    id as the username; it obtains tokens rather than logging in, so only its failures are
    recorded.
    """

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        FAILED = "failed", _("Failed login")
        LOCKED_OUT = "locked_out", _("Locked out")
        PARTNER_FAILED = "partner_failed", _("Partner system: token refused")
        PARTNER_ADDRESS = "partner_address", _("Partner system: address not allowed")
        PARTNER_THROTTLED = "partner_throttled", _("Partner system: token requests throttled")
        SECOND_FACTOR = "second_factor", _("Passed two-factor sign-in")
        RECOVERY_CODE = "recovery_code", _("Signed in with a recovery code")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong two-factor code")
        TWO_FACTOR_ENROLLED = "two_factor_enrolled", _("Set up two-factor sign-in")
        RECOVERY_CODES_RENEWED = "recovery_codes_renewed", _("Renewed recovery codes")
        TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset")

    #: The kinds that concern a partner system rather than a member of staff.
    PARTNER_KINDS = frozenset({Kind.PARTNER_FAILED, Kind.PARTNER_ADDRESS, Kind.PARTNER_THROTTLED})

    tenant = models.ForeignKey(
        "tenancy.Tenant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenant"),
    )
    staff = models.ForeignKey(
        "tenancy.Staff",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    # Who did it, when not the person the event is about (an administrator's reset). A name,
    # not a key: a platform administrator belongs to no bank, so no bank's reader sees the row.
    actor_username = models.CharField(_("done by"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    username = models.CharField(_("username"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("login event")
        verbose_name_plural = _("login events")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="login_event_tenant_time"),
        ]
        permissions = [("view_audit_trail", _("Can read the audit trail of the bank"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username}"


class PersonalDataAccess(models.Model):
    """Someone saw a personal-data value in clear (an ID or phone number), and why."""

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    staff = models.ForeignKey(
        "tenancy.Staff",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    partner_name = models.CharField(_("partner system"), max_length=200, blank=True)
    subject_type = models.CharField(_("record type"), max_length=50)
    subject_id = models.BigIntegerField(_("record id"))
    subject_label = models.CharField(_("record"), max_length=200)
    field = models.CharField(_("field"), max_length=50)
    reason = models.CharField(_("reason"), max_length=300)
    accessed_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-accessed_at"]
        indexes = [
            models.Index(fields=["tenant", "-accessed_at"], name="pii_access_tenant_time"),
            models.Index(
                fields=["tenant", "subject_type", "subject_id"], name="pii_access_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} {self.field}"


class FeedBatch(models.Model):
    """One batch a partner system loaded in bulk (holdings, balances, contacts...).

    Nightly feeds change hundreds of thousands of rows: the auditors' trail shows one entry
    per batch (who, when, how many rows it created, updated or left alone) instead of
    burying the staff's own changes under the feed's rows. A refused batch is recorded
    too (it wrote nothing; how many of its items were at fault), so that a failing nightly
    feed shows in the bank's own records and not only in the partner's answer.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    partner = models.ForeignKey(
        "tenancy.PartnerApplication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system"),
    )
    partner_name = models.CharField(_("partner system"), max_length=200)
    feed = models.CharField(_("feed"), max_length=100)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    items = models.PositiveIntegerField(_("items"))
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged or known"), default=0)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.ACCEPTED
    )
    refused = models.PositiveIntegerField(_("items at fault"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("feed batch")
        verbose_name_plural = _("feed batches")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="feed_batch_tenant_time")]

    def __str__(self) -> str:
        return f"{self.partner_name} {self.feed}"
