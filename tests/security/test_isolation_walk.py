"""Walk every URL of the product as the other bank and look for its data.

Bank A's staff (every role, plus anonymous) and bank A's partner system request every page,
admin page and API endpoint, with bank B's object ids wherever a URL takes one. Every name
of bank B contains "ZZZ": no response may contain it, and none may be a server error.
A new page, endpoint or admin model is covered without touching this file.
"""

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from crm.tenancy.context import platform_wide
from crm.tenancy.rls import tenant_owned_tables
from tests.security.urlwalk import iter_routes

FOREIGN_MARKER = "ZZZ"
RANDOM_TOKEN = re.compile(rb"[A-Za-z0-9]{32,}")
NOT_WALKED = {"oauth2-token", "oauth2-revoke-token"}  # POST-only; tested in tests/api


def foreign_rows(bank) -> dict[str, list[int]]:
    """Return, per model label ("app.model"), the pks of bank B's rows."""
    tables = dict(tenant_owned_tables())
    rows: dict[str, list[int]] = {}
    with platform_wide():
        for model in apps.get_models():
            column = tables.get(model._meta.db_table)
            if column is None:
                continue
            field = "id" if column == "id" else column.removesuffix("_id")
            pks = list(
                model._base_manager.filter(**{field: bank.tenant.pk})
                .order_by("pk")
                .values_list("pk", flat=True)[:3]
            )
            rows[model._meta.label_lower] = pks
    return rows


def argument_values(route, foreign: dict[str, list[int]]) -> list[dict]:
    """Concrete arguments for a route: bank B's ids for the model the route is about."""
    if not route.arguments:
        return [{}]
    model_label = None
    if route.admin_model():
        model_label = ".".join(route.admin_model())
    elif route.name and route.name.startswith("follow_up_") and "pk" in route.arguments:
        model_label = "channels.followup"
    elif route.name and route.name.endswith("-detail"):
        basename = route.name.removesuffix("-detail")
        model_label = next((label for label in foreign if label.endswith(f".{basename}")), None)
    candidates = foreign.get(model_label) if model_label else None
    if not candidates:
        # One row of bank B per model: whatever the route is about, one id is B's.
        candidates = sorted({pks[0] for pks in foreign.values() if pks}) or [1]
    values = []
    if "relationship_pk" in route.arguments:
        # A customer's relationship: bank B's customer with bank B's relationship of theirs.
        values.append(
            {
                "pk": foreign["customers.customer"][0],
                "relationship_pk": foreign["customers.customerrelationship"][0],
            }
        )
    for pk in candidates:
        combo = {}
        for argument in route.arguments:
            if argument == "app_label":
                combo[argument] = route.admin_model()[0] if route.admin_model() else "tenancy"
            elif argument == "panel":  # a customer-page panel every role sees
                combo[argument] = "holdings"
            elif argument == "content_type_id":
                app_label, model = route.admin_model() or ("tenancy", "branch")
                combo[argument] = ContentType.objects.get_by_natural_key(app_label, model).pk
            else:
                combo[argument] = pk
        values.append(combo)
    if "panel" in route.arguments:  # and the follow-ups panel, whose rows are B's own
        values += [{**combo, "panel": "follow_ups"} for combo in values]
    # Admin URLs also take app labels alone (the app index).
    if route.template == "admin/{app_label}/":
        values = [
            {"app_label": label} for label in {m._meta.app_label for m in admin.site._registry}
        ]
    return values


def walk(client, routes, foreign, *, include):
    requested = 0
    for route in routes:
        if route.name in NOT_WALKED or not include(route):
            continue
        for arguments in argument_values(route, foreign):
            url = route.build(**arguments)
            response = client.get(url)
            requested += 1
            assert response.status_code < 500, f"{url} answered {response.status_code}"
            body = b"".join(response) if response.streaming else response.content
            # Random tokens (CSRF, nonces) could spell the marker by chance.
            body = RANDOM_TOKEN.sub(b"", body)
            if FOREIGN_MARKER.encode() in body:
                at = body.find(FOREIGN_MARKER.encode())
                excerpt = body[max(0, at - 300) : at + 100].decode(errors="replace")
                raise AssertionError(f"{url} shows another bank's data: …{excerpt}…")
    return requested


@pytest.fixture
def routes():
    return list(iter_routes())


def foreign_service_coverage(bank) -> None:
    """The bank's tier service policy names a privilege with its marker, an MVC customer of
    its pool lacks a manager and its manager is over the MVC cap: every marketing page of
    the bank has the bank's rows to leak."""
    from customers.models import Customer
    from marketing.services import service_policy_update
    from tests.factories import CustomerFactory

    CustomerFactory(
        home_branch=bank.sub_branch,
        relationship_manager=bank.customer.relationship_manager,
        tier=Customer.Tier.MVC,
    )
    with bank.scope():
        Customer.objects.filter(pk__in=[bank.customer.pk, bank.other_customer.pk]).update(
            tier=Customer.Tier.MVC
        )
        service_policy_update(
            tier=Customer.Tier.MVC,
            contact_cadence_days=30,
            requires_relationship_manager=True,
            max_book_size=1,
            privileges=[f"{bank.marker}贵宾窗口"],
        )


@pytest.fixture(autouse=True)
def foreign_customer_values(request, bank_b):
    """Bank B's customers have values of a scored month, and bank A scored that month too:
    the tier reports of bank A run their figures, whose table by home branch would name
    bank B's branches had bank B's values been counted."""
    from datetime import date

    from tests.factories.marketing import customer_value, scored_month

    month = date(2026, 5, 1)
    run = scored_month(bank_b.tenant, month)
    for customer, tier in ((bank_b.customer, "mvc"), (bank_b.other_customer, "bz")):
        customer_value(customer, run, tier=tier, contribution="123.45")
    if "bank_a" in request.fixturenames:
        scored_month(request.getfixturevalue("bank_a").tenant, month)


