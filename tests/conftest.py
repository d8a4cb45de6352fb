"""Shared fixtures: two banks with staff of every role, and clients acting as them."""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from crm.db.owner import enter_owner_mode, leave_owner_mode
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.roles import Role
from customers.models import Customer
from tests.factories import (
    RESIDENT_IDS,
    BranchFactory,
    CustomerFactory,
    HoldingFactory,
    PartnerApplicationFactory,
    PlatformAdminFactory,
    ProductFactory,
    StaffFactory,
    TenantFactory,
    access_token_for,
)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Creating and migrating the test database is the owner's work; see the fixture below.
    enter_owner_mode()


@pytest.fixture(scope="session", autouse=True)
def _tests_run_as_application_role(django_db_setup, django_db_blocker):
    """After set-up, every test runs as the application role, under row-level security."""
    with django_db_blocker.unblock():
        leave_owner_mode()
    yield
    with django_db_blocker.unblock():
        enter_owner_mode()  # dropping the test database is the owner's work again


@pytest.fixture(autouse=True)
def _roles_exist(request):
    """Transactional tests flush the database, groups made by migrations included."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        from tests.roles import restore_roles

        request.getfixturevalue("transactional_db")
        restore_roles()


@dataclass
class Bank:
    """One tenant of the tests: an org tree, a staff member per role and a partner."""

    tenant: Tenant
    head_office: Branch
    branch: Branch
    sub_branch: Branch
    other_branch: Branch
    staff: dict[str, Staff] = field(default_factory=dict)
    partner: PartnerApplication | None = None
    marker: str = ""
    customer: Customer | None = None  # at the sub-branch, looked after by its RM
    other_customer: Customer | None = None  # at the other branch, in the pool

    def __getitem__(self, role: str) -> Staff:
        return self.staff[role]

    def token(self, scope: str | None = None) -> str:
        return access_token_for(self.partner, scope)

    def scope(self):
        return tenant_context(self.tenant)


# Branch each role works in: head-office roles see the whole bank.
ROLE_BRANCH = {
    Role.RELATIONSHIP_MANAGER: "sub_branch",
    Role.TELLER: "sub_branch",
    Role.BRANCH_MANAGER: "branch",
    Role.MARKETING_MANAGER: "head_office",
    Role.RISK_OFFICER: "head_office",
    Role.COMPLAINT_HANDLER: "head_office",
    Role.AUDITOR: "head_office",
    Role.TENANT_ADMIN: "head_office",
}


def make_bank(marker: str) -> Bank:
    """Create a bank whose every name contains ``marker`` (to spot leaks in responses)."""
    tenant = TenantFactory(code=marker.lower(), name=f"{marker}银行", short_name=f"{marker}行")
    head_office = BranchFactory(tenant=tenant, code=f"{marker}-HO", name=f"{marker}总行")
    branch = BranchFactory(
        tenant=tenant, parent=head_office, code=f"{marker}-BR", name=f"{marker}分行"
    )
    sub_branch = BranchFactory(
        tenant=tenant,
        parent=branch,
        code=f"{marker}-SUB",
        name=f"{marker}第一支行",
        kind=Branch.Kind.SUB_BRANCH,
    )
    other_branch = BranchFactory(
        tenant=tenant, parent=head_office, code=f"{marker}-BR2", name=f"{marker}二分行"
    )
    bank = Bank(tenant, head_office, branch, sub_branch, other_branch, marker=marker)
    for role, where in ROLE_BRANCH.items():
        bank.staff[role] = StaffFactory(
            tenant=tenant,
            branch=getattr(bank, where),
            username=f"{marker.lower()}_{role}",
            name=f"{marker}{role}",
            roles=[role],
        )
    bank.partner = PartnerApplicationFactory(
        tenant=tenant, name=f"{marker}核心系统", client_id=f"{marker.lower()}-core"
    )
    rm = bank.staff[Role.RELATIONSHIP_MANAGER]
    bank.customer = CustomerFactory(
        home_branch=sub_branch,
        relationship_manager=rm,
        number=f"{marker}0001",
        name=f"{marker}张三",
        id_number=RESIDENT_IDS[0],
        phone="13812345678",
    )
    bank.other_customer = CustomerFactory(
        home_branch=other_branch,
        number=f"{marker}0002",
        name=f"{marker}李四公司",
        kind=Customer.Kind.CORPORATE,
    )
    HoldingFactory(customer=bank.customer, balance=Decimal("50000.00"))
    add_platform_records(bank)
    return bank


def add_platform_records(bank: Bank) -> None:
    """A row of each platform extension point, named with the marker for the isolation walk."""
    from datetime import date, timedelta

    from django.utils import timezone

    from crm.approvals.models import Proposal
    from crm.audit.models import FeedBatch
    from crm.business_calendar.models import CalendarDay
    from crm.notifications.models import Notification

    marker = bank.marker
    with bank.scope():
        for role in (Role.RELATIONSHIP_MANAGER, Role.BRANCH_MANAGER, Role.TENANT_ADMIN):
            Notification.objects.create(
                tenant=bank.tenant,
                recipient=bank[role],
                kind="approvals.rejected",
                key=f"test:{marker}",
                params={"summary": f"{marker}提案", "approver": f"{marker}审批人", "reason": ""},
            )
        Proposal.objects.create(
            tenant=bank.tenant,
            action="customers.large_handover",
            payload={},
            summary=f"{marker}移交客户",
            maker=bank[Role.BRANCH_MANAGER],
            maker_branch=bank.branch,
            expires_at=timezone.now() + timedelta(days=1),
        )
        CalendarDay.objects.create(tenant=bank.tenant, date=date(2026, 10, 1), name=f"{marker}国庆")
        FeedBatch.objects.create(
            tenant=bank.tenant,
            partner=bank.partner,
            partner_name=bank.partner.name,
            feed="holdings:write",
            items=1,
            created=1,
        )
        add_marketing_records(bank)


def add_marketing_records(bank: Bank) -> None:
    """A product spread (its product named with the marker) and a month of contribution."""
    from datetime import date

    from marketing.models import Contribution, ProductSpread

    product = ProductFactory(
        tenant=bank.tenant, code=f"{bank.marker}-DEP", name=f"{bank.marker}存款"
    )
    ProductSpread.objects.create(
        tenant=bank.tenant,
        product=product,
        annual_rate=Decimal("0.015"),
        valid_from=date(2024, 1, 1),
    )
    Contribution.objects.create(
        tenant=bank.tenant,
        customer=bank.customer,
        month=date(2026, 1, 1),
        deposit_interest=Decimal("12.50"),
        loan_interest=Decimal("0.00"),
        fee_income=Decimal("3.00"),
        other_income=Decimal("-1.00"),
        partner=bank.partner,
    )


@pytest.fixture
def bank_a(db) -> Bank:
    return make_bank("AAA")


@pytest.fixture
def bank_b(db) -> Bank:
    return make_bank("ZZZ")


@pytest.fixture
def platform_admin(db) -> Staff:
    return PlatformAdminFactory(username="root-admin")


@pytest.fixture
def client_for():
    """Return a test client logged in as the given staff member.

    Someone who must use two-factor sign-in (platform administrators) is signed in as if
    past the code step; tests of that step sign in with ``second_factor=False``.
    """
    from tests.factories.two_factor import pass_second_factor

    def make(staff: Staff, *, second_factor: bool = True) -> Client:
        client = Client()
        client.force_login(staff)
        if second_factor and _must_use_two_factor(staff):
            pass_second_factor(client, staff)
        return client

    return make


def _must_use_two_factor(staff: Staff) -> bool:
    from crm.tenancy.scoping import scope_of

    with scope_of(staff):
        return staff.must_use_two_factor


@pytest.fixture
def partner_client():
    """Return a test client sending the given bearer token."""

    def make(token: str) -> Client:
        return Client(headers={"authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def everywhere():
    """Platform-wide scope, for assertions that must see every tenant's rows."""
    with platform_wide():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counts (API calls, failed token requests) start from nothing in each test.

    The test cache is per process: without this, one test's failures would throttle the
    next test's token requests from the same address.
    """
    cache.clear()
