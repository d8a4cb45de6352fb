"""``generate_bank --interactions-per-customer``: contacts across channels, loaded in bulk."""

import re
import zoneinfo
from collections import Counter
from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from channels import rollup
from channels.models import (
    Channel,
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
    MonthlyServiceCost,
    Outlet,
    ServiceRequest,
    ServiceRequestStep,
)
from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, Staff, StaffRole, Tenant
from crm.tenancy.roles import Role
from customers.models import Customer
from devtools.channels import interactions
from devtools.channels.generation import generate_channels
from devtools.registry import generation_steps

# generate_bank logs in as the owner, which needs a connection outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SIZE = {
    "customers": 200,
    "months": 1,
    "branches": 2,
    "sub_branches": 2,
    "managers_per_sub_branch": 2,
}
CHANNEL_TABLES = [
    model._meta.db_table
    for model in (Interaction, ServiceRequest, ServiceRequestStep, Outlet, Channel)
]


def generate(code: str = "smallbank", **options) -> str:
    out = StringIO()
    options = {**SIZE, "interactions_per_customer": 5, **options}
    call_command("generate_bank", code=code, stdout=out, **options)
    return out.getvalue()


def tenant(code: str = "smallbank") -> Tenant:
    with platform_wide():
        return Tenant.objects.get(code=code)


