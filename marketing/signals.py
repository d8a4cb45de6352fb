"""What marketing does when a bank is created: give it default tier rules and the default
tier service policy."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from crm.tenancy.context import tenant_context
from crm.tenancy.models import Tenant


def _new_bank(
    sender: type[Tenant], instance: Tenant, created: bool, raw: bool, **kwargs: Any
) -> None:
    if not created or raw:
        return
    from marketing.services import default_rule_sets_for_new_bank, service_policies_ensure

    default_rule_sets_for_new_bank(sender, instance=instance, created=created, raw=raw)
    # The bank's own claim: row-level security accepts its rows whoever creates the bank.
    with tenant_context(instance):
        service_policies_ensure(tenant=instance)


def connect() -> None:
    post_save.connect(_new_bank, sender=Tenant, dispatch_uid="marketing.new_bank")
