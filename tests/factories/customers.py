from datetime import date
from decimal import Decimal

import factory

from crm.tenancy.context import tenant_context
from customers.models import Assignment, BalanceSnapshot, Consent, Customer, Holding, Product
from tests.factories.base import TenantOwnedFactory

# Valid PRC resident ID numbers (GB 11643 checksum) for tests.
RESIDENT_IDS = [
    "11010519491231002X",
    "110101199003074477",
    "440524188001010014",
    "310104197512123414",
    "320102198811112831",
]


class CustomerFactory(TenantOwnedFactory):
    class Meta:
        model = Customer

    tenant = factory.LazyAttribute(lambda o: o.home_branch.tenant)
    home_branch = None
    number = factory.Sequence(lambda n: f"C{n:08d}")
    kind = Customer.Kind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"客户{n}")
    status = Customer.Status.ACTIVE
    relationship_manager = None
    # Not model fields: given in clear, stored encrypted by _create (factory Params would
    # never reach it).
    id_number = ""
    phone = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        id_number = kwargs.pop("id_number", "")
        phone = kwargs.pop("phone", "")
        tenant = kwargs["tenant"]
        with tenant_context(tenant):
            customer = model_class(*args, **kwargs)
            if id_number:
                customer.set_id_number(Customer.IdType.RESIDENT_ID, id_number)
            if phone:
                customer.set_phone(phone)
            customer.save()
        return customer


class ProductFactory(TenantOwnedFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    category = Product.Category.DEPOSIT


class HoldingFactory(TenantOwnedFactory):
    class Meta:
        model = Holding

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    product = factory.LazyAttribute(lambda o: ProductFactory(tenant=o.customer.tenant))
    account_number = factory.Sequence(lambda n: f"6222{n:012d}")
    opened_on = date(2020, 1, 1)
    balance = Decimal("10000.00")


class BalanceSnapshotFactory(TenantOwnedFactory):
    class Meta:
        model = BalanceSnapshot

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    month = date(2026, 1, 1)
    deposits = Decimal("10000.00")
    loans = Decimal("0.00")
    wealth = Decimal("0.00")
    aum = Decimal("10000.00")


class AssignmentFactory(TenantOwnedFactory):
    """A recorded change of manager; it records history only, the customer is not changed."""

    class Meta:
        model = Assignment

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    kind = Assignment.Kind.ASSIGN
    relationship_manager = None
    reason = "开户"


class ConsentFactory(TenantOwnedFactory):
    class Meta:
        model = Consent

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    purpose = Consent.Purpose.MARKETING
    channel = Consent.Channel.SMS
    granted = True
    source = Consent.Source.COUNTER
