"""Customers of a bank, what they hold, who looks after them and what they agreed to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm import bounds, pii
from crm.tenancy.managers import ScopedManager, ScopedQuerySet
from crm.tenancy.models import Branch, Staff, TenantOwned, event_indexes, every_change
from customers.names import given_name_expression

FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> int:
    return int((amount / FEN).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) * FEN).quantize(FEN)


PHONE_TAIL_DIGITS = 4


def phone_tail_index(phone: str, *, tenant_id: int) -> bytes | None:
    """The keyed hash of a phone number's last four digits (None without a number)."""
    digits = "".join(character for character in phone if character.isdigit())
    if len(digits) < PHONE_TAIL_DIGITS:
        return None
    return pii.blind_index("phone_tail", digits[-PHONE_TAIL_DIGITS:], tenant_id=tenant_id)


class CustomerQuerySet(ScopedQuerySet):
    # A customer belongs to the home branch's subtree and to their relationship manager's book.
    scope_branch_field = "home_branch_id"
    scope_book_field = "relationship_manager_id"

    def in_pool(self) -> CustomerQuerySet:
        """Customers no relationship manager looks after (the public pool, 公海)."""
        return self.filter(relationship_manager__isnull=True, status=Customer.Status.ACTIVE)

    # Conditions that, OR-ed, make this queryset's search: ``customers.selectors.customer_page``
    # reads each through its own index and merges them (PostgreSQL reads an OR of two
    # conditions on different indexes as a bitmap of every match, then sorts them all).
    alternatives: tuple[Q, ...] = ()

    # The OR of the alternatives as this queryset filters by it, so that each alternative can
    # be read without it (an OR in the query lets PostgreSQL plan a bitmap of both).
    search_condition: object = None

    def _clone(self) -> CustomerQuerySet:
        clone = super()._clone()
        clone.alternatives = self.alternatives
        clone.search_condition = self.search_condition
        return clone

    def without_search_condition(self) -> CustomerQuerySet:
        """This queryset without the OR of its alternatives (every other filter kept)."""
        queryset = self._chain()
        if self.search_condition is not None:
            where = queryset.query.where
            where.children = [c for c in where.children if c != self.search_condition]
        return queryset

    def __or__(self, other):
        # Another OR-ed queryset: the alternatives no longer make the whole search.
        combined = super().__or__(other)
        combined.alternatives = ()
        combined.search_condition = None
        return combined

    def name_starts_with(self, prefix: str) -> CustomerQuerySet:
        # ^@ on the "C" collation: leakproof, so index-backed under row-level security.
        return self.alias(name_c=Collate("name", "C")).filter(name_c__prefix=prefix)

    def name_or_given_name(self, text: str) -> CustomerQuerySet:
        """Customers whose name begins with ``text``, or whose given name does.

        One character is most often a surname: it matches a given name only exactly (李芳
        for "芳"), not every given name beginning with it.
        """
        text = text.strip()
        by_name = Q(name_c__prefix=text)
        given = Q(given_name=text) if len(text) < 2 else Q(given_name__prefix=text)
        # The second excludes the first's matches, so that no customer comes twice.
        alternatives = (by_name, given & ~by_name)
        queryset = self.alias(name_c=Collate("name", "C")).filter(by_name | given)
        queryset.alternatives = alternatives
        queryset.search_condition = queryset.query.where.children[-1]
        return queryset

    def with_phone_tail(
        self, digits: str, *, tenant_id: int, name: str = "", birth_year: int | None = None
    ) -> CustomerQuerySet:
        """Customers whose phone ends in ``digits``, with the beginning of the name or born
        in ``birth_year`` (the composite indexes serve the two together)."""
        queryset = self.filter(phone_tail_index=phone_tail_index(digits, tenant_id=tenant_id))
        if name:
            queryset = queryset.name_starts_with(name)
        if birth_year is not None:
            queryset = queryset.filter(
                birth_date__gte=date(birth_year, 1, 1), birth_date__lt=date(birth_year + 1, 1, 1)
            )
        return queryset

    def with_phone(self, phone: str, *, tenant_id: int) -> CustomerQuerySet:
        return self.filter(phone_index=pii.blind_index("phone", phone, tenant_id=tenant_id))

    def with_id_number(self, id_number: str, *, tenant_id: int) -> CustomerQuerySet:
        return self.filter(
            id_number_index=pii.blind_index("id_number", id_number, tenant_id=tenant_id)
        )


