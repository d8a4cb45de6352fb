"""One rule of who sees what: the customer list, the request queues, the channel figures and
the manual tiers.

Every role is put before the same bank, with a customer, an open service request and a day
of channel figures at each of its four branches. What each role sees is then read through
the selectors the pages use; all three agree because all three apply ``StaffScope.of``.
Partner systems see the whole bank, and say so with ``for_partner``.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone

from channels import selectors as channel_selectors
from channels import services as channel_services
from channels.analytics.figures import Grouping, read_figures
from channels.models import (
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
    Outlet,
    ServiceRequest,
)
from crm.api.authentication import PartnerPrincipal
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Staff, Tenant
from crm.tenancy.roles import Role
from crm.tenancy.scoping import StaffScope
from customers import selectors as customer_selectors
from customers.models import Customer, CustomerRelationship
from customers.services import consent_record
from marketing import selectors as marketing_selectors
from marketing.models import ManualTier
from tests.conftest import ROLE_BRANCH
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog

THE_DAY = date(2026, 3, 10)
BRANCHES = ("head_office", "branch", "sub_branch", "other_branch")
# Where each role works decides what it sees: the whole bank, or its branch's subtree.
SEES = {
    "head_office": set(BRANCHES),
    "branch": {"branch", "sub_branch"},
    "sub_branch": {"sub_branch"},
}


class World:
    """A bank with a customer, an open request and a day of figures at every branch."""

    def __init__(self, bank):
        self.bank = bank
        catalog = standard_catalog(bank.tenant)
        counter = catalog["channels"]["COUNTER"]
        self.customers = {"sub_branch": bank.customer, "other_branch": bank.other_customer}
        with bank.scope():
            for where in ("head_office", "branch"):
                self.customers[where] = CustomerFactory(
                    home_branch=getattr(bank, where), number=f"{bank.marker}-{where}"
                )
            # A customer of the sub-branch nobody looks after: in no relationship manager's book.
            self.pool_customer = CustomerFactory(
                home_branch=bank.sub_branch, number=f"{bank.marker}-pool"
            )
            self.customers["sub_branch_pool"] = self.pool_customer
            # Every customer MVC: the ones nobody looks after are in the coverage report.
            Customer.objects.filter(pk__in=[c.pk for c in self.customers.values()]).update(
                tier=Customer.Tier.MVC
            )
            CustomerRelationship.objects.create(
                from_customer=bank.customer,
                to_customer=bank.other_customer,
                kind=CustomerRelationship.Kind.SPOUSE,
            )
            consent_record(
                customer=bank.customer,
                purpose="marketing",
                channel="sms",
                granted=True,
                source="counter",
                actor=None,
            )
            for customer in self.customers.values():
                ManualTier.objects.create(
                    customer=customer,
                    tier=Customer.Tier.MVC,
                    reason=f"{bank.marker}战略客户",
                    starts_on=timezone.localdate(),
                    expires_on=timezone.localdate(),
                    requested_by=bank[Role.MARKETING_MANAGER],
                    approved_by=bank[Role.TENANT_ADMIN],
                )
                channel_services.service_request_open(
                    request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                    customer=customer,
                    channel=counter,
                    summary=f"{bank.marker}补办银行卡",
                )
            for where in BRANCHES:
                branch = getattr(bank, where)
                outlet = Outlet.objects.create(
                    channel=counter,
                    branch=branch,
                    code=f"{bank.marker}-{where}",
                    name=f"{bank.marker}{where}网点",
                    kind=Outlet.Kind.BRANCH_OUTLET,
                )
                figures = {"interactions": 2, "transactions": 1, "amount": Decimal("10.00")}
                DailyChannelRollup.objects.create(
                    day=THE_DAY, channel=counter, branch=branch, customers=1, **figures
                )
                DailyOutletRollup.objects.create(day=THE_DAY, outlet=outlet, **figures)
                DailyTierPopulation.objects.create(day=THE_DAY, branch=branch, customers=1)
        self.branch_names = {getattr(bank, where).pk: where for where in BRANCHES}

    def home(self, customer: Customer) -> str:
        return self.branch_names[customer.home_branch_id]

    def seen_by(self, staff: Staff) -> dict[str, set]:
        """What ``staff`` sees on each page, read through the pages' own selectors."""
        with self.bank.scope():
            staff = Staff.objects.select_related("tenant", "branch").get(pk=staff.pk)
            customers = set(customer_selectors.customers_for_list(staff))
            queue = channel_selectors.request_queue(staff, channel_selectors.Queue.TEAM)
            request_customers = {request.customer for request in queue}
            figures = read_figures(
                staff=staff, date_from=THE_DAY, date_to=THE_DAY, grouping=Grouping.DAY
            )
            contacts = set(Interaction.objects.in_scope(staff).values_list("customer", flat=True))
            manual_tiers = marketing_selectors.manual_tiers_for(staff)
            uncovered = set(
                marketing_selectors.customers_without_manager(staff, tiers=[Customer.Tier.MVC])
            )
        return {
            "customers": {customer.number for customer in customers},
            "requests": {customer.number for customer in request_customers},
            "branches of customers": {self.home(customer) for customer in customers},
            "branches of figures": {
                self.branch_names[row["branch_id"]] for row in figures.by_branch
            },
            "branches of outlets": {
                self.branch_names[row["outlet__branch_id"]] for row in figures.outlets
            },
            "population": set(figures.population),
            "contacts": contacts,
            "manual tiers": {manual.customer.number for manual in manual_tiers},
            "without manager": {customer.number for customer in uncovered},
        }