@pytest.fixture(autouse=True)
def foreign_relationship(bank_b):
    """Bank B's customers are related, so that its relationship pages are walked with ids;
    a customer of B has consented, so that the consents list has B's rows to leak; a
    customer of B has a manual tier, so that the manual tiers page has B's rows to leak;
    B's administrator scored a month again, so that the scoring runs pages have B's run; B's
    relationship manager has overdue and upcoming follow-ups, so that the follow-up pages
    have B's rows to leak."""
    from datetime import date, timedelta

    from django.utils import timezone

    from crm.tenancy.roles import Role
    from customers.services import consent_record, relationship_add
    from marketing.models import ManualTier, ScoringRun
    from tests.factories.channels import FollowUpFactory

    foreign_service_coverage(bank_b)
    with bank_b.scope():
        ScoringRun.objects.create(
            tenant=bank_b.tenant,
            month=date(2026, 6, 1),
            version=2,
            status=ScoringRun.Status.FINISHED,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            requested_by=bank_b[Role.TENANT_ADMIN],
            reason=f"{bank_b.marker}迟到的收入数据",
        )
        ManualTier.objects.create(
            customer=bank_b.customer,
            tier="mvc",
            reason=f"{bank_b.marker}战略客户",
            starts_on=timezone.localdate(),
            expires_on=timezone.localdate(),
            requested_by=bank_b[Role.MARKETING_MANAGER],
            approved_by=bank_b[Role.TENANT_ADMIN],
        )
        for days in (-1, 1):
            FollowUpFactory(
                customer=bank_b.customer,
                due_at=timezone.now() + timedelta(days=days),
                notes=f"{bank_b.marker}回访",
            )
        consent_record(
            customer=bank_b.customer,
            purpose="marketing",
            channel="sms",
            granted=True,
            source="mobile_app",
            actor=None,
        )
        return relationship_add(
            from_customer=bank_b.other_customer, to_customer=bank_b.customer, kind="guarantor"
        )


@pytest.mark.parametrize(
    "role",
    [
        "relationship_manager",
        "teller",
        "branch_manager",
        "marketing_manager",
        "risk_officer",
        "complaint_handler",
        "auditor",
        "tenant_admin",
    ],
)
def test_staff_of_one_bank_never_see_another_banks_data(role, bank_a, bank_b, client_for, routes):
    foreign = foreign_rows(bank_b)
    requested = walk(client_for(bank_a[role]), routes, foreign, include=lambda r: not r.is_api)
    assert requested > 30  # pages and every admin model were walked


def test_anonymous_visitors_see_no_banks_data(bank_b, client, routes):
    foreign = foreign_rows(bank_b)
    requested = walk(client, routes, foreign, include=lambda route: True)
    assert requested > 60  # every page, admin page and API endpoint was asked


def test_partner_of_one_bank_never_sees_another_banks_data(bank_a, bank_b, partner_client, routes):
    foreign = foreign_rows(bank_b)
    client = partner_client(bank_a.token())
    requested = walk(client, routes, foreign, include=lambda route: route.is_api)
    assert requested >= 3


def test_the_walk_would_notice_a_leak(bank_a, bank_b, client_for, routes):
    """Bank B's own admin sees its data on the same walk: the marker check is live."""
    foreign = foreign_rows(bank_b)
    with pytest.raises(AssertionError, match="another bank's data"):
        walk(client_for(bank_b["tenant_admin"]), routes, foreign, include=lambda r: not r.is_api)


def test_the_partner_walk_reaches_detail_endpoints(bank_a, bank_b, partner_client, routes):
    """Bank B's own partner finds its data at the API's detail URLs: they are walked with ids."""
    foreign = foreign_rows(bank_b)
    with pytest.raises(AssertionError, match="another bank's data"):
        walk(
            partner_client(bank_b.token()),
            routes,
            foreign,
            include=lambda route: route.is_api and bool(route.arguments),
        )


@pytest.mark.parametrize(
    ("role", "names"),
    [
        ("relationship_manager", {"follow_ups", "follow_up_detail", "panel"}),
        ("branch_manager", {"follow_ups_team"}),
    ],
)
def test_the_walk_reaches_the_follow_up_pages(role, names, bank_b, client_for, routes):
    """Bank B's own staff find B's follow-ups on the pages walked above: each is walked with
    ids that reach them, so the walk as bank A would notice a leak there."""
    foreign = foreign_rows(bank_b)
    for name in names:
        with pytest.raises(AssertionError, match="another bank's data"):
            walk(
                client_for(bank_b[role]),
                routes,
                foreign,
                include=lambda route, name=name: route.name == name and not route.is_api,
            )


def test_the_walk_reaches_the_tier_reports_with_figures(bank_a, bank_b, client_for, routes):
    """Bank B's own marketing manager finds its branches in the tier reports' figures: the
    reports are walked, with a scored month, and bank A's walk above would see a leak."""
    foreign = foreign_rows(bank_b)
    reports = {"tier_distribution", "tier_distribution_export"}
    client = client_for(bank_b["marketing_manager"])
    response = client.get("/marketing/tiers/distribution/")
    assert response.context["figures"].total.customers == 2
    assert [row.name for row in response.context["figures"].branches] == [
        bank_b.sub_branch.name,
        bank_b.other_branch.name,
    ]
    with pytest.raises(AssertionError, match="another bank's data"):
        walk(client, routes, foreign, include=lambda route: route.name in reports)