class CustomerManager(ScopedManager.from_queryset(CustomerQuerySet)):
    pass


# A customer's own details, in the order the admin, the partner API and the generator list
# them; what each adds (identity numbers, branch, manager, figures) comes after.
CUSTOMER_DETAILS = (
    "number",
    "kind",
    "name",
    "status",
    "gender",
    "birth_date",
    "occupation",
    "income_band",
    "address",
    "industry",
    "company_size",
    "legal_representative",
    "id_type",
)
# What a list of customers shows of each: the admin's list and the auditors' trail.
CUSTOMER_SUMMARY = (
    "number",
    "name",
    "kind",
    "status",
    "home_branch",
    "relationship_manager",
    "tier",
    "risk_grade",
    "id_number_masked",
    "phone_masked",
)


# The search keys derived from the name and the phone are not history: they follow the
# tracked values they are made from.
@pghistory.track(
    *every_change(),
    exclude=["given_name", "phone_tail_index"],
    meta=event_indexes("customer_event_trail"),
)
class Customer(TenantOwned):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        CLOSED = "closed", _("Closed")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class IncomeBand(models.TextChoices):
        BELOW_50K = "lt50k", _("Below 50,000 a year")
        FROM_50K = "50k_150k", _("50,000–150,000 a year")
        FROM_150K = "150k_500k", _("150,000–500,000 a year")
        FROM_500K = "500k_1m", _("500,000–1,000,000 a year")
        ABOVE_1M = "gt1m", _("Above 1,000,000 a year")

    class CompanySize(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card")
        PASSPORT = "passport", _("Passport")
        USCC = "uscc", _("Unified social credit code")

    class Tier(models.TextChoices):
        MVC = "mvc", _("Most valuable (MVC)")
        MGC = "mgc", _("Most growable (MGC)")
        ORDINARY = "ordinary", _("Ordinary")
        BZ = "bz", _("Below zero (BZ)")
        # Customers of less than the rules' few months: too new for their contribution to
        # say anything yet (it comes first in the tier rules' precedence).
        # "New customer" alone is the button that creates one (新建客户); the tier is 新客户.
        NEW = "new", pgettext_lazy("tier", "New customer")

    class RiskGrade(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        VERY_HIGH = "very_high", _("Very high")

    number = models.CharField(_("customer number"), max_length=32)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    # What follows the surname (compound surnames such as 欧阳 known), derived by the
    # database from the name so that every writer keeps it; searched with = and ^@.
    given_name = models.GeneratedField(
        expression=given_name_expression(),
        output_field=models.CharField(max_length=200, db_collation="C"),
        db_persist=True,
        verbose_name=_("given name"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # individuals
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    # 1900 to today: customers.rules, for every way in; a CHECK below as the backstop.
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    income_band = models.CharField(
        _("income band"), max_length=16, choices=IncomeBand.choices, blank=True
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    # corporates
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    company_size = models.CharField(
        _("company size"), max_length=8, choices=CompanySize.choices, blank=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    # identity and phone: encrypted, blind-indexed, masked (see crm.pii)
    id_type = models.CharField(_("ID type"), max_length=16, choices=IdType.choices, blank=True)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_index = models.BinaryField(null=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=40, blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_index = models.BinaryField(null=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    # A keyed hash of the phone's last four digits (尾号), for "5678 张" searches. Only
    # 10,000 values: searched only together with the name or the birth year.
    phone_tail_index = models.BinaryField(null=True, editable=False)
    # relationship
    home_branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("home branch")
    )
    relationship_manager = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("relationship manager"),
    )
    # kept on the row by the jobs that compute them (marketing, risk), for list filters
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True)
    risk_grade = models.CharField(
        _("risk grade"), max_length=16, choices=RiskGrade.choices, blank=True
    )
    # assets under management in fen: lists filter and sort on it (bigint stays indexable
    # under row-level security, numeric does not)
    aum_fen = models.BigIntegerField(_("AUM (fen)"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerManager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("reveal_personal_data", _("Can see ID and phone numbers in clear")),
            ("hand_over_customers", _("Can hand customers over between relationship managers")),
            ("claim_from_pool", _("Can claim customers from the public pool")),
            ("import_customers", _("Can import customers and holdings")),
            ("export_customers", _("Can export customer lists")),
            ("export_personal_data", _("Can download a customer's personal-data copy")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="customer_number_unique"),
            bounds.date_check("birth_date", name="customer_birth_date_bounds", nullable=True),
            # recompute_aum clamps, so that this can never refuse a holdings load.
            models.CheckConstraint(
                condition=Q(aum_fen__gte=0, aum_fen__lte=bounds.MAX_CUSTOMER_TOTAL_FEN),
                name="customer_aum_bounds",
            ),
        ]
        indexes = [
            # A name search reads the page's keys from here alone (an index-only scan) and
            # then 50 rows by id: with the given name and the scope's columns in the index,
            # neither the OR with the given name nor a branch scope needs the table.
            models.Index(
                "tenant",
                Collate("name", "C"),
                "id",
                include=["given_name", "home_branch", "relationship_manager"],
                name="customer_name_c",
            ),
            models.Index(fields=["tenant", "id_number_index"], name="customer_id_number_index"),
            models.Index(fields=["tenant", "phone_index"], name="customer_phone_index"),
            # Given name: exact matches come in name order from the index itself.
            models.Index(
                "tenant",
                "given_name",
                Collate("name", "C"),
                "id",
                include=["home_branch", "relationship_manager"],
                name="customer_given_name",
            ),
            # The phone's last four digits with the beginning of the name, or a birth year.
            models.Index(
                "tenant", "phone_tail_index", Collate("name", "C"), name="customer_tail_name"
            ),
            models.Index(
                fields=["tenant", "phone_tail_index", "birth_date"], name="customer_tail_birth"
            ),
            models.Index(fields=["tenant", "home_branch", "id"], name="customer_branch"),
            models.Index(fields=["tenant", "relationship_manager", "id"], name="customer_rm"),
            models.Index(fields=["tenant", "tier", "id"], name="customer_tier"),
            # Branch subtree + tier: one index range per branch, read newest first.
            models.Index(
                fields=["tenant", "home_branch", "tier", "id"], name="customer_branch_tier"
            ),
            models.Index(fields=["tenant", "aum_fen", "id"], name="customer_aum"),
            models.Index(fields=["tenant", "-id"], name="customer_newest"),
            # Partner systems sync with ?updated_since=: only the customers changed since.
            models.Index(fields=["tenant", "updated_at"], name="customer_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    @property
    def aum(self) -> Decimal:
        return from_fen(self.aum_fen)

    def set_id_number(self, id_type: str, value: str) -> None:
        value = pii.normalise("id_number", value)
        self.id_type = id_type
        self.id_number_encrypted = pii.encrypt(value) if value else ""
        self.id_number_index = (
            pii.blind_index("id_number", value, tenant_id=self.tenant_id) if value else None
        )
        self.id_number_masked = pii.mask(value) if value else ""

    def set_phone(self, value: str) -> None:
        value = pii.normalise("phone", value)
        self.phone_encrypted = pii.encrypt(value) if value else ""
        self.phone_index = (
            pii.blind_index("phone", value, tenant_id=self.tenant_id) if value else None
        )
        self.phone_masked = pii.mask(value, keep_start=3, keep_end=4) if value else ""
        self.phone_tail_index = phone_tail_index(value, tenant_id=self.tenant_id)

    def reveal(self, field: str) -> str:
        """Return the clear value of ``id_number`` or ``phone``; log it with pii_reveal."""
        token = {"id_number": self.id_number_encrypted, "phone": self.phone_encrypted}[field]
        return pii.decrypt(token) if token else ""


class CustomerRelationshipQuerySet(ScopedQuerySet):
    def of_customer(self, customer: Customer) -> CustomerRelationshipQuerySet:
        """The relationships ``customer`` is in, whichever way they were recorded."""
        return self.filter(models.Q(from_customer=customer) | models.Q(to_customer=customer))

    def current(self) -> CustomerRelationshipQuerySet:
        return self.filter(ended_on__isnull=True)


class CustomerRelationshipManager(ScopedManager.from_queryset(CustomerRelationshipQuerySet)):
    pass


@pghistory.track(*every_change(), meta=event_indexes("relationship_event_trail"))
class CustomerRelationship(TenantOwned):
    """How two customers are related, read in both directions.

    A relationship that no longer holds is ended (``ended_on``), never deleted: who was
    whose guarantor or legal representative, and until when, stays on record.
    """

    class Kind(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        HOUSEHOLD = "household", _("Household member")
        LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
        SHAREHOLDER = "shareholder", _("Shareholder")
        GUARANTOR = "guarantor", _("Guarantor")
        EMPLOYER = "employer", _("Employer")

    # "<from_customer> is the <kind> of <to_customer>"; the inverse reading for the other.
    INVERSE_LABELS = {
        Kind.SPOUSE: _("Spouse"),
        Kind.PARENT: _("Child"),
        Kind.HOUSEHOLD: _("Household member"),
        Kind.LEGAL_REPRESENTATIVE: _("Represented company"),
        Kind.SHAREHOLDER: _("Company invested in"),
        Kind.GUARANTOR: _("Guaranteed party"),
        Kind.EMPLOYER: _("Employee"),
    }
    # Kinds that read the same both ways: A is B's spouse exactly when B is A's.
    SYMMETRIC = frozenset({Kind.SPOUSE, Kind.HOUSEHOLD})

    from_customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="relationships_from",
        verbose_name=_("customer"),
    )
    to_customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="relationships_to",
        verbose_name=_("related customer"),
    )
    kind = models.CharField(_("relationship"), max_length=32, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = CustomerRelationshipManager()

    class Meta:
        verbose_name = _("customer relationship")
        verbose_name_plural = _("customer relationships")
        constraints = [
            # Once per pair and kind while it holds; ended ones stay beside a new one.
            models.UniqueConstraint(
                fields=["tenant", "from_customer", "to_customer", "kind"],
                condition=models.Q(ended_on__isnull=True),
                name="customer_relationship_current_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_customer=models.F("to_customer")),
                name="customer_relationship_not_self",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "from_customer"], name="relationship_from"),
            models.Index(fields=["tenant", "to_customer"], name="relationship_to"),
        ]

    def __str__(self) -> str:
        return f"{self.from_customer} – {self.get_kind_display()} – {self.to_customer}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    def label_for(self, customer: Customer) -> str:
        """How the *other* customer relates to ``customer``."""
        if customer.pk == self.to_customer_id:
            return str(self.get_kind_display())
        return str(self.INVERSE_LABELS[self.kind])

    def other(self, customer: Customer) -> Customer:
        return self.from_customer if customer.pk == self.to_customer_id else self.to_customer

    def role_of_other(self, customer: Customer) -> str:
        """The ``RelationshipRole`` the other customer has for ``customer`` (see rules)."""
        if customer.pk == self.to_customer_id or self.kind in self.SYMMETRIC:
            return self.kind
        return f"{INVERSE_PREFIX}{self.kind}"


# A role "~parent" reads the relationship from the parent's side: the other is the child.
INVERSE_PREFIX = "~"


@pghistory.track(*every_change(), meta=event_indexes("product_event_trail"))
class Product(TenantOwned):
    class Category(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        LOAN = "loan", _("Loan")
        WEALTH = "wealth", _("Wealth management")
        FUND = "fund", _("Fund")
        INSURANCE = "insurance", _("Insurance")
        CARD = "card", _("Card")
        E_BANKING = "e_banking", _("E-banking")

    ASSET_CATEGORIES = (Category.DEPOSIT, Category.WEALTH, Category.FUND, Category.INSURANCE)
    LIABILITY_CATEGORIES = (Category.LOAN, Category.CARD)

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="product_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class HoldingQuerySet(ScopedQuerySet):
    # A holding is seen by whoever sees its customer.
    scope_follows = "customer"


@pghistory.track(*every_change(), meta=event_indexes("holding_event_trail"))
class Holding(TenantOwned):
    """An account or product a customer holds, as core banking reports it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("customer")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    account_number = models.CharField(_("account number"), max_length=40)
    opened_on = models.DateField(_("opened on"), validators=bounds.date_validators())
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # What the customer holds or, for loans and cards, owes: never negative (crm.bounds).
    balance = models.DecimalField(
        _("balance (CNY)"),
        max_digits=18,
        decimal_places=2,
        validators=bounds.amount_validators(),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedManager.from_queryset(HoldingQuerySet)()

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account_number"], name="holding_account_unique"
            ),
            bounds.amount_check("balance", name="holding_balance_bounds"),
            bounds.date_check("opened_on", name="holding_opened_on_bounds"),
        ]
        indexes = [
            # A customer's holdings; and their earliest opening ("customer since", which
            # value scoring reads for a million customers) from the index alone.
            models.Index(fields=["tenant", "customer", "opened_on"], name="holding_customer_opened")
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.account_number}"

    def clean(self) -> None:
        """Refuse a balance that takes the customer's holdings past the bound of one
        customer (the admin's way in; feeds and imports check whole batches)."""
        from customers.selectors import customer_total_refusal, customers_over_total

        if self.customer_id is None or self.balance is None:
            return
        if customers_over_total([(self.account_number, self.customer_id, self.balance)]):
            raise ValidationError({"balance": customer_total_refusal()})


# A monthly balance's figures are a customer's totals.
TOTAL_VALIDATORS = bounds.amount_validators(bounds.MAX_CUSTOMER_TOTAL)


@pghistory.track(*every_change(), meta=event_indexes("snapshot_event_trail"))
class BalanceSnapshot(TenantOwned):
    """A customer's balances at the end of a month; value scoring reads these."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("customer")
    )
    month = models.DateField(
        _("month"), help_text=_("The first day of the month."), validators=bounds.date_validators()
    )
    deposits = models.DecimalField(
        _("deposits"), max_digits=18, decimal_places=2, validators=TOTAL_VALIDATORS
    )
    loans = models.DecimalField(
        _("loans"), max_digits=18, decimal_places=2, validators=TOTAL_VALIDATORS
    )
    wealth = models.DecimalField(
        _("wealth, funds and insurance"),
        max_digits=18,
        decimal_places=2,
        validators=TOTAL_VALIDATORS,
    )
    aum = models.DecimalField(
        _("AUM"), max_digits=18, decimal_places=2, validators=TOTAL_VALIDATORS
    )

    class Meta:
        verbose_name = _("monthly balance")
        verbose_name_plural = _("monthly balances")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "month"], name="snapshot_customer_month_unique"
            ),
            bounds.date_check("month", name="snapshot_month_bounds"),
            *(
                bounds.amount_check(
                    figure, name=f"snapshot_{figure}_bounds", largest=bounds.MAX_CUSTOMER_TOTAL
                )
                for figure in ("deposits", "loans", "wealth", "aum")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


class Assignment(TenantOwned):
    """One change of a customer's relationship manager, with who did it and why."""

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("Assigned")
        HANDOVER = "handover", _("Handed over")
        CLAIM = "claim", _("Claimed from the pool")
        RELEASE = "release", _("Released to the pool")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("customer")
    )
    kind = models.CharField(_("change"), max_length=16, choices=Kind.choices)
    previous_manager = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous relationship manager"),
    )
    relationship_manager = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("relationship manager"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("relationship manager change")
        verbose_name_plural = _("relationship manager changes")
        indexes = [
            models.Index(fields=["tenant", "customer", "-changed_at"], name="assignment_customer"),
            models.Index(
                fields=["tenant", "relationship_manager", "kind", "-changed_at"],
                name="assignment_claims",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.get_kind_display()}"


@pghistory.track(*every_change(), meta=event_indexes("consent_event_trail"))
class Consent(TenantOwned):
    """A customer's current answer for one purpose and channel; its history is tracked."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        PERSONALISED_OFFERS = (
            "personalised_offers",
            _("Use of financial data for personalised offers"),
        )
        DATA_SHARING = "data_sharing", _("Sharing data with partners")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        PHONE = "phone", _("Phone")
        WECHAT = "wechat", _("WeChat")
        EMAIL = "email", _("E-mail")
        ANY = "any", _("Any channel")

    class Source(models.TextChoices):
        COUNTER = "counter", _("Counter")
        PHONE = "phone", _("Phone banking")
        MOBILE_APP = "mobile_app", _("Mobile app")
        ONLINE = "online", _("Online banking")
        LETTER = "letter", _("Letter")
        SMS_REPLY = "sms_reply", _("SMS reply")
        IMPORT = "import", _("Import")
        API = "api", _("Partner system")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", verbose_name=_("customer")
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "purpose", "channel"], name="consent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose}/{self.channel}={self.granted}"


class CustomerSettings(TenantOwned):
    """Per-bank rules of the customers app."""

    pool_claim_limit = models.PositiveIntegerField(
        _("pool claims per relationship manager per month"), default=30
    )

    class Meta:
        verbose_name = _("customer settings")
        verbose_name_plural = _("customer settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="customer_settings_once")]

    def __str__(self) -> str:
        return str(_("customer settings"))

    @classmethod
    def current(cls) -> CustomerSettings:
        settings = cls.objects.first()
        return settings if settings is not None else cls(pool_claim_limit=30)


class CustomerFiguresQuerySet(ScopedQuerySet):
    # A customer's figures are seen by whoever sees the customer.
    scope_follows = "customer"


class MonthlyRiskCost(TenantOwned):
    """What a customer's credit risk cost the bank in one month (expected loss, provisions).

    Credit risk fills it (``customers.services.monthly_risk_costs_record``); value scoring
    reads it (``customers.selectors.monthly_risk_cost_sql``) without importing risk. A
    customer without a row has a risk cost of 0.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(
        _("risk cost (CNY)"),
        max_digits=18,
        decimal_places=2,
        validators=TOTAL_VALIDATORS,
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = ScopedManager.from_queryset(CustomerFiguresQuerySet)()

    class Meta:
        verbose_name = _("monthly risk cost")
        verbose_name_plural = _("monthly risk costs")
        constraints = [
            # Month first: the scoring job reads one month by ranges of customer ids.
            models.UniqueConstraint(
                fields=["tenant", "month", "customer"], name="risk_cost_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="risk_cost_month_first_day"
            ),
            bounds.date_check("month", name="risk_cost_month_bounds"),
            bounds.amount_check(
                "amount", name="risk_cost_amount_bounds", largest=bounds.MAX_CUSTOMER_TOTAL
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


from customers.intake.models import CustomerExport, ImportJob  # noqa: E402,F401
