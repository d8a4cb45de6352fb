"""Every existing bank's defaults: the first version of the tier rules for each kind of
customer, and the tier service policy (new banks get both when they are created).

A migration of its own, after the tables' migrations have committed: rows written in the
migration that creates a table leave deferred trigger events that the same transaction's
later ALTER TABLE statements refuse ("pending trigger events"), which only shows on a
database that already has banks.
"""

from django.db import migrations

# The first version of every bank's rules (marketing.services.DEFAULT_RULES, copied: a
# migration keeps the values it was written with).
DEFAULT_RULES = {
    "version": 1,
    "effective_from": "2000-01-01",
    "new_customer_months": 3,
    "bz_months": 3,
    "mvc_top_percent": "5.00",
    "mvc_min_contribution": None,
    "mgc_min_potential": 70,
    "downgrade_months": 3,
    "note": "Standard rules",
}


def default_rule_sets(apps, schema_editor):
    """Give every existing bank the first version of the rules, for each kind of customer.

    Runs as the tables' owner, whom row-level security lets through.
    """
    Tenant = apps.get_model("tenancy", "Tenant")
    TierRuleSet = apps.get_model("marketing", "TierRuleSet")
    TierRuleSet._base_manager.bulk_create(
        TierRuleSet(tenant_id=tenant_id, kind=kind, **DEFAULT_RULES)
        for tenant_id in Tenant._base_manager.values_list("pk", flat=True)
        for kind in ("individual", "corporate")
    )


def default_policies(apps, schema_editor):
    """Give every existing bank the default tier service policy (new banks get it on creation)."""
    from marketing.policy_defaults import create_default_policies

    for tenant_id in apps.get_model("tenancy", "Tenant")._base_manager.values_list("pk", flat=True):
        create_default_policies(
            tenant_id=tenant_id,
            policy_model=apps.get_model("marketing", "TierServicePolicy"),
            privilege_model=apps.get_model("marketing", "ServicePrivilege"),
            suggested_model=apps.get_model("marketing", "SuggestedChannel"),
            channel_model=apps.get_model("channels", "Channel"),
        )


class Migration(migrations.Migration):
    dependencies = [("marketing", "0004_customer_value"), ("channels", "0013_monthly_service_cost")]

    operations = [
        migrations.RunPython(default_rule_sets, migrations.RunPython.noop),
        migrations.RunPython(default_policies, migrations.RunPython.noop),
    ]
