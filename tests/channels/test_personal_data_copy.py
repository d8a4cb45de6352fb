"""A customer's personal-data copy holds what channels knows of them, through the registry."""

import json
from datetime import time
from decimal import Decimal

import pytest
import tablib
from django.conf import settings
from django.urls import reverse

from channels import services
from crm.tenancy.roles import Role
from customers.personal_data import CopySection, register_copy_section, unregister_copy_section
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog


@pytest.fixture
def english(client_for):
    def make(staff):
        client = client_for(staff)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def copy_of(client, customer, file_format="json"):
    response = client.post(
        reverse("customers:personal_data_copy", args=[customer.pk]),
        {"reason": "At the customer's written request", "file_format": file_format},
    )
    assert response.status_code == 200, response.content[:500]
    return response


@pytest.fixture
def customer_with_channel_data(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    channels = catalog["channels"]
    customer = bank_a.customer
    other = CustomerFactory(home_branch=bank_a.sub_branch)
    with bank_a.scope():
        services.interaction_log(
            customer=customer,
            channel=channels["COUNTER"],
            kind="transaction",
            summary="AAA取款",
            amount=Decimal("1200.50"),
        )
        services.interaction_log(
            customer=customer, channel=channels["PHONE"], kind="enquiry", summary="AAA查询余额"
        )
        services.interaction_log(
            customer=other, channel=channels["PHONE"], kind="enquiry", summary="别人的来电"
        )
        services.channel_preference_set(
            customer=customer,
            preferred_channel=channels["PHONE"],
            contact_from=time(9, 0),
            contact_until=time(18, 0),
            do_not_contact=True,
            actor=None,
        )
        request = services.service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=customer,
            channel=channels["MOBILE"],
            summary="AAA补办银行卡",
        )
    return customer, request


def test_the_copy_holds_the_customers_contacts_preferences_and_requests(
    bank_a, english, customer_with_channel_data
):
    customer, request = customer_with_channel_data
    copy = json.loads(copy_of(english(bank_a[Role.BRANCH_MANAGER]), customer).content)

    contacts = copy["contacts"]["rows"]
    assert [row["Summary"] for row in contacts] == ["AAA取款", "AAA查询余额"]
    assert contacts[0]["Amount (CNY)"] == "1200.50"
    assert contacts[0]["Kind"] == "Transaction"
    preferences = {row["Item"]: row["Value"] for row in copy["contact_preferences"]["rows"]}
    assert preferences["Do not contact"] == "Yes"
    assert preferences["Contact from"] == "09:00"
    assert [row["Request number"] for row in copy["service_requests"]["rows"]] == [request.number]
    assert copy["service_requests"]["rows"][0]["Status"] == "Submitted"
    assert "别人的来电" not in json.dumps(copy, ensure_ascii=False)


def test_the_workbook_has_a_sheet_for_each_channels_section(
    bank_a, english, customer_with_channel_data
):
    customer, _request = customer_with_channel_data
    response = copy_of(english(bank_a[Role.BRANCH_MANAGER]), customer, "xlsx")
    titles = [sheet.title for sheet in tablib.Databook().load(response.content, "xlsx").sheets()]
    channels_sheets = ["Contacts", "Contact preferences", "Service requests"]
    assert [title for title in titles if title in channels_sheets] == channels_sheets
    assert "Value and tier" in titles  # marketing's section, after the customers app's


def test_a_section_another_app_declares_joins_the_copy(bank_a, english):
    register_copy_section(
        CopySection(
            "complaints",
            "Complaints",
            ("Number", "Customer"),
            lambda customer: [["C-1", customer.number]],
            order=90,
        )
    )
    try:
        copy = json.loads(copy_of(english(bank_a[Role.BRANCH_MANAGER]), bank_a.customer).content)
    finally:
        unregister_copy_section("complaints")
    assert copy["complaints"]["rows"] == [{"Number": "C-1", "Customer": bank_a.customer.number}]
