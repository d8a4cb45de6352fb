"""Put customer changes in the auditors' trail."""

from crm.audit.selectors import register_audited_model, register_customer_lookup
from crm.tenancy.models import Staff
from customers.models import (
    CUSTOMER_SUMMARY,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerExport,
    CustomerRelationship,
    Holding,
    Product,
)


def customer_numbered(staff: Staff, number: str) -> Customer | None:
    """The customer the auditor names by number in the trail's filter, within their scope."""
    return Customer.objects.in_scope(staff).filter(number=number).first()


def register() -> None:
    """Put the customers app's tables in the trail (CustomersConfig.ready() calls this)."""
    register_audited_model(
        Customer, [*CUSTOMER_SUMMARY, "address", "occupation"], customer=["pgh_obj"]
    )
    register_audited_model(
        Holding,
        ["customer", "product", "account_number", "status", "balance"],
        customer=["customer"],
    )
    register_audited_model(
        Consent, ["customer", "purpose", "channel", "granted", "source"], customer=["customer"]
    )
    register_audited_model(
        CustomerRelationship,
        ["from_customer", "kind", "to_customer", "note", "ended_on"],
        customer=["from_customer", "to_customer"],
    )
    register_audited_model(Product, ["code", "name", "category", "is_active"])
    register_audited_model(
        BalanceSnapshot,
        ["customer", "month", "deposits", "loans", "wealth", "aum"],
        customer=["customer"],
    )
    register_audited_model(CustomerExport, ["name", "file_format", "filters", "rows"])
    register_customer_lookup(customer_numbered)
