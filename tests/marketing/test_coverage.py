"""The service-level panel on the customer page and the two coverage reports."""

import csv
import io

import pytest
from django.urls import reverse

from crm.tenancy.roles import Role
from customers import selectors as customer_selectors
from customers.models import Customer
from marketing import services
from tests.factories import CustomerFactory, StaffFactory
from tests.factories.channels import standard_catalog
from tests.panels import customer_page, panel_queries

WITHOUT = reverse("marketing:without_manager")
WITHOUT_CSV = reverse("marketing:without_manager_export")
OVER = reverse("marketing:over_book_caps")
OVER_CSV = reverse("marketing:over_book_caps_export")


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def set_tier(bank, customer, tier: str) -> None:
    with bank.scope():
        Customer.objects.filter(pk=customer.pk).update(tier=tier)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- the panel ------------------------------------------------------------------------------


def test_the_panel_says_an_mvc_customer_lacks_the_manager_the_tier_requires(bank_a, client_for):
    set_tier(bank_a, bank_a.other_customer, Customer.Tier.MVC)  # in the pool
    page = customer_page(
        client_for(bank_a[Role.MARKETING_MANAGER]), detail_url(bank_a.other_customer)
    )
    assert 'data-testid="service-level-tier"' in page
    assert 'data-met="no"' in page
    set_tier(bank_a, bank_a.customer, Customer.Tier.MVC)  # looked after by the RM
    page = customer_page(client_for(bank_a[Role.RELATIONSHIP_MANAGER]), detail_url(bank_a.customer))
    assert 'data-met="yes"' in page


def test_the_panel_suggests_the_bank_s_electronic_channels_to_a_bz_customer(bank_a, client_for):
    catalog = standard_catalog(bank_a.tenant)
    mobile = catalog["channels"]["MOBILE"]
    with bank_a.scope():
        services.service_policy_update(
            tier="bz",
            contact_cadence_days=None,
            requires_relationship_manager=False,
            max_book_size=None,
            privileges=[],
            suggested_channel_ids=[mobile.pk],
        )
    set_tier(bank_a, bank_a.customer, Customer.Tier.BZ)
    page = customer_page(client_for(bank_a[Role.TELLER]), detail_url(bank_a.customer))
    assert 'data-testid="service-level-channels"' in page
    assert mobile.name in page


@pytest.mark.parametrize("tier", ["mvc", "bz", ""])
def test_the_panel_stays_within_three_queries(bank_a, client_for, tier):
    standard_catalog(bank_a.tenant)
    set_tier(bank_a, bank_a.customer, tier)
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    assert panel_queries(client, detail_url(bank_a.customer), "service_level") <= 3


# --- customers without a manager -----------------------------------------------------------


@pytest.fixture
def uncovered(bank_a):
    """MVC customers: one looked after, one without a manager at each of two branches;
    an MGC customer without one (MGC requires none) and a closed MVC customer."""
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    made = {
        "covered": CustomerFactory(
            home_branch=bank_a.sub_branch, tier="mvc", relationship_manager=rm
        ),
        "sub_branch": CustomerFactory(home_branch=bank_a.sub_branch, tier="mvc"),
        "other_branch": CustomerFactory(home_branch=bank_a.other_branch, tier="mvc"),
        "mgc": CustomerFactory(home_branch=bank_a.sub_branch, tier="mgc"),
        "closed": CustomerFactory(
            home_branch=bank_a.sub_branch, tier="mvc", status=Customer.Status.CLOSED
        ),
    }
    return made


