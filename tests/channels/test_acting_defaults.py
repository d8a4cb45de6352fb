"""Defaults that follow the person acting: the channel of a request's step, and a contact's
channel, purpose, direction and outlet."""

import re

import pytest
from django.urls import reverse

from channels import selectors
from channels.models import Outlet
from crm.tenancy.roles import Role
from tests.channels.test_service_requests import detail_url, open_request
from tests.factories import BranchFactory, CustomerFactory, StaffFactory
from tests.factories.channels import OutletFactory, standard_catalog

HTMX = {"HX-Request": "true"}


@pytest.fixture
def catalog(bank_a):
    return standard_catalog(bank_a.tenant)


def selected(html: str, form_testid: str, field_id: str) -> str | None:
    """The value selected in the ``field_id`` select of the form marked ``form_testid``."""
    form = html.split(f'data-testid="{form_testid}"')[1].split("</form>")[0]
    select = form.split(f'id="{field_id}"')[1].split("</select>")[0]
    match = re.search(r'<option value="([^"]*)" selected>', select)
    return match.group(1) if match else None


@pytest.fixture
def call_center(bank_a, catalog):
    """A call center the bank runs under its head office, as an outlet of its phone channel."""
    center = BranchFactory(
        tenant=bank_a.tenant, parent=bank_a.head_office, code="AAA-CC", name="AAA客服中心"
    )
    outlet = OutletFactory(channel=catalog["channels"]["PHONE"], branch=center, name="AAA95588热线")
    agent = StaffFactory(
        tenant=bank_a.tenant,
        branch=center,
        username="aaa_agent",
        name="AAA坐席",
        roles=[Role.COMPLAINT_HANDLER],
    )
    customer = CustomerFactory(home_branch=center, number="AAA0009", name="AAA王五")
    return {"branch": center, "outlet": outlet, "agent": agent, "customer": customer}


# --- the channel of a request's step -------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "channel"),
    [
        (Role.BRANCH_MANAGER, "COUNTER"),  # at the branch: was "phone banking / call center"
        (Role.RELATIONSHIP_MANAGER, "COUNTER"),
        (Role.TELLER, "COUNTER"),
        (Role.COMPLAINT_HANDLER, "PHONE"),  # at the head office
    ],
)
def test_a_steps_channel_defaults_to_where_the_person_works(
    role, channel, bank_a, catalog, client_for
):
    request = open_request(bank_a, bank_a.customer, catalog)
    client = client_for(bank_a[role])
    html = client.get(detail_url(request)).content.decode()
    expected = str(catalog["channels"][channel].pk)
    assert selected(html, "move-form", "move_channel") == expected
    if 'data-testid="reassign-form"' in html:
        assert selected(html, "reassign-form", "reassign_channel") == expected
    opening = reverse("channels:request_open", args=[bank_a.customer.pk])
    form = client.get(opening).content.decode()
    assert selected(form, "open-request-form", "open_request_channel") == expected


def test_call_center_agents_act_by_phone_and_counter_staff_at_their_counter(
    bank_a, catalog, call_center, client_for
):
    counter = OutletFactory(
        channel=catalog["channels"]["COUNTER"], branch=bank_a.sub_branch, name="AAA营业厅"
    )
    OutletFactory(  # an ATM at the sub-branch says nothing of where its staff serve
        channel=catalog["channels"]["ATM"], branch=bank_a.sub_branch, kind=Outlet.Kind.ATM
    )
    with bank_a.scope():
        assert selectors.workplace_of(call_center["agent"]) == selectors.Workplace(
            "phone", call_center["outlet"].pk
        )
        assert selectors.workplace_of(bank_a[Role.RELATIONSHIP_MANAGER]) == (
            selectors.Workplace("counter", counter.pk)
        )
        # A branch without an outlet of its own: its staff still serve at a counter.
        assert selectors.workplace_of(bank_a[Role.BRANCH_MANAGER]) == selectors.Workplace(
            "counter", None
        )
    request = open_request(bank_a, call_center["customer"], catalog, team=call_center["branch"])
    html = client_for(call_center["agent"]).get(detail_url(request)).content.decode()
    assert selected(html, "move-form", "move_channel") == str(catalog["channels"]["PHONE"].pk)


