"""Put customer changes in the auditors' trail."""

from crm.audit.selectors import register_audited_model
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


def register() -> None:
    """Put the customers app's tables in the trail (CustomersConfig.ready() calls this)."""
    register_audited_model(Customer, [*CUSTOMER_SUMMARY, "address", "occupation"])
    register_audited_model(Holding, ["customer", "product", "account_number", "status", "balance"])
    register_audited_model(Consent, ["customer", "purpose", "channel", "granted", "source"])
    register_audited_model(
        CustomerRelationship, ["from_customer", "kind", "to_customer", "note", "ended_on"]
    )
    register_audited_model(Product, ["code", "name", "category", "is_active"])
    register_audited_model(
        BalanceSnapshot, ["customer", "month", "deposits", "loans", "wealth", "aum"]
    )
    register_audited_model(CustomerExport, ["name", "file_format", "filters", "rows"])
