"""The customer page's "Service level" panel: what the bank's tier service policy promises.

It shows the customer's tier, the contact cadence, whether the tier requires a relationship
manager and whether the customer has one, the tier's privileges and, for below-zero
customers, the electronic channels staff steer them to. Three queries at most (the policy,
its privileges, its channels), whatever the customer's data: the tier and the manager are
already on the customer row the page read.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.panels import Panel
from marketing import selectors


def service_level_context(request: HttpRequest, customer: Customer) -> dict:
    policy = selectors.service_policy_for(customer.tier)
    has_manager = customer.relationship_manager_id is not None
    return {
        "policy": policy,
        "has_manager": has_manager,
        "manager_missing": policy is not None
        and policy.requires_relationship_manager
        and not has_manager,
        "shows_channels": policy is not None
        and (customer.tier == Customer.Tier.BZ or bool(policy.suggested_channels)),
    }


SERVICE_LEVEL_PANEL = Panel(
    key="service_level",
    title=_("Service level"),
    template="marketing/panels/service_level.html",
    context=service_level_context,
    order=35,
    width="col-lg-6 col-xl-4",
    lazy=True,
)
