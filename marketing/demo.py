"""Demo data of marketing: the demo banks' tier service policy, BZ steering included."""

from __future__ import annotations

from crm.shell.demo import DemoBank
from crm.tenancy.models import Tenant
from customers.models import Customer
from marketing import selectors, services


def load_service_policy(tenant: Tenant, bank: DemoBank) -> None:
    """Give the bank its default policy; steer BZ to the catalog's channels if it names none.

    A bank is created before its channel catalog (channels' loader makes it), so its default
    BZ policy found no channel to suggest; the demo fills them in once the catalog exists.
    """
    services.service_policies_ensure(tenant=tenant)
    policy = selectors.service_policy_for(Customer.Tier.BZ)
    if policy is None or policy.suggested_channels:
        return
    services.service_policy_update(
        tier=policy.tier,
        contact_cadence_days=policy.contact_cadence_days,
        requires_relationship_manager=policy.requires_relationship_manager,
        max_book_size=policy.max_book_size,
        privileges=policy.privileges,
        suggested_channel_ids=services.default_channel_ids(Customer.Tier.BZ),
    )
