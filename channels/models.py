"""Channels of a bank, every contact with a customer in them, and requests across them."""

from __future__ import annotations

from datetime import datetime, timedelta

import pghistory
import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import bounds
from crm.tenancy.managers import ScopedManager, ScopedQuerySet
from crm.tenancy.models import Branch, Staff, TenantOwned, event_indexes, every_change
from customers.models import Customer


class Channel(TenantOwned):
    """A way the bank meets its customers, with what one transaction in it costs."""

    class Kind(models.TextChoices):
        COUNTER = "counter", _("Branch counter")
        SELF_SERVICE = "self_service", _("Self-service / ATM")
        POS = "pos", _("POS")
        PHONE = "phone", _("Phone banking / call center")
        ONLINE = "online", _("Online banking")
        MOBILE = "mobile", _("Mobile banking")
        WECHAT = "wechat", _("WeChat banking")
        SMS = "sms", _("SMS")
        PARTNER = "partner", _("Partner")

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    is_electronic = models.BooleanField(
        _("electronic"),
        default=False,
        help_text=_("Counts towards the electronic-channel substitution ratio."),
    )
    cost_per_transaction = models.DecimalField(
        _("cost per transaction (CNY)"), max_digits=10, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="channel_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class OutletQuerySet(ScopedQuerySet):
    scope_branch_field = "branch_id"


class Outlet(TenantOwned):
    """A place where a channel is: a branch outlet, an ATM or self-service terminal, a POS."""

    class Kind(models.TextChoices):
        BRANCH_OUTLET = "branch_outlet", _("Branch outlet")
        ATM = "atm", _("ATM")
        SELF_SERVICE_TERMINAL = "terminal", _("Self-service terminal")
        POS = "pos", _("POS terminal")

    class Model(models.TextChoices):
        COMMUNITY = "community", _("Community")
        BUSINESS_DISTRICT = "business_district", _("Business district")
        CAMPUS = "campus", _("Campus")
        CONVENIENCE = "convenience", _("Convenience / mall")

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="outlets", verbose_name=_("channel")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    outlet_model = models.CharField(
        _("outlet model"), max_length=20, choices=Model.choices, blank=True
    )
    location = models.CharField(_("location"), max_length=300, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager.from_queryset(OutletQuerySet)()

    class Meta:
        verbose_name = _("outlet")
        verbose_name_plural = _("outlets")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="outlet_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class InteractionQuerySet(ScopedQuerySet):
    # A contact is seen by whoever sees its customer.
    scope_follows = "customer"


# Contacts that staff log in the CRM (no source system id) are audited; the millions a
# partner feed loads are recorded once per batch in the audit's feed batches instead.
_LOGGED_HERE = {"new": pgtrigger.Q(new__external_id=""), "old": pgtrigger.Q(old__external_id="")}


@pghistory.track(
    pghistory.InsertEvent(condition=_LOGGED_HERE["new"]),
    pghistory.UpdateEvent(condition=_LOGGED_HERE["new"]),
    pghistory.DeleteEvent(condition=_LOGGED_HERE["old"]),
    meta=event_indexes("interaction_event_trail"),
)
class Interaction(TenantOwned):
    """One contact with one customer in one channel.

    Partners send ``source`` + ``external_id``; the pair is unique per tenant so that a
    replayed batch creates nothing twice. Not partitioned: the timeline reads one
    customer's rows through ``(tenant, customer, occurred_at)`` and the analytics read the
    daily roll-up, so neither scans the table; see the README's design notes.
    """

    class Kind(models.TextChoices):
        TRANSACTION = "transaction", _("Transaction")
        ENQUIRY = "enquiry", _("Enquiry")
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing touch")
        COMPLAINT = "complaint", _("Complaint intake")
        CALLBACK = "callback", _("Callback")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outlet"),
    )
    staff = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND
    )
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=bounds.amount_validators(),
    )
    source = models.CharField(_("source system"), max_length=32, blank=True)
    external_id = models.CharField(_("source system id"), max_length=64, blank=True)
    service_request = models.ForeignKey(
        "ServiceRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("service request"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ScopedManager.from_queryset(InteractionQuerySet)()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="interaction_source_id_unique",
            ),
            bounds.amount_check("amount", name="interaction_amount_bounds", nullable=True),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "customer", "-occurred_at", "-id"], name="interaction_timeline"
            ),
            models.Index(fields=["tenant", "occurred_at"], name="interaction_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


@pghistory.track(*every_change(), meta=event_indexes("channel_preference_event_trail"))
class ChannelPreference(TenantOwned):
    """How a customer wants to be contacted; marketing honours it together with consents.

    Contact hours are times of day in the bank's time zone.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="channel_preference",
        verbose_name=_("customer"),
    )
    preferred_channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred channel"),
    )
    contact_from = models.TimeField(_("contact from"), null=True, blank=True)
    contact_until = models.TimeField(_("contact until"), null=True, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer"], name="channel_preference_once")
        ]

    def __str__(self) -> str:
        return str(self.customer_id)


@pghistory.track(*every_change(), meta=event_indexes("contact_hold_event_trail"))
class ContactHold(TenantOwned):
    """A temporary "do not market" on a customer, placed by any app through
    ``channels.services.contact_hold_place`` (risk while a complaint is open or a red warning
    stands, say). The contact policy reads holds without knowing the app that placed them.

    In force from ``starts_at`` (inclusive) until ``ends_at`` (exclusive); lifting one early
    sets ``ends_at`` to the moment it was lifted, so the history says how long it stood.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    reason = models.CharField(_("reason"), max_length=200)
    # The app and rule that placed it (e.g. "risk.complaint"): who may lift it again.
    source = models.CharField(_("placed by"), max_length=64)
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    ends_at = models.DateTimeField(_("until"))
    created_at = models.DateTimeField(_("placed at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact hold")
        verbose_name_plural = _("contact holds")
        indexes = [
            models.Index(fields=["tenant", "customer", "ends_at"], name="contact_hold_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="contact_hold_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


class ServiceRequestType(TenantOwned):
    """A kind of request (loan application, card replacement...) and its deadline."""

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    sla_hours = models.PositiveIntegerField(
        _("deadline (hours)"), help_text=_("Time from opening to completion.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service request type")
        verbose_name_plural = _("service request types")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="request_type_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sla(self) -> timedelta:
        return timedelta(hours=self.sla_hours)


class ServiceRequestQuerySet(ScopedQuerySet):
    # A request is seen by whoever sees both its team and its customer, by its customer's
    # relationship manager and by whoever it is given to.
    scope_branch_field = "team_id"
    scope_owner_field = "owner_id"
    scope_follows = "customer"

    def open(self) -> ServiceRequestQuerySet:
        return self.exclude(status__in=ServiceRequest.CLOSED_STATUSES)

    def overdue(self, now=None) -> ServiceRequestQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())


@pghistory.track(*every_change(), meta=event_indexes("service_request_event_trail"))
class ServiceRequest(TenantOwned):
    """A process that starts in one channel and continues in others."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_FOR_CUSTOMER = "waiting_customer", _("Waiting for the customer")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    # The workflow: from each status, the statuses a request may move to.
    TRANSITIONS = {
        Status.SUBMITTED: (Status.ACCEPTED, Status.REJECTED, Status.CANCELLED),
        Status.ACCEPTED: (Status.IN_PROGRESS, Status.REJECTED, Status.CANCELLED),
        Status.IN_PROGRESS: (
            Status.WAITING_FOR_CUSTOMER,
            Status.COMPLETED,
            Status.REJECTED,
            Status.CANCELLED,
        ),
        Status.WAITING_FOR_CUSTOMER: (Status.IN_PROGRESS, Status.CANCELLED),
        Status.COMPLETED: (),
        Status.REJECTED: (),
        Status.CANCELLED: (),
    }
    CLOSED_STATUSES = (Status.COMPLETED, Status.REJECTED, Status.CANCELLED)

    number = models.CharField(_("request number"), max_length=32)
    request_type = models.ForeignKey(
        ServiceRequestType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED
    )
    summary = models.CharField(_("summary"), max_length=300)
    owner = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    opened_channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened in")
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    source = models.CharField(_("source system"), max_length=32, blank=True)
    external_id = models.CharField(_("source system id"), max_length=64, blank=True)

    objects = ScopedManager.from_queryset(ServiceRequestQuerySet)()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        permissions = [
            ("reassign_servicerequest", _("Can reassign service requests to others")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="service_request_number"),
            models.UniqueConstraint(
                fields=["tenant", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="service_request_source_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "owner", "status"], name="request_owner"),
            models.Index(fields=["tenant", "team", "status"], name="request_team"),
            models.Index(fields=["tenant", "status", "due_at"], name="request_due"),
            models.Index(fields=["tenant", "customer", "-opened_at"], name="request_customer"),
            # The "closed" tab, the latest closed first; open requests have no closed_at.
            models.Index(
                fields=["tenant", "closed_at", "id"],
                condition=models.Q(closed_at__isnull=False),
                name="request_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return not self.is_closed and self.due_at < timezone.now()

    def allowed_next_statuses(self) -> tuple[str, ...]:
        return self.TRANSITIONS[self.Status(self.status)]


# Steps are written once and never changed: their insert is the audited event.
@pghistory.track(pghistory.InsertEvent(), meta=event_indexes("request_step_event_trail"))
class ServiceRequestStep(TenantOwned):
    """One move of a request, in the channel where it happened."""

    request = models.ForeignKey(
        ServiceRequest,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("service request"),
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=ServiceRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ServiceRequest.Status.choices)
    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    staff = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    partner_name = models.CharField(_("partner system"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("service request step")
        verbose_name_plural = _("service request steps")
        indexes = [
            models.Index(fields=["tenant", "request", "occurred_at"], name="request_step_request"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"


class BranchFiguresQuerySet(ScopedQuerySet):
    """Figures per branch: seen by the staff of the branch's subtree, never by a single book."""

    scope_branch_field = "branch_id"
    scope_sums_books = True


class OutletFiguresQuerySet(BranchFiguresQuerySet):
    scope_branch_field = "outlet__branch_id"


class DailyChannelRollup(TenantOwned):
    """Interactions of one day, per channel, outlet branch and customer tier.

    Filled by the daily roll-up job (one run per tenant and day); the analytics pages read
    only this table.
    """

    day = models.DateField(_("day"))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    interactions = models.PositiveIntegerField(_("interactions"))
    transactions = models.PositiveIntegerField(_("transactions"))
    # A day's transactions, each at most crm.bounds.MAX_AMOUNT: wide enough for any day.
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=bounds.ROLLUP_DIGITS, decimal_places=2
    )
    customers = models.PositiveIntegerField(_("customers"))

    objects = ScopedManager.from_queryset(BranchFiguresQuerySet)()

    class Meta:
        verbose_name = _("daily channel figures")
        verbose_name_plural = _("daily channel figures")
        permissions = [("view_channel_analytics", _("Can see channel analytics"))]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "channel", "branch", "tier"],
                name="channel_rollup_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="channel_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel_id} {self.branch_id} {self.tier}"


class DailyTierPopulation(TenantOwned):
    """How many active customers each tier had on a day (the base of cost-to-serve).

    Counted per home branch, so that a branch manager's cost per customer divides the
    branch's costs by the branch's customers, not by the whole bank's.
    """

    day = models.DateField(_("day"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    customers = models.PositiveIntegerField(_("customers"))

    objects = ScopedManager.from_queryset(BranchFiguresQuerySet)()

    class Meta:
        verbose_name = _("daily tier population")
        verbose_name_plural = _("daily tier populations")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "branch", "tier"], name="tier_population_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.branch_id} {self.tier}"


class DailyOutletRollup(TenantOwned):
    """Interactions of one day at one outlet (the outlet ranking of the analytics page).

    Filled by the same roll-up job as DailyChannelRollup; interactions without an outlet
    (mobile, online, phone) have no row here.
    """

    day = models.DateField(_("day"))
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="+")
    interactions = models.PositiveIntegerField(_("interactions"))
    transactions = models.PositiveIntegerField(_("transactions"))
    # A day's transactions, each at most crm.bounds.MAX_AMOUNT: wide enough for any day.
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=bounds.ROLLUP_DIGITS, decimal_places=2
    )

    objects = ScopedManager.from_queryset(OutletFiguresQuerySet)()

    class Meta:
        verbose_name = _("daily outlet figures")
        verbose_name_plural = _("daily outlet figures")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day", "outlet"], name="outlet_rollup_unique")
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="outlet_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.outlet_id}"


