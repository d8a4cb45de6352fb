"""channels adds a "last contact" column and an "open requests" filter to the customer list."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from channels import services
from channels.models import ServiceRequest
from crm.tenancy.roles import Role
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog

LIST = reverse("customers:list")


def last_contact_by_number(html: str) -> dict[str, str]:
    """Each listed customer's number with the value of its "last contact" cell."""
    found = {}
    for row in html.split('<tr data-customer="')[1:]:
        number = re.search(r'<a href="[^"]+">([^<]+)</a>', row).group(1)
        found[number] = re.search(r'data-column="last_contact">([^<]*)</td>', row).group(1)
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


def test_the_list_shows_each_customers_last_contact(
    bank_a, customers_with_requests, client_for, django_assert_max_num_queries
):
    busy, quiet = customers_with_requests
    catalog = standard_catalog(bank_a.tenant)
    with bank_a.scope():
        for days_ago in (40, 3, 12):
            services.interaction_log(
                customer=busy,
                channel=catalog["channels"]["PHONE"],
                kind="enquiry",
                occurred_at=timezone.now() - timedelta(days=days_ago),
            )
    for index in range(30):
        CustomerFactory(home_branch=bank_a.sub_branch, number=f"AAA03{index:02d}")
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # The same budget as the list without the column: it is part of the list's one query.
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    shown = last_contact_by_number(response.content.decode())
    three_days_ago = timezone.localtime(timezone.now() - timedelta(days=3))
    assert shown[busy.number] == date_format(three_days_ago, "SHORT_DATE_FORMAT")
    assert shown[quiet.number] == "—"


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
    shown = set(last_contact_by_number(response.content.decode()))
    assert expected <= shown
    if choice == "with":
        assert shown == expected


def test_an_unknown_choice_is_refused_like_any_filter(bank_a, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST, {"open_requests": "maybe"})
    assert response.status_code == 400