def schema() -> dict[str, list]:
    """Indexes, constraints and trigger states of the channel tables the step fills."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2",
            [CHANNEL_TABLES],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
            "OR confrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [CHANNEL_TABLES, CHANNEL_TABLES],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [CHANNEL_TABLES],
        )
        triggers = cursor.fetchall()
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


def test_channels_registers_its_step_after_the_customers_one():
    steps = generation_steps()
    assert [step.name for step in steps][:2] == ["customers", "channels"]
    assert steps[1].load() is generate_channels
    # Its option is channels' own, not the customers step's.
    assert [argument.flag for argument in steps[1].arguments] == ["--interactions-per-customer"]
    assert "--interactions-per-customer" not in [argument.flag for argument in steps[0].arguments]


def test_every_customer_gets_the_asked_number_of_contacts_all_of_the_new_bank(bank_a):
    output = generate()

    bank = tenant()
    with tenant_context(bank):
        contacts = list(Interaction.objects.select_related("channel", "outlet", "staff"))
        customers = {customer.pk: customer for customer in Customer.objects.all()}
        channel_ids = set(Channel.objects.values_list("pk", flat=True))
        outlets = {outlet.pk: outlet for outlet in Outlet.objects.all()}
        tellers = set(
            StaffRole.objects.filter(group__name=Role.TELLER).values_list("staff_id", flat=True)
        )
    assert "interactions: 1,000" in output
    assert len(contacts) == 1000
    assert Counter(contact.customer_id for contact in contacts) == dict.fromkeys(customers, 5)
    assert {contact.tenant_id for contact in contacts} == {bank.pk}
    assert {contact.channel_id for contact in contacts} <= channel_ids
    keys = {(contact.source, contact.external_id) for contact in contacts}
    assert len(keys) == 1000 and {source for source, _id in keys} == {"bankgen"}
    now = timezone.now()
    assert all(now - timedelta(days=367) < contact.occurred_at < now for contact in contacts)
    for contact in contacts:
        code = contact.channel.code
        if code == "COUNTER":
            outlet = outlets[contact.outlet_id]
            assert outlet.kind == Outlet.Kind.BRANCH_OUTLET
            # served by a teller of the outlet's own sub-branch
            assert contact.staff_id in tellers and contact.staff.branch_id == outlet.branch_id
        elif code == "ATM":
            assert outlets[contact.outlet_id].kind == Outlet.Kind.ATM
            assert contact.staff_id is None
        else:
            assert contact.outlet_id is None and contact.staff_id is None
        is_transaction = contact.kind == Interaction.Kind.TRANSACTION
        assert (contact.amount is not None and contact.amount > 0) == is_transaction
        assert contact.created_at == contact.occurred_at
    # Most counter and ATM contacts happen at the customer's own sub-branch.
    at_outlets = [contact for contact in contacts if contact.outlet_id]
    at_home = [
        contact
        for contact in at_outlets
        if outlets[contact.outlet_id].branch_id == customers[contact.customer_id].home_branch_id
    ]
    assert len(at_home) > 0.6 * len(at_outlets)


def test_the_channel_mix_is_mobile_first_with_a_counter_share_a_bank_would_have(bank_a):
    generate(customers=400)

    with tenant_context(tenant()):
        mix = Counter(Interaction.objects.values_list("channel__code", flat=True))
        kinds = Counter(Interaction.objects.values_list("kind", flat=True))
    total = sum(mix.values())
    assert mix.most_common(1)[0][0] == "MOBILE"
    assert mix["MOBILE"] + mix["ONLINE"] > 0.4 * total
    assert 0.10 * total < mix["COUNTER"] < 0.28 * total
    assert set(mix) == {"MOBILE", "ONLINE", "COUNTER", "ATM", "POS", "PHONE", "WECHAT", "SMS"}
    assert kinds.most_common(1)[0][0] == Interaction.Kind.TRANSACTION
    assert set(kinds) == set(Interaction.Kind.values)


def test_outlets_a_counter_and_atms_at_every_sub_branch(bank_a):
    generate()

    with tenant_context(tenant()):
        sub_branches = set(
            Branch.objects.filter(kind=Branch.Kind.SUB_BRANCH).values_list("pk", flat=True)
        )
        outlets = list(Outlet.objects.select_related("channel"))
    counters = Counter(o.branch_id for o in outlets if o.kind == Outlet.Kind.BRANCH_OUTLET)
    atms = Counter(o.branch_id for o in outlets if o.kind == Outlet.Kind.ATM)
    assert counters == dict.fromkeys(sub_branches, 1)
    assert set(atms) == sub_branches and set(atms.values()) <= {1, 2}
    assert {o.outlet_model for o in outlets} <= set(Outlet.Model.values)
    assert {o.channel.code for o in outlets} == {"COUNTER", "ATM"}


def test_service_requests_open_and_overdue_with_their_steps(bank_a):
    generate()

    with tenant_context(tenant()):
        requests = list(ServiceRequest.objects.all())
        overdue = ServiceRequest.objects.overdue().count()
        steps = list(ServiceRequestStep.objects.order_by("request_id", "occurred_at", "id"))
    assert len(requests) >= 5
    assert overdue >= 1 and any(not request.is_closed for request in requests)
    zone = zoneinfo.ZoneInfo(tenant().time_zone)
    by_request = {}
    for step in steps:
        by_request.setdefault(step.request_id, []).append(step)
    for request in requests:
        history = by_request[request.pk]
        assert (history[0].from_status, history[0].to_status) == ("", "submitted")
        assert history[-1].to_status == request.status
        for before, after in pairwise(history):
            assert after.from_status == before.to_status
            assert after.to_status in ServiceRequest.TRANSITIONS[before.to_status]
        assert request.due_at > request.opened_at
        assert request.number.startswith("SR") and request.team_id
        # Opened while branches are open, so the deadlines (whole days) fall in business
        # hours in the bank's time, not at night.
        for moment in (request.opened_at, request.due_at):
            assert 9 <= moment.astimezone(zone).hour < 16, moment.astimezone(zone)


def test_the_generated_months_are_rolled_up_as_the_nightly_job_would(bank_a):
    # Untiered: the scoring runs after the roll-up and would move its tier split.
    output = generate(scored_months=0)

    bank = tenant()
    yesterday = rollup.yesterday(bank)
    with tenant_context(bank):
        rolled_up = DailyChannelRollup.objects.aggregate(total=Sum("interactions"))["total"]
        outlets = DailyOutletRollup.objects.aggregate(total=Sum("interactions"))["total"]
        at_outlets = Interaction.objects.filter(outlet__isnull=False).count()
        runs = JobRun.objects.filter(job=rollup.JOB, status=JobRun.Status.SUCCEEDED)
        assert runs.count() == 365
        assert {run.period for run in runs} >= {yesterday.isoformat()}
        # Done: the nightly job skips these days, and computing one again changes nothing.
        assert rollup.rollup_day_once(day=yesterday) is None
        for days_back in (0, 40, 364):
            run = rollup.rollup_day_once(day=yesterday - timedelta(days=days_back), force=True)
            assert run.rows_touched == 0, days_back
        assert DailyTierPopulation.objects.filter(day=yesterday).exists()
        # Each customer's months' costs to serve: every contact, at its channel's cost.
        costs = MonthlyServiceCost.objects.aggregate(contacts=Sum("contacts"), cost=Sum("cost"))
        contact_costs = Interaction.objects.aggregate(cost=Sum("channel__cost_per_transaction"))
        assert costs == {"contacts": 1000, "cost": contact_costs["cost"]}
    # Every contact is of a complete day (up to yesterday), so each one is counted.
    assert rolled_up == 1000
    assert outlets == at_outlets > 0
    assert "channel roll-up" in output


def test_the_tables_get_back_their_indexes_keys_and_triggers(bank_a):
    before = schema()

    generate()

    assert schema() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "crm_app"


def test_the_other_bank_sees_none_of_it(bank_a):
    generate()

    bank = tenant()
    with bank_a.scope(), connection.cursor() as cursor:
        # Row-level security, without the ORM's tenant filter.
        for model in (Interaction, ServiceRequest, ServiceRequestStep, Outlet, Channel):
            cursor.execute(
                f"SELECT count(*) FROM {model._meta.db_table} WHERE tenant_id = %s", [bank.pk]
            )
            assert cursor.fetchone()[0] == 0, model
    with bank_a.scope():
        assert not Interaction.objects.filter(source="bankgen").exists()


def test_a_teller_sees_a_generated_customer_s_timeline_on_the_customer_page(bank_a, client_for):
    generate()

    bank = tenant()
    with tenant_context(bank):
        teller = Staff.objects.select_related("tenant", "branch").get(
            username="smallbank_b01s01_teller"
        )
        customer = Customer.objects.filter(home_branch_id=teller.branch_id).order_by("pk")[0]
        newest = list(
            Interaction.objects.filter(customer=customer)
            .order_by("-occurred_at", "-id")
            .values_list("pk", flat=True)
        )
    client = client_for(teller)

    page = client.get(reverse("customers:detail", args=[customer.pk]))
    fragment = client.get(reverse("channels:timeline", args=[customer.pk]))

    assert page.status_code == 200 and fragment.status_code == 200
    shown = re.findall(r'data-entry="interaction-(\d+)"', page.content.decode())
    assert [int(pk) for pk in shown] == newest
    assert re.findall(r'data-entry="interaction-(\d+)"', fragment.content.decode()) == shown


def test_with_no_interactions_asked_the_bank_has_no_channel_data(bank_a):
    output = generate(interactions_per_customer=0)

    bank = tenant()
    with platform_wide():
        for model in (Interaction, ServiceRequest, Outlet, Channel, DailyChannelRollup):
            assert not model.objects.filter(tenant=bank).exists(), model
    assert "interactions" not in output


def test_worker_processes_make_the_same_contacts_as_one_process(bank_a, monkeypatch):
    monkeypatch.setattr(interactions, "ROWS_PER_CHUNK", 100)  # 20 customers a chunk: 10 chunks
    generate("inline", workers=0)
    generate("forked", workers=2)

    def contacts(code: str) -> list[tuple]:
        with tenant_context(tenant(code)):
            return sorted(
                Interaction.objects.values_list(
                    "customer__number", "channel__code", "kind", "occurred_at", "amount", "summary"
                )
            )

    inline = contacts("inline")
    assert len(inline) == 1000
    assert contacts("forked") == inline
