"""channels adds an "open requests" column and filter to the customer list."""

import re

import pytest
from django.urls import reverse

from channels import services
from channels.models import ServiceRequest
from crm.tenancy.roles import Role
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog

LIST = reverse("customers:list")


def open_requests_by_number(html: str) -> dict[str, str]:
    """Each listed customer's number with the value of its "open requests" cell."""
    found = {}
    for row in html.split('<tr data-customer="')[1:]:
        number = re.search(r'<a href="[^"]+">([^<]+)</a>', row).group(1)
        found[number] = re.search(r'data-column="open_requests">([^<]*)</td>', row).group(1)
    return found


@pytest.fixture
def customers_with_requests(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    busy = CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0201")
    quiet = CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0202")
    with bank_a.scope():
        opened = [
            services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=customer,
                channel=catalog["channels"]["MOBILE"],
                summary="补办银行卡",
            )
            for customer in (busy, busy, busy, quiet)
        ]
        # Closed requests are not open work.
        ServiceRequest.objects.filter(pk=opened[-1].pk).update(
            status=ServiceRequest.Status.COMPLETED
        )
    return busy, quiet


def test_the_list_shows_each_customers_open_requests(
    bank_a, customers_with_requests, client_for, django_assert_max_num_queries
):
    busy, quiet = customers_with_requests
    for index in range(30):
        CustomerFactory(home_branch=bank_a.sub_branch, number=f"AAA03{index:02d}")
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    # The same budget as the list without the column: it is part of the list's one query.
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    counts = open_requests_by_number(response.content.decode())
    assert counts[busy.number] == "3"
    assert counts[quiet.number] == "0"
    assert 'data-column="open_requests"' in response.content.decode()


@pytest.mark.parametrize(
    ("choice", "expected"), [("with", {"AAA0201"}), ("without", {"AAA0202", "AAA0001"})]
)
def test_the_list_filters_on_open_requests(
    choice, expected, bank_a, customers_with_requests, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"open_requests": choice})
    assert response.status_code == 200
    shown = set(open_requests_by_number(response.content.decode()))
    assert expected <= shown
    if choice == "with":
        assert shown == expected


def test_an_unknown_choice_is_refused_like_any_filter(bank_a, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST, {"open_requests": "maybe"})
    assert response.status_code == 400
