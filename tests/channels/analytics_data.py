"""A small hand-made day of contacts at one bank, with the figures worked out by hand.

Bank (tests/conftest.py): head office ─┬─ branch ── sub_branch
                                       └─ other_branch
Outlets: a counter at the branch, an ATM at the other branch.
Customers (active unless said): bank.customer (sub-branch, no tier), Zhao (sub-branch, no
tier), Wang (branch, MVC), Li (other branch, ordinary), bank.other_customer (other branch,
no tier, no contacts), Qian (branch, MVC, closed: not in the population).

On DAY (Asia/Shanghai), with amounts in CNY:
  1 bank.customer  counter at the branch's counter  transaction 12,345.67
  2 bank.customer  mobile                           transaction    200.50 at 23:30
  3 bank.customer  mobile                           enquiry (amount 7.00, not a transaction)
  4 Zhao           mobile                           transaction     10.00
  5 Wang           mobile                           transaction     99.50 at 00:00 sharp
  6 Wang           ATM at the other branch          transaction    500.00
  7 Li             ATM at the other branch          transaction    300.00
  8 Li             counter at the branch's counter  enquiry
  9 Wang           counter at the branch's counter  transaction     50.00
and one mobile transaction of bank.customer a second before DAY and one at the next midnight
(neither belongs to DAY).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from channels.models import Channel, Interaction, Outlet
from customers.models import Customer
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)


def at(hour: int, minute: int = 0, second: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class Contacts:
    bank: object
    channels: dict[str, Channel]
    counter: Outlet
    atm: Outlet
    zhao: Customer
    wang: Customer
    li: Customer
    qian: Customer

    def log(self, customer, channel: str, kind: str, when: datetime, amount=None, outlet=None):
        with self.bank.scope():
            return Interaction.objects.create(
                tenant=self.bank.tenant,
                customer=customer,
                channel=self.channels[channel],
                outlet=outlet,
                kind=kind,
                occurred_at=when,
                amount=None if amount is None else Decimal(amount),
            )


TRANSACTION = Interaction.Kind.TRANSACTION
ENQUIRY = Interaction.Kind.ENQUIRY


def make_contacts(bank, *, day: date = DAY) -> Contacts:
    """Give ``bank`` the customers, outlets and contacts described above, on ``day``."""
    channels = standard_catalog(bank.tenant)["channels"]
    m = bank.marker
    with bank.scope():
        counter = Outlet.objects.create(
            tenant=bank.tenant,
            channel=channels["COUNTER"],
            branch=bank.branch,
            code=f"{m}-CTR",
            name=f"{m}分行营业厅",
            kind=Outlet.Kind.BRANCH_OUTLET,
        )
        atm = Outlet.objects.create(
            tenant=bank.tenant,
            channel=channels["ATM"],
            branch=bank.other_branch,
            code=f"{m}-ATM",
            name=f"{m}二分行ATM",
            kind=Outlet.Kind.ATM,
        )
    contacts = Contacts(
        bank=bank,
        channels=channels,
        counter=counter,
        atm=atm,
        zhao=CustomerFactory(home_branch=bank.sub_branch, number=f"{m}0010", name=f"{m}赵"),
        wang=CustomerFactory(
            home_branch=bank.branch, number=f"{m}0011", name=f"{m}王", tier=Customer.Tier.MVC
        ),
        li=CustomerFactory(
            home_branch=bank.other_branch,
            number=f"{m}0012",
            name=f"{m}李",
            tier=Customer.Tier.ORDINARY,
        ),
        qian=CustomerFactory(
            home_branch=bank.branch,
            number=f"{m}0013",
            name=f"{m}钱",
            tier=Customer.Tier.MVC,
            status=Customer.Status.CLOSED,
        ),
    )
    c, log = bank.customer, contacts.log
    log(c, "COUNTER", TRANSACTION, at(9, day=day), "12345.67", outlet=counter)
    log(c, "MOBILE", TRANSACTION, at(23, 30, day=day), "200.50")
    log(c, "MOBILE", ENQUIRY, at(10, day=day), "7.00")
    log(contacts.zhao, "MOBILE", TRANSACTION, at(11, day=day), "10.00")
    log(contacts.wang, "MOBILE", TRANSACTION, at(0, day=day), "99.50")
    log(contacts.wang, "ATM", TRANSACTION, at(12, day=day), "500.00", outlet=atm)
    log(contacts.li, "ATM", TRANSACTION, at(13, day=day), "300.00", outlet=atm)
    log(contacts.li, "COUNTER", ENQUIRY, at(14, day=day), outlet=counter)
    log(contacts.wang, "COUNTER", TRANSACTION, at(15, day=day), "50.00", outlet=counter)
    # Just outside the day, on either side.
    log(c, "MOBILE", TRANSACTION, at(0, day=day) - timedelta(seconds=1), "1.00")
    log(c, "MOBILE", TRANSACTION, at(0, day=day + timedelta(days=1)), "2.00")
    return contacts