@pytest.fixture
def world(bank_a, bank_b) -> World:
    World(bank_b)  # another bank's rows, which no role of the first may see
    return World(bank_a)


def own_book(bank) -> None:
    with platform_wide():
        Tenant.objects.filter(pk=bank.tenant.pk).update(rm_scope=Tenant.RmScope.OWN_BOOK)


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_the_same_branches_in_the_list_the_queues_and_the_figures(role, world):
    staff = world.bank[role]
    seen = world.seen_by(staff)

    branches = SEES[ROLE_BRANCH[role]]
    expected = {c.number for c in world.customers.values() if world.home(c) in branches}
    assert seen["customers"] == expected
    assert seen["requests"] == expected
    assert seen["manual tiers"] == expected
    assert seen["branches of customers"] == branches
    assert seen["branches of figures"] == branches
    assert seen["branches of outlets"] == branches
    assert seen["without manager"] == {
        c.number
        for c in world.customers.values()
        if world.home(c) in branches and c.relationship_manager_id is None
    }


@pytest.mark.parametrize("role", Role.values)
def test_a_relationship_manager_limited_to_their_book_sees_it_everywhere(role, world):
    own_book(world.bank)
    staff = world.bank[role]
    seen = world.seen_by(staff)

    if role == Role.RELATIONSHIP_MANAGER:
        # Their book, its requests and contacts; no branch totals, which sum up other books.
        assert seen["customers"] == seen["requests"] == {world.bank.customer.number}
        assert seen["manual tiers"] == {world.bank.customer.number}
        assert seen["without manager"] == set()  # the pool is no one's book
        assert seen["branches of figures"] == seen["branches of outlets"] == set()
        assert seen["population"] == set()
    else:
        # Everyone else keeps the branches of their place in the tree.
        branches = SEES[ROLE_BRANCH[role]]
        assert seen["branches of customers"] == seen["branches of figures"] == branches
        assert seen["customers"] == seen["requests"] == seen["manual tiers"]


def test_contacts_follow_their_customers_scope(world):
    own_book(world.bank)
    rm = world.bank[Role.RELATIONSHIP_MANAGER]
    with world.bank.scope():
        catalog = standard_catalog(world.bank.tenant)
        for customer in (world.bank.customer, world.pool_customer):
            Interaction.objects.create(
                customer=customer,
                channel=catalog["channels"]["PHONE"],
                kind=Interaction.Kind.ENQUIRY,
                occurred_at=timezone.now(),
                source="test",
                external_id=customer.number,
            )
    assert world.seen_by(rm)["contacts"] == {world.bank.customer.pk}
    teller = world.bank[Role.TELLER]  # the same sub-branch, every book
    assert world.seen_by(teller)["contacts"] == {world.bank.customer.pk, world.pool_customer.pk}


