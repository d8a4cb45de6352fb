"""The demo data: two banks, every role, a partner; loading it twice changes nothing."""

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.shell.demo import DEMO_BANKS, DEMO_PASSWORD
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.rls import tenant_owned_tables
from crm.tenancy.roles import Role


def row_counts() -> dict[str, int]:
    counts = {}
    with platform_wide(), connection.cursor() as cursor:
        for table, _column in tenant_owned_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_load_demo_creates_two_banks_with_every_role_and_is_idempotent(db):
    call_command("load_demo")
    first = row_counts()
    call_command("load_demo")
    assert row_counts() == first  # audit event tables included: nothing was rewritten
    with platform_wide():
        assert Tenant.objects.count() == 2
        for bank in DEMO_BANKS:
            tenant = Tenant.objects.get(code=bank.code)
            branches = Branch.objects.filter(tenant=tenant)
            assert branches.filter(kind=Branch.Kind.HEAD_OFFICE).count() == 1
            assert 2 <= branches.filter(kind=Branch.Kind.BRANCH).count() <= 3
            staff = Staff.objects.filter(tenant=tenant)
            roles = set(staff.values_list("groups__name", flat=True))
            assert roles == set(Role.values)
            assert PartnerApplication.objects.filter(tenant=tenant).count() == 1
        assert Staff.objects.get(username="platform").is_platform_admin


def test_demo_logins_work(db):
    call_command("load_demo")
    for username in ("df_rm", "xh_admin", "platform"):
        client = Client()
        client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert "_auth_user_id" in client.session, username


def test_demo_banks_have_customers_with_history_across_channels(db):
    from channels.models import Interaction, ServiceRequest
    from crm.tenancy.context import tenant_context
    from customers.models import Assignment, BalanceSnapshot, CustomerRelationship, Holding

    call_command("load_demo")
    with platform_wide():
        tenants = list(Tenant.objects.all())
    for tenant in tenants:
        with tenant_context(tenant):
            assert Holding.objects.count() > 60
            assert BalanceSnapshot.objects.filter(customer__number__endswith="01").count() == 24
            assert CustomerRelationship.objects.count() >= 5
            assert Assignment.objects.filter(kind=Assignment.Kind.HANDOVER).exists()
            channels_used = set(Interaction.objects.values_list("channel__code", flat=True))
            assert {"COUNTER", "MOBILE", "PHONE", "ATM"} <= channels_used
            assert ServiceRequest.objects.open().exists()
            assert ServiceRequest.objects.overdue().exists()


def test_the_demo_is_plausible_for_a_day_at_the_branch(db):
    """A manager's book mostly at her sub-branch and all of it in her list; counter contacts
    and deadlines in business hours in the bank's time; every contact by a named person or
    a named system, never "demo"."""
    from zoneinfo import ZoneInfo

    from channels.models import Interaction, ServiceRequest, ServiceRequestStep
    from crm.tenancy.context import tenant_context
    from customers.models import Customer

    call_command("load_demo")
    with platform_wide():
        tenants = list(Tenant.objects.all())
    for tenant in tenants:
        zone = ZoneInfo(tenant.time_zone)
        with tenant_context(tenant):
            prefix = next(bank.prefix for bank in DEMO_BANKS if bank.code == tenant.code)
            rm = Staff.objects.select_related("tenant", "branch").get(username=f"{prefix}_rm")
            book = Customer.objects.filter(relationship_manager=rm)
            at_home = book.filter(home_branch=rm.branch_id).count()
            assert book.count() >= 20
            assert at_home >= 0.8 * book.count(), (at_home, book.count())
            assert book.exclude(home_branch=rm.branch_id).exists()  # one moved house

            counter = Interaction.objects.filter(channel__code="COUNTER")
            assert counter.exists()
            for moment, staff_id in counter.values_list("occurred_at", "staff_id"):
                assert 9 <= moment.astimezone(zone).hour < 17, moment.astimezone(zone)
                assert staff_id is not None
            for due_at in ServiceRequest.objects.values_list("due_at", flat=True):
                assert 9 <= due_at.astimezone(zone).hour < 17, due_at.astimezone(zone)
            assert not Interaction.objects.filter(staff=None, source="demo").exists()
            assert not ServiceRequestStep.objects.filter(staff=None, partner_name="").exists()
            assert ServiceRequest.objects.filter(owner=rm).exists()

    # The manager sees her whole book, opens her customer homed elsewhere and her requests.
    client = Client()
    client.post(reverse("login"), {"username": "df_rm", "password": DEMO_PASSWORD})
    with platform_wide():
        tenant = Tenant.objects.get(code="dongfang")
    with tenant_context(tenant):
        rm = Staff.objects.get(username="df_rm")
        book = list(Customer.objects.filter(relationship_manager=rm).values_list("pk", "number"))
        far = Customer.objects.filter(relationship_manager=rm).exclude(home_branch=rm.branch_id)
        far_pk = far.values_list("pk", flat=True).first()
        given = ServiceRequest.objects.filter(owner=rm).values_list("pk", "number").first()
    listed = client.get(reverse("customers:list"), {"relationship_manager": rm.pk}).content.decode()
    listed += client.get(reverse("customers:list")).content.decode()
    assert len(book) <= 50  # one page of the list holds it
    missing = [number for _pk, number in book if f'data-customer="{number}"' not in listed]
    assert not missing, missing
    assert client.get(reverse("customers:detail", args=[far_pk])).status_code == 200
    assert client.get(reverse("channels:request_detail", args=[given[0]])).status_code == 200
    mine = client.get(reverse("channels:requests"), {"tab": "mine"}).content.decode()
    assert given[1] in mine