def listed(response) -> set[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return {customer.number for customer in response.context["page"].customers}


def test_the_report_lists_mvc_customers_without_a_manager(bank_a, client_for, uncovered):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    assert listed(client.get(WITHOUT)) == {
        uncovered["sub_branch"].number,
        uncovered["other_branch"].number,
    }


def test_a_branch_manager_sees_only_the_subtree(bank_a, client_for, uncovered):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    assert listed(client.get(WITHOUT)) == {uncovered["sub_branch"].number}


def test_when_mgc_requires_a_manager_too_the_report_follows(bank_a, client_for, uncovered):
    with bank_a.scope():
        services.service_policy_update(
            tier="mgc",
            contact_cadence_days=60,
            requires_relationship_manager=True,
            max_book_size=None,
            privileges=[],
        )
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    assert uncovered["mgc"].number in listed(client.get(WITHOUT))
    assert listed(client.get(WITHOUT, {"tier": "mgc"})) == {uncovered["mgc"].number}


def test_the_report_pages_by_keyset_and_refuses_a_forged_cursor(
    bank_a, client_for, uncovered, monkeypatch
):
    monkeypatch.setattr(customer_selectors, "PAGE_SIZE", 1)
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    first = client.get(WITHOUT)
    cursor = first.context["page"].next_cursor
    second = client.get(WITHOUT, {"after": cursor})
    assert listed(first) | listed(second) == {
        uncovered["sub_branch"].number,
        uncovered["other_branch"].number,
    }
    assert listed(first) != listed(second)
    assert client.get(WITHOUT, {"after": "forged"}).status_code == 400


def test_the_report_page_s_queries_do_not_grow_with_its_rows(
    bank_a, client_for, uncovered, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    client.get(WITHOUT)  # warm the session's permission cache
    with django_assert_max_num_queries(12) as few:
        client.get(WITHOUT)
    for _ in range(10):
        CustomerFactory(home_branch=bank_a.branch, tier="mvc")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(listed(client.get(WITHOUT))) == 12


def test_the_export_has_every_customer_of_the_report(bank_a, client_for, uncovered):
    rows = csv_rows(client_for(bank_a[Role.MARKETING_MANAGER]).get(WITHOUT_CSV))
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {uncovered["sub_branch"].number, uncovered["other_branch"].number}


@pytest.mark.parametrize("role", [Role.RELATIONSHIP_MANAGER, Role.TELLER, Role.TENANT_ADMIN])
def test_roles_without_the_permission_get_no_report(bank_a, client_for, role):
    client = client_for(bank_a[role])
    for url in (WITHOUT, WITHOUT_CSV, OVER, OVER_CSV):
        assert client.get(url).status_code == 403, url


# --- managers over their book caps ---------------------------------------------------------


@pytest.fixture
def crowded(bank_a):
    """The sub-branch RM with three MVC customers and one MGC; another RM, at the other
    branch, with two MVC customers. The MVC cap is set to two."""
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    far_rm = StaffFactory(
        tenant=bank_a.tenant,
        branch=bank_a.other_branch,
        username="aaa_far_rm",
        name="AAA远方经理",
        roles=[Role.RELATIONSHIP_MANAGER],
    )
    for tier, manager, count in (("mvc", rm, 2), ("mgc", rm, 1), ("mvc", far_rm, 2)):
        for _ in range(count):
            CustomerFactory(home_branch=bank_a.sub_branch, tier=tier, relationship_manager=manager)
    set_tier(bank_a, bank_a.customer, "mvc")  # the RM's third MVC customer
    with bank_a.scope():
        services.service_policy_update(
            tier="mvc",
            contact_cadence_days=30,
            requires_relationship_manager=True,
            max_book_size=2,
            privileges=[],
        )
    return {"rm": rm, "far_rm": far_rm}


def test_a_manager_over_a_cap_is_listed_with_the_excess(bank_a, client_for, crowded):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(OVER)
    assert response.status_code == 200
    rows = [
        (row.manager_id, row.tier, row.book_size, row.cap, row.over_by)
        for row in response.context["page"]
    ]
    # The far RM is at the cap, not over it; MGC's cap (300) is far away.
    assert rows == [(crowded["rm"].pk, "mvc", 3, 2, 1)]
    csv_lines = csv_rows(client_for(bank_a[Role.MARKETING_MANAGER]).get(OVER_CSV))
    assert csv_lines[1][0] == crowded["rm"].name
    assert csv_lines[1][3:] == ["3", "2", "1"]


def test_a_branch_manager_sees_only_the_managers_of_the_subtree(bank_a, client_for, crowded):
    CustomerFactory(
        home_branch=bank_a.sub_branch, tier="mvc", relationship_manager=crowded["far_rm"]
    )
    head_office = client_for(bank_a[Role.MARKETING_MANAGER]).get(OVER)
    assert {row.manager_id for row in head_office.context["page"]} == {
        crowded["rm"].pk,
        crowded["far_rm"].pk,
    }
    branch = client_for(bank_a[Role.BRANCH_MANAGER]).get(OVER)
    assert {row.manager_id for row in branch.context["page"]} == {crowded["rm"].pk}


def test_the_caps_report_costs_the_same_whatever_the_managers(
    bank_a, client_for, crowded, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    client.get(OVER)
    with django_assert_max_num_queries(12) as few:
        client.get(OVER)
    for index in range(3):
        manager = StaffFactory(
            tenant=bank_a.tenant,
            branch=bank_a.branch,
            username=f"aaa_rm_{index}",
            name=f"AAA经理{index}",
            roles=[Role.RELATIONSHIP_MANAGER],
        )
        for _ in range(3):
            CustomerFactory(home_branch=bank_a.branch, tier="mvc", relationship_manager=manager)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(OVER).context["page"]) == 4