def test_the_request_page_reads_the_workplace_once(
    bank_a, catalog, client_for, django_assert_max_num_queries
):
    request = open_request(bank_a, bank_a.customer, catalog)
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    client.get(detail_url(request))
    with django_assert_max_num_queries(16):
        response = client.get(detail_url(request))
    html = response.content.decode()
    assert 'data-testid="move-form"' in html and 'data-testid="reassign-form"' in html


def test_a_move_records_the_channel_the_form_defaulted_to(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    manager = bank_a[Role.BRANCH_MANAGER]
    client = client_for(manager)
    html = client.get(detail_url(request)).content.decode()
    channel = selected(html, "move-form", "move_channel")
    client.post(
        reverse("channels:request_move", args=[request.pk]),
        {"to_status": "accepted", "channel": channel},
    )
    with bank_a.scope():
        step = request.steps.order_by("-id").first()
    assert (step.to_status, step.channel_id, step.staff_id) == (
        "accepted",
        catalog["channels"]["COUNTER"].pk,
        manager.pk,
    )


# --- a logged contact ----------------------------------------------------------------------------


def contact_form(client, customer, preset="") -> str:
    url = reverse("channels:interaction_new", args=[customer.pk])
    if preset:
        url += f"?channel={preset}"
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def contact_defaults(html: str) -> dict:
    return {
        name: selected(html, "interaction-form", f"interaction_{name}")
        for name in ("channel", "kind", "direction", "outlet")
    }


def test_a_relationship_manager_calling_her_customer_logs_an_outbound_callback(
    bank_a, catalog, client_for
):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    phone = contact_defaults(contact_form(client, bank_a.customer, "phone"))
    assert phone == {
        "channel": str(catalog["channels"]["PHONE"].pk),
        "kind": "callback",
        "direction": "outbound",
        "outlet": "",
    }
    other = contact_defaults(contact_form(client, bank_a.customer, "other"))
    assert (other["channel"], other["kind"], other["direction"]) == ("", "callback", "outbound")
    # A customer who walks in to see her is still an inbound visit at the counter.
    counter = contact_defaults(contact_form(client, bank_a.customer, "counter"))
    assert (counter["kind"], counter["direction"]) == ("service", "inbound")


def test_the_customers_own_manager_follows_up_whatever_her_other_roles(bank_a, catalog, client_for):
    # A branch manager who looks after the customer herself calls out too.
    manager = bank_a[Role.BRANCH_MANAGER]
    with bank_a.scope():
        customer = CustomerFactory(
            home_branch=bank_a.sub_branch, relationship_manager=manager, number="AAA0010"
        )
    own = contact_defaults(contact_form(client_for(manager), customer, "phone"))
    assert (own["kind"], own["direction"]) == ("callback", "outbound")
    theirs = contact_defaults(contact_form(client_for(manager), bank_a.customer, "phone"))
    assert (theirs["kind"], theirs["direction"]) == ("enquiry", "inbound")


def test_counter_staff_log_an_inbound_visit_at_their_own_counter(bank_a, catalog, client_for):
    counter = OutletFactory(
        channel=catalog["channels"]["COUNTER"], branch=bank_a.sub_branch, name="AAA营业厅"
    )
    OutletFactory(channel=catalog["channels"]["COUNTER"], branch=bank_a.branch, code="A-BR-OUT")
    client = client_for(bank_a[Role.TELLER])
    assert contact_defaults(contact_form(client, bank_a.customer, "counter")) == {
        "channel": str(catalog["channels"]["COUNTER"].pk),
        "kind": "service",
        "direction": "inbound",
        "outlet": str(counter.pk),
    }
    phone = contact_defaults(contact_form(client, bank_a.customer, "phone"))
    assert (phone["kind"], phone["direction"], phone["outlet"]) == ("enquiry", "inbound", "")
    # Without a button: where the teller works.
    plain = contact_defaults(contact_form(client, bank_a.customer))
    assert (plain["channel"], plain["outlet"]) == (
        str(catalog["channels"]["COUNTER"].pk),
        str(counter.pk),
    )


def test_head_office_staff_answer_the_phone_by_default(bank_a, catalog, client_for):
    client = client_for(bank_a[Role.COMPLAINT_HANDLER])
    assert contact_defaults(contact_form(client, bank_a.customer)) == {
        "channel": str(catalog["channels"]["PHONE"].pk),
        "kind": "enquiry",
        "direction": "inbound",
        "outlet": "",
    }
