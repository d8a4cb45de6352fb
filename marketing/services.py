"""Marketing's actions: each is what the pages, jobs and admin call to change its data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from crm.domain import DomainError
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Tenant
from customers.models import Customer
from marketing import policy_defaults
from marketing.models import ServicePrivilege, SuggestedChannel, TierServicePolicy

MAX_PRIVILEGES = 20


def service_policies_ensure(*, tenant: Tenant) -> int:
    """Give the current bank the default policy of each tier it has none for; how many.

    Run for a new bank (marketing's AppConfig connects it to the bank's creation); the
    migration did it for the banks that existed before.
    """
    return policy_defaults.create_default_policies(
        tenant_id=tenant.pk,
        policy_model=TierServicePolicy,
        privilege_model=ServicePrivilege,
        suggested_model=SuggestedChannel,
        channel_model=Channel,
    )


def default_channel_ids(tier: str) -> list[int]:
    """The bank's active electronic channels of the kinds the default policy of ``tier``
    suggests (none for most tiers)."""
    kinds = policy_defaults.default_for(tier).channel_kinds
    if not kinds:
        return []
    channels = Channel.objects.filter(kind__in=kinds, is_electronic=True, is_active=True)
    return list(channels.order_by("code").values_list("pk", flat=True))


def _check_privileges(privileges: Sequence[str]) -> list[str]:
    names = [name.strip() for name in privileges if name.strip()]
    if len(names) > MAX_PRIVILEGES:
        raise DomainError(
            _("List at most %(most)d privileges.") % {"most": MAX_PRIVILEGES}, field="privileges"
        )
    seen: set[str] = set()
    for name in names:
        if len(name) > 100:
            raise DomainError(
                _("“%(name)s…” is longer than 100 characters.") % {"name": name[:20]},
                field="privileges",
            )
        if name in seen:
            raise DomainError(_("“%(name)s” is listed twice.") % {"name": name}, field="privileges")
        seen.add(name)
    return names


def _check_channels(channel_ids: Iterable[int]) -> list[Channel]:
    ids = set(channel_ids)
    channels = list(Channel.objects.filter(pk__in=ids, is_electronic=True, is_active=True))
    if len(channels) != len(ids):
        raise DomainError(
            _("Suggest only active electronic channels of the bank's catalog."),
            field="suggested_channels",
        )
    return channels


@transaction.atomic
def service_policy_update(
    *,
    tier: str,
    contact_cadence_days: int | None,
    requires_relationship_manager: bool,
    max_book_size: int | None,
    privileges: Sequence[str],
    suggested_channel_ids: Iterable[int] = (),
) -> TierServicePolicy:
    """Set the current bank's policy for ``tier``: the row and its lists, in one transaction.

    Privileges keep their rows where their names stay (only the position moves), so the
    audit trail shows what the administrator added, removed or reordered, not a rewrite.
    The model's triggers record every change with the request's user.
    """
    if tier not in Customer.Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    names = _check_privileges(privileges)
    channels = _check_channels(suggested_channel_ids)
    tenant = require_tenant()
    policy = TierServicePolicy.objects.select_for_update().filter(tier=tier).first()
    if policy is None:
        policy = TierServicePolicy(tenant=tenant, tier=tier)
    policy.contact_cadence_days = contact_cadence_days
    policy.requires_relationship_manager = requires_relationship_manager
    policy.max_book_size = max_book_size
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save()

    existing = {privilege.name: privilege for privilege in policy.privileges.all()}
    ServicePrivilege.objects.filter(policy=policy).exclude(name__in=names).delete()
    for position, name in enumerate(names):
        privilege = existing.get(name)
        if privilege is None:
            ServicePrivilege.objects.create(
                tenant=tenant, policy=policy, name=name, position=position
            )
        elif privilege.position != position:
            privilege.position = position
            privilege.save(update_fields=["position"])

    wanted = {channel.pk for channel in channels}
    SuggestedChannel.objects.filter(policy=policy).exclude(channel_id__in=wanted).delete()
    kept = set(SuggestedChannel.objects.filter(policy=policy).values_list("channel_id", flat=True))
    SuggestedChannel.objects.bulk_create(
        SuggestedChannel(tenant=tenant, policy=policy, channel=channel)
        for channel in channels
        if channel.pk not in kept
    )
    return policy