def test_widening_the_one_rule_widens_every_page(world, monkeypatch):
    """The pages hold no scope of their own: change the rule and all three follow."""
    teller = world.bank[Role.TELLER]
    assert world.seen_by(teller)["branches of figures"] == {"sub_branch"}

    def whole_bank(cls, staff):
        return cls(tenant_id=staff.tenant_id)

    monkeypatch.setattr(StaffScope, "of", classmethod(whole_bank))
    seen = world.seen_by(teller)
    assert seen["branches of customers"] == seen["branches of figures"] == set(BRANCHES)
    assert seen["customers"] == seen["requests"] == {c.number for c in world.customers.values()}


def test_a_chosen_branch_narrows_the_scope_and_never_widens_it(world):
    teller = world.bank[Role.TELLER]
    head_office = world.bank[Role.AUDITOR]
    other = [world.bank.other_branch.pk]
    with world.bank.scope():
        assert not DailyChannelRollup.objects.in_scope(teller, branch_ids=other).exists()
        assert not Customer.objects.in_scope(teller, branch_ids=other).exists()
        rows = DailyChannelRollup.objects.in_scope(head_office, branch_ids=other)
        assert {row.branch_id for row in rows} == set(other)


# --- partner systems ----------------------------------------------------------------------


def test_the_partner_api_lists_every_customer_of_the_bank(world, partner_client):
    """A partner is no staff member: every branch, every book and the pool, of its bank only."""
    response = partner_client(world.bank.token("customers:read")).get("/api/v1/customers/")
    assert response.status_code == 200, response.content
    listed = {customer["number"] for customer in response.json()["results"]}
    assert listed == {customer.number for customer in world.customers.values()}


def test_in_scope_refuses_a_partner(world):
    partner = PartnerPrincipal(application=world.bank.partner, tenant=world.bank.tenant)
    with world.bank.scope(), pytest.raises(TypeError, match="for_partner"):
        Customer.objects.in_scope(partner)


def partner_views():
    """The API's view sets that read rows of the bank (those with their own queryset)."""

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLPattern):
                cls = getattr(entry.callback, "cls", None)
                if cls is not None and "get_queryset" in vars(cls):
                    yield cls
            else:
                yield from walk(entry)

    api = next(e for e in get_resolver().url_patterns if str(e.pattern) == "api/v1/")
    return sorted(set(walk(api)), key=lambda cls: cls.__name__)


def test_every_partner_view_names_its_bank_explicitly(world):
    """Even where no tenant filters the managers, the API's queries stay in the partner's bank.

    A view that merely forgot its scope would return both banks' rows here.
    """
    views = partner_views()
    assert {view.__name__ for view in views} >= {
        "BranchViewSet",
        "CustomerViewSet",
        "ServiceRequestViewSet",
    }
    partner = PartnerPrincipal(application=world.bank.partner, tenant=world.bank.tenant)
    for view_class in views:
        view = view_class()
        view.action = "list"
        view.request = type("Request", (), {"user": partner})()
        with platform_wide():
            tenants = {row.tenant_id for row in view.get_queryset()}
        assert tenants == {world.bank.tenant.pk}, view_class.__name__


def test_service_requests_of_every_team_reach_the_partner(world, partner_client):
    response = partner_client(world.bank.token("service_requests:read")).get(
        "/api/v1/service-requests/"
    )
    assert response.status_code == 200, response.content
    with world.bank.scope():
        every = set(ServiceRequest.objects.values_list("number", flat=True))
    assert {request["number"] for request in response.json()["results"]} == every
    assert len(every) == len(world.customers)


# --- one's own rows, wherever the customer is homed --------------------------------------


class OwnRows:
    """A sub-branch manager's customer homed at the other branch, and a request of another
    branch's customer given to the sub-branch's teller."""

    def __init__(self, world: World):
        bank = world.bank
        self.world = world
        self.rm = bank[Role.RELATIONSHIP_MANAGER]
        self.teller = bank[Role.TELLER]
        catalog = standard_catalog(bank.tenant)
        with bank.scope():
            self.far_customer = CustomerFactory(
                home_branch=bank.other_branch,
                relationship_manager=self.rm,
                number=f"{bank.marker}-far",
                phone="13900001111",
            )
            self.far_request = channel_services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=self.far_customer,
                channel=catalog["channels"]["COUNTER"],
                summary="异地客户补卡",
            )
            self.given_request = channel_services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=bank.other_customer,
                channel=catalog["channels"]["COUNTER"],
                summary="转交柜员",
                owner=self.teller,
            )
            self.far_contact = Interaction.objects.create(
                customer=self.far_customer,
                channel=catalog["channels"]["PHONE"],
                kind=Interaction.Kind.CALLBACK,
                occurred_at=timezone.now(),
                source="test",
                external_id="far",
            )


