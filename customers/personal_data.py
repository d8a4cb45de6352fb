"""The personal-data copy (PIPL right of access) is made of sections each app declares.

customers declares its own in CustomersConfig.ready(); channels adds contacts, contact
preferences and service requests, and later apps (marketing's scores, risk's complaints)
add theirs the same way, so the copy grows with the product without customers knowing
its apps. A section returns plain rows (dates, Decimals and None are formatted by the
copy); ``profile`` is the one item/value section that the JSON copy shows as fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import (
    Assignment,
    BalanceSnapshot,
    Customer,
    CustomerRelationship,
    Holding,
)

Rows = Callable[[Customer], Iterable[Sequence]]


@dataclass(frozen=True)
class CopySection:
    key: str  # the JSON copy's key
    title: str | Promise  # the XLSX copy's sheet name
    headers: tuple[str | Promise, ...]
    rows: Rows
    order: int = 100


_sections: dict[str, CopySection] = {}


def register_copy_section(section: CopySection) -> CopySection:
    """Add a section to every customer's copy; a key registered again replaces it."""
    _sections[section.key] = section
    return section


def unregister_copy_section(key: str) -> CopySection | None:
    return _sections.pop(key, None)


def copy_sections() -> list[CopySection]:
    return sorted(_sections.values(), key=lambda section: (section.order, section.key))


# --- the customers app's own sections -----------------------------------------------------


def profile_rows(customer: Customer) -> list[tuple]:
    return [
        (_("Customer number"), customer.number),
        (_("Name"), customer.name),
        (_("Type"), customer.get_kind_display()),
        (_("Status"), customer.get_status_display()),
        (_("ID type"), customer.get_id_type_display()),
        (_("ID number"), customer.reveal("id_number")),
        (_("Mobile phone"), customer.reveal("phone")),
        (_("Gender"), customer.get_gender_display()),
        (_("Birth date"), customer.birth_date),
        (_("Occupation"), customer.occupation),
        (_("Income band"), customer.get_income_band_display()),
        (_("Address"), customer.address),
        (_("Industry"), customer.industry),
        (_("Company size"), customer.get_company_size_display()),
        (_("Legal representative"), customer.legal_representative),
        (_("Home branch"), customer.home_branch.name),
        (
            _("Relationship manager"),
            customer.relationship_manager.name if customer.relationship_manager else "",
        ),
        (_("Tier"), customer.get_tier_display()),
        (_("Risk grade"), customer.get_risk_grade_display()),
        (_("AUM (CNY)"), customer.aum),
        (_("Created at"), customer.created_at),
        (_("Updated at"), customer.updated_at),
    ]


def holding_rows(customer: Customer) -> Iterable[list]:
    statuses = dict(Holding.Status.choices)
    for holding in customer.holdings.select_related("product").order_by("opened_on", "pk"):
        yield [
            holding.product.code,
            holding.product.name,
            holding.product.get_category_display(),
            holding.account_number,
            holding.opened_on,
            statuses.get(holding.status, holding.status),
            holding.balance,
        ]


def snapshot_rows(customer: Customer) -> Iterable[list]:
    for snapshot in BalanceSnapshot.objects.filter(customer=customer).order_by("month"):
        yield [
            snapshot.month.strftime("%Y-%m"),
            snapshot.deposits,
            snapshot.loans,
            snapshot.wealth,
            snapshot.aum,
        ]


def relationship_rows(customer: Customer) -> Iterable[list]:
    for relationships in (
        CustomerRelationship.objects.filter(from_customer=customer).select_related("to_customer"),
        CustomerRelationship.objects.filter(to_customer=customer).select_related("from_customer"),
    ):
        for relationship in relationships:
            yield [
                relationship.label_for(customer),
                str(relationship.other(customer)),
                relationship.note,
                relationship.ended_on.isoformat() if relationship.ended_on else "",
            ]


def consent_rows(customer: Customer) -> Iterable[list]:
    for consent in customer.consents.order_by("purpose", "channel"):
        yield [
            consent.get_purpose_display(),
            consent.get_channel_display(),
            _("Granted") if consent.granted else _("Withdrawn"),
            consent.get_source_display(),
            consent.recorded_at,
        ]


def manager_rows(customer: Customer) -> Iterable[list]:
    assignments = (
        Assignment.objects.filter(customer=customer)
        .select_related("previous_manager", "relationship_manager")
        .order_by("changed_at", "pk")
    )
    for assignment in assignments:
        yield [
            assignment.changed_at,
            assignment.get_kind_display(),
            assignment.previous_manager.name if assignment.previous_manager else "",
            assignment.relationship_manager.name if assignment.relationship_manager else "",
            assignment.reason,
        ]


def register_customers_sections() -> None:
    """Register the customers app's sections (CustomersConfig.ready() calls this)."""
    for section in (
        CopySection(
            "profile",
            gettext_lazy("Personal details"),
            (gettext_lazy("Item"), gettext_lazy("Value")),
            profile_rows,
            order=10,
        ),
        CopySection(
            "holdings",
            gettext_lazy("Holdings"),
            (
                gettext_lazy("Product code"),
                gettext_lazy("Product"),
                gettext_lazy("Category"),
                gettext_lazy("Account number"),
                gettext_lazy("Opened on"),
                gettext_lazy("Status"),
                gettext_lazy("Balance (CNY)"),
            ),
            holding_rows,
            order=20,
        ),
        CopySection(
            "monthly_balances",
            gettext_lazy("Monthly balances"),
            (
                gettext_lazy("Month"),
                gettext_lazy("Deposits"),
                gettext_lazy("Loans"),
                gettext_lazy("Wealth, funds and insurance"),
                gettext_lazy("AUM"),
            ),
            snapshot_rows,
            order=30,
        ),
        CopySection(
            "relationships",
            gettext_lazy("Relationships"),
            (
                gettext_lazy("Relationship"),
                gettext_lazy("Related customer"),
                gettext_lazy("Note"),
                gettext_lazy("Ended on"),
            ),
            relationship_rows,
            order=40,
        ),
        CopySection(
            "consents",
            gettext_lazy("Consents"),
            (
                gettext_lazy("Purpose"),
                gettext_lazy("Channel"),
                gettext_lazy("Answer"),
                gettext_lazy("Source"),
                gettext_lazy("Recorded at"),
            ),
            consent_rows,
            order=50,
        ),
        CopySection(
            "relationship_managers",
            gettext_lazy("Relationship manager history"),
            (
                gettext_lazy("Changed at"),
                gettext_lazy("Change"),
                gettext_lazy("Previous"),
                gettext_lazy("New"),
                gettext_lazy("Reason"),
            ),
            manager_rows,
            order=60,
        ),
    ):
        register_copy_section(section)