class CustomerFiguresQuerySet(ScopedQuerySet):
    # A customer's figures are seen by whoever sees the customer.
    scope_follows = "customer"


class MonthlyServiceCost(TenantOwned):
    """What serving one customer cost in one month: each of their contacts that month at its
    channel's cost per transaction (the catalog's cost when the month was last rolled up).

    Written only by the channel roll-up (``channels.rollup``), set-based; value scoring
    reads it through ``channels.selectors.monthly_service_cost_sql``. A customer without a
    contact in a month has no row: their cost to serve is 0.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    contacts = models.PositiveIntegerField(_("contacts"))
    # A month's contacts at a channel's cost each: as wide as the daily roll-ups' sums.
    cost = models.DecimalField(
        _("cost to serve (CNY)"), max_digits=bounds.ROLLUP_DIGITS, decimal_places=2
    )

    objects = ScopedManager.from_queryset(CustomerFiguresQuerySet)()

    class Meta:
        verbose_name = _("monthly cost to serve")
        verbose_name_plural = _("monthly costs to serve")
        constraints = [
            # Month first: the roll-up's upsert and the scoring job's read of one month (by
            # ranges of customer ids) both walk this index.
            models.UniqueConstraint(
                fields=["tenant", "month", "customer"], name="service_cost_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="service_cost_month_first_day"
            ),
            models.CheckConstraint(condition=models.Q(cost__gte=0), name="service_cost_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


class FollowUpQuerySet(ScopedQuerySet):
    # A follow-up is seen by whoever sees its customer, and by its owner wherever the
    # customer is homed (a deputy's or a reassigned one).
    scope_owner_field = "owner_id"
    scope_follows = "customer"

    def open(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUp.Status.OPEN)

    def overdue(self, now: datetime | None = None) -> FollowUpQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())


@pghistory.track(*every_change(), meta=event_indexes("follow_up_event_trail"))
class FollowUp(TenantOwned):
    """A planned contact with a customer (回访): who makes it, by when and why.

    Created by staff, by the bank's rules and by other apps (marketing's tier cadence, risk's
    warnings) through ``channels.follow_ups.follow_up_create``. Completing one logs the
    contact on the customer's timeline (``interaction``). Overdue is not stored: an open
    follow-up whose due time has passed is overdue, so no job has to keep a flag in step.
    """

    class Purpose(models.TextChoices):
        POST_SALE = "post_sale", _("Post-sale callback")
        PERIODIC_VISIT = "periodic_visit", _("Periodic visit")
        WELCOME = "welcome", _("New-customer welcome")
        MATURITY = "maturity", _("Product maturity")
        BIRTHDAY = "birthday", _("Birthday")
        DORMANT = "dormant", _("Dormant reactivation")
        COMPLAINT = "complaint", _("Complaint callback")
        RISK_WARNING = "risk_warning", _("Risk-warning check")
        MANUAL = "manual", _("Manual")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NOT_REACHED = "not_reached", _("Not reached")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
        DECLINED = "declined", _("Declined")
        COMPLAINT_RAISED = "complaint_raised", _("Complaint raised")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    owner = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_at = models.DateTimeField(_("due at"))
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    preferred_channel = models.ForeignKey(
        Channel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred channel"),
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    interaction = models.ForeignKey(
        Interaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    # The attempt this one follows on (a customer not reached, called again later).
    rescheduled_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rescheduled from"),
    )
    created_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Which rule, app or campaign made it ("manual", "marketing.tier_cadence"...).
    source = models.CharField(_("source"), max_length=64)
    # The rule's period ("2026-12" for a monthly visit): with the unique constraint below,
    # a rule run twice for the same period creates nothing twice. Empty for manual ones.
    period = models.CharField(_("period"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = ScopedManager.from_queryset(FollowUpQuerySet)()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        permissions = [("reassign_followup", _("Can reassign follow-ups to others"))]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "purpose", "period"],
                condition=~models.Q(period=""),
                name="follow_up_once_per_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done")
                | (~models.Q(outcome="") & models.Q(completed_at__isnull=False)),
                name="follow_up_done_has_outcome",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                name="follow_up_cancelled_has_reason",
            ),
        ]
        indexes = [
            # "My follow-ups" and a team's: open ones of an owner (or of a branch's staff,
            # owner_id = ANY(…)) by due time. Closed ones are most rows over time and
            # are read only per customer.
            models.Index(
                fields=["tenant", "owner", "due_at"],
                condition=models.Q(status="open"),
                name="follow_up_owner_open",
            ),
            # Every open one by due time: the reminder job's claim of what is due.
            models.Index(
                fields=["tenant", "due_at"],
                condition=models.Q(status="open"),
                name="follow_up_open_due",
            ),
            # A customer's follow-ups (the customer-page panel), and completion rates per
            # owner over the last days.
            models.Index(fields=["tenant", "customer", "-due_at"], name="follow_up_customer"),
            models.Index(
                fields=["tenant", "owner", "completed_at"],
                condition=models.Q(completed_at__isnull=False),
                name="follow_up_owner_completed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()