def test_demo_administrators_set_up_two_factor_sign_in_and_the_others_need_only_the_password(db):
    call_command("load_demo")
    with platform_wide():
        assert {tuple(t.two_factor_roles) for t in Tenant.objects.all()} == {
            ("tenant_admin", "auditor")
        }
    for username, lands_on in (
        ("df_rm", "/"),
        ("xh_teller", "/"),
        ("df_admin", "/accounts/two-factor/set-up/"),
        ("xh_auditor", "/accounts/two-factor/set-up/"),
        ("platform", "/accounts/two-factor/set-up/"),
    ):
        client = Client()
        response = client.post(
            reverse("login"), {"username": username, "password": DEMO_PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0].split("?")[0] == lands_on, username
        assert response.status_code == 200, username


def test_demo_banks_have_consents_from_every_source_some_withdrawn_and_a_few_holds(db):
    from channels.contact_policy import contactable_customers
    from channels.models import ContactHold
    from crm.tenancy.context import tenant_context
    from customers.models import Consent, Customer

    call_command("load_demo")
    with platform_wide():
        tenants = list(Tenant.objects.all())
    for tenant in tenants:
        with tenant_context(tenant):
            sources = set(Consent.objects.values_list("source", flat=True))
            assert {"counter", "phone", "mobile_app", "online", "letter", "sms_reply"} <= sources
            withdrawn = Consent.objects.filter(granted=False, source="sms_reply")
            assert withdrawn.filter(channel="sms").exists()
            assert Consent.objects.filter(purpose="data_sharing").exists()
            assert ContactHold.objects.count() == 3
            # The policy has real answers: some customers may be marketed to by SMS, not all.
            contactable = contactable_customers(Customer.objects.all(), channel_kind="sms")
            assert 0 < contactable.count() < Customer.objects.count()


def test_demo_banks_have_spreads_and_a_year_of_contribution_some_below_zero(db):
    from django.db.models import F

    from crm.tenancy.context import tenant_context
    from customers.models import Customer, Product
    from marketing.models import Contribution, ProductSpread
    from marketing.selectors import monthly_income_rows

    call_command("load_demo")
    call_command("load_demo")  # idempotent: nothing twice
    with platform_wide():
        tenants = list(Tenant.objects.filter(code__in=[bank.code for bank in DEMO_BANKS]))
    for tenant in tenants:
        with tenant_context(tenant):
            priced = Product.objects.exclude(category=Product.Category.E_BANKING).count()
            assert ProductSpread.objects.count() == priced
            customers = Customer.objects.count()
            fed = Contribution.objects.values("customer").distinct().count()
            assert 0.5 * customers < fed < 0.9 * customers
            months = sorted(set(Contribution.objects.values_list("month", flat=True)))
            assert len(months) == 12
            totals = Contribution.objects.annotate(
                total=F("deposit_interest")
                + F("loan_interest")
                + F("fee_income")
                + F("other_income")
            )
            assert totals.filter(total__lt=0).exists()
            rows = monthly_income_rows(months[-1])
            assert any(row.estimated for row in rows.values())
            assert any(not row.estimated for row in rows.values())


def test_demo_customers_hold_the_tiers_the_scoring_job_gave_them(db):
    from crm.tenancy.context import tenant_context
    from customers.models import Customer
    from marketing.models import CustomerValue, ScoringRun

    call_command("load_demo")
    with platform_wide():
        tenants = list(Tenant.objects.filter(code__in=[bank.code for bank in DEMO_BANKS]))
    for tenant in tenants:
        with tenant_context(tenant):
            runs = list(ScoringRun.objects.order_by("month"))
            latest = runs[-1].month
            held = dict(CustomerValue.objects.filter(month=latest).values_list("customer", "tier"))
            tiers = dict(
                Customer.objects.exclude(status=Customer.Status.CLOSED).values_list("pk", "tier")
            )
        assert len(runs) == 3 and len({run.month for run in runs}) == 3
        assert tiers == held  # none drawn at random: each is the job's
        assert len(set(held.values())) >= 3