@pytest.fixture
def own_rows(world) -> OwnRows:
    return OwnRows(world)


def test_a_manager_sees_her_customers_homed_at_other_branches(own_rows):
    seen = own_rows.world.seen_by(own_rows.rm)
    assert own_rows.far_customer.number in seen["customers"]
    assert own_rows.far_customer.number in seen["requests"]
    assert own_rows.far_customer.pk in seen["contacts"]
    # Her branch is still hers; the other branch's other customers are not.
    assert own_rows.world.bank.customer.number in seen["customers"]
    assert own_rows.world.bank.other_customer.number not in seen["customers"]


def test_her_customer_homed_elsewhere_opens_and_is_found_by_search(own_rows, client_for):
    client = client_for(own_rows.rm)
    far = own_rows.far_customer
    assert client.get(reverse("customers:detail", args=[far.pk])).status_code == 200
    listed = client.get(reverse("customers:list"))
    assert far.number in listed.content.decode()
    for text in (far.number, "13900001111"):
        found = client.get(reverse("customers:list"), {"q": text})
        assert far.number in found.content.decode(), text
    other = own_rows.world.bank.other_customer
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 404


def test_a_request_given_to_someone_is_theirs_wherever_its_customer_is(own_rows, client_for):
    client = client_for(own_rows.teller)
    given = own_rows.given_request
    detail = client.get(reverse("channels:request_detail", args=[given.pk]))
    assert detail.status_code == 200
    mine = client.get(reverse("channels:requests"), {"tab": "mine"})
    assert given.number in mine.content.decode()
    # Neither page links to the customer's record, which would answer 404.
    customer_url = reverse("customers:detail", args=[given.customer_id])
    assert f'href="{customer_url}"' not in detail.content.decode()
    assert f'href="{customer_url}"' not in mine.content.decode()
    with own_rows.world.bank.scope():
        teller = Staff.objects.select_related("tenant", "branch").get(pk=own_rows.teller.pk)
        mine = channel_selectors.request_queue(teller, channel_selectors.Queue.MINE)
        assert [request.pk for request in mine] == [given.pk]
        # The request, not its customer: the customer stays out of reach.
        assert not Customer.objects.in_scope(teller).filter(pk=given.customer_id).exists()
    other = own_rows.world.bank.other_customer
    assert client.get(reverse("customers:detail", args=[other.pk])).status_code == 404
    # Somebody else's request of the same customer stays out of reach too.
    with own_rows.world.bank.scope():
        others = ServiceRequest.objects.filter(customer=other).exclude(pk=given.pk).first()
    assert client.get(reverse("channels:request_detail", args=[others.pk])).status_code == 404


def test_the_managers_request_of_her_customer_elsewhere_opens_from_the_timeline(
    own_rows, client_for
):
    client = client_for(own_rows.rm)
    far_request = own_rows.far_request
    assert client.get(reverse("channels:request_detail", args=[far_request.pk])).status_code == 200
    timeline = client.get(reverse("channels:timeline", args=[own_rows.far_customer.pk]))
    assert reverse("channels:request_detail", args=[far_request.pk]) in timeline.content.decode()


def test_a_manager_limited_to_her_book_sees_all_of_it_and_her_requests(own_rows):
    own_book(own_rows.world.bank)
    bank = own_rows.world.bank
    seen = own_rows.world.seen_by(own_rows.rm)
    assert seen["customers"] == {bank.customer.number, own_rows.far_customer.number}
    assert seen["requests"] == {bank.customer.number, own_rows.far_customer.number}
    # The teller is no manager: the bank's setting does not touch her.
    assert own_rows.world.seen_by(own_rows.teller)["customers"] >= {
        bank.customer.number,
        own_rows.world.pool_customer.number,
    }


def test_a_chosen_branch_shows_only_that_branchs_customers(own_rows):
    bank = own_rows.world.bank
    with bank.scope():
        rm = Staff.objects.select_related("tenant", "branch").get(pk=own_rows.rm.pk)
        chosen = customer_selectors.customers_for_list(rm, branch_ids=[bank.sub_branch.pk])
        assert own_rows.far_customer not in set(chosen)
        assert bank.customer in set(chosen)
