"""The home page is built from widgets that each app registers for the roles it serves."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from channels import services as channel_services
from crm.shell.widgets import Widget, register_widget, unregister_widget, widgets_for
from crm.tenancy.roles import Role
from customers.models import Customer
from tests.factories import CustomerFactory, HoldingFactory
from tests.factories.channels import standard_catalog


def card(page: str, key: str) -> str:
    """The body of the widget ``key`` on the page (empty when it is not there)."""
    marker = f'data-testid="widget-{key}"'
    return page.split(marker)[1].split("</section>")[0] if marker in page else ""


@pytest.fixture
def later_app_widget():
    """A widget as marketing would register it: only for marketing managers."""
    shown = register_widget(
        Widget(
            key="follow_ups_today",
            title="My follow-ups today",
            template="shell/widgets/colleagues.html",
            context=lambda request: {"colleagues": [], "role_labels": []},
            roles=frozenset({Role.MARKETING_MANAGER}),
        )
    )
    hidden = register_widget(
        Widget(
            key="nothing_today",
            title="Nothing to show",
            template="shell/widgets/colleagues.html",
            context=lambda request: None,
        )
    )
    yield shown
    unregister_widget(shown.key)
    unregister_widget(hidden.key)


def test_a_widget_registered_by_another_app_shows_to_its_roles_only(
    bank_a, client_for, later_app_widget
):
    marketing = client_for(bank_a["marketing_manager"]).get(reverse("home")).content.decode()
    teller = client_for(bank_a["teller"]).get(reverse("home")).content.decode()
    assert 'data-testid="widget-follow_ups_today"' in marketing
    assert 'data-testid="widget-follow_ups_today"' not in teller
    # A widget whose function has nothing to show leaves no empty card.
    assert 'data-testid="widget-nothing_today"' not in marketing


def test_widgets_come_in_their_order_whoever_registered_them(bank_a):
    with bank_a.scope():
        keys = [widget.key for widget in widgets_for(bank_a["relationship_manager"])]
        admin_keys = [widget.key for widget in widgets_for(bank_a["tenant_admin"])]
    assert keys[:4] == ["my_branch", "colleagues", "my_book", "my_requests"]
    assert "administration" in admin_keys and "my_book" not in admin_keys


def test_a_relationship_manager_sees_their_own_book(bank_a, bank_b, client_for):
    rm = bank_a["relationship_manager"]
    second = CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rm)
    CustomerFactory(home_branch=bank_a.sub_branch)  # in the pool: not the RM's
    with bank_a.scope():
        Customer.objects.filter(pk=bank_a.customer.pk).update(aum_fen=1_234_567)
        Customer.objects.filter(pk=second.pk).update(aum_fen=100)
    page = client_for(rm).get(reverse("home")).content.decode()
    book = card(page, "my_book")
    assert 'data-testid="my-book-count">2<' in book
    assert "12,346.67" in book
    assert f"relationship_manager={rm.pk}" in book
    teller = client_for(bank_a["teller"]).get(reverse("home")).content.decode()
    assert card(teller, "my_book") == ""


def test_my_service_requests_counts_the_open_and_overdue_ones_i_own(bank_a, client_for):
    catalog = standard_catalog(bank_a.tenant)
    rm = bank_a["relationship_manager"]

    def open_request(days_ago: int, owner):
        with bank_a.scope():
            return channel_services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=bank_a.customer,
                channel=catalog["channels"]["MOBILE"],
                summary="补办银行卡",
                owner=owner,
                opened_at=timezone.now() - timedelta(days=days_ago),
            )

    open_request(0, rm)
    open_request(90, rm)  # long past its deadline
    open_request(0, bank_a["teller"])  # someone else's
    page = client_for(rm).get(reverse("home")).content.decode()
    requests = card(page, "my_requests")
    assert 'data-testid="my-requests-open">2<' in requests
    overdue = requests.split('data-testid="my-requests-overdue">')[1].split("<")[0]
    assert overdue.split()[0] == "1"
    # The link opens the owner's own tab, whatever tab the person would land on otherwise.
    assert f'href="{reverse("channels:requests")}?tab=mine"' in requests


def test_the_home_page_keeps_its_query_budget(bank_a, client_for, django_assert_max_num_queries):
    for _ in range(20):
        HoldingFactory(
            customer=CustomerFactory(
                home_branch=bank_a.sub_branch, relationship_manager=bank_a["relationship_manager"]
            ),
            balance=Decimal("10.00"),
        )
    for role in ("relationship_manager", "tenant_admin", "auditor"):
        client = client_for(bank_a[role])
        client.get(reverse("home"))
        # The auditor's trail widget reads each audited table's newest events.
        with django_assert_max_num_queries(20):
            assert client.get(reverse("home")).status_code == 200
