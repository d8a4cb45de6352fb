"""The tier service policy every bank starts with (its administrators edit it afterwards).

Used by the migration that gives existing banks their policy (with its historical models)
and, for banks created later, by ``services.service_policies_ensure``. Privilege names are
stored in the language active when they are created, as the channel catalog's names are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from channels.models import Channel
from customers.models import Customer


@dataclass(frozen=True)
class DefaultPolicy:
    cadence_days: int | None = None
    requires_relationship_manager: bool = False
    max_book_size: int | None = None
    privileges: tuple[StrOrPromise, ...] = ()
    # Channel kinds of the bank's catalog suggested to the tier's customers (electronic only).
    channel_kinds: tuple[str, ...] = field(default_factory=tuple)


DEFAULTS: dict[str, DefaultPolicy] = {
    Customer.Tier.MVC: DefaultPolicy(
        cadence_days=30,
        requires_relationship_manager=True,
        max_book_size=150,
        privileges=(
            _("Priority service window"),
            _("Fee waivers on transfers and statements"),
            _("Dedicated relationship manager"),
        ),
    ),
    Customer.Tier.MGC: DefaultPolicy(
        cadence_days=60, max_book_size=300, privileges=(_("Priority service window"),)
    ),
    Customer.Tier.BZ: DefaultPolicy(
        channel_kinds=(Channel.Kind.MOBILE, Channel.Kind.ONLINE, Channel.Kind.WECHAT)
    ),
}
# Ordinary customers, and any tier customers adds later, start with no cadence, no cap.
NO_POLICY = DefaultPolicy()


def default_for(tier: str) -> DefaultPolicy:
    return DEFAULTS.get(tier, NO_POLICY)


def create_default_policies(
    *,
    tenant_id: int,
    policy_model: Any,
    privilege_model: Any,
    suggested_model: Any,
    channel_model: Any,
) -> int:
    """Give the bank a policy for each tier it has none for; return how many were created.

    The models are parameters so that a migration can pass its historical ones.
    """
    existing = set(
        policy_model._base_manager.filter(tenant_id=tenant_id).values_list("tier", flat=True)
    )
    created = 0
    for tier in Customer.Tier.values:
        if tier in existing:
            continue
        default = default_for(tier)
        policy = policy_model._base_manager.create(
            tenant_id=tenant_id,
            tier=tier,
            contact_cadence_days=default.cadence_days,
            requires_relationship_manager=default.requires_relationship_manager,
            max_book_size=default.max_book_size,
        )
        privilege_model._base_manager.bulk_create(
            privilege_model(tenant_id=tenant_id, policy=policy, name=str(name), position=position)
            for position, name in enumerate(default.privileges)
        )
        if default.channel_kinds:
            channels = channel_model._base_manager.filter(
                tenant_id=tenant_id,
                kind__in=default.channel_kinds,
                is_electronic=True,
                is_active=True,
            )
            suggested_model._base_manager.bulk_create(
                suggested_model(tenant_id=tenant_id, policy=policy, channel=channel)
                for channel in channels
            )
        created += 1
    return created
