"""Branch staff in a real browser: find a customer, open their page, reveal, hand over."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.audit.models import PersonalDataAccess
from crm.tenancy.roles import Role
from customers.models import Assignment, Customer
from tests.browser.conftest import choose_manager, login, screenshot
from tests.factories import BalanceSnapshotFactory, CustomerFactory, StaffFactory
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_branch_manager_finds_reveals_and_hands_over_a_customer(page, live_server, bank_a, bank_b):
    manager = bank_a[Role.BRANCH_MANAGER]
    colleague = StaffFactory(
        branch=bank_a.sub_branch, name="AAA赵六", roles=[Role.RELATIONSHIP_MANAGER]
    )
    for month in range(1, 13):
        BalanceSnapshotFactory(
            customer=bank_a.customer, month=date(2025, month, 1), aum=Decimal(20000 + 1000 * month)
        )
    CustomerFactory(home_branch=bank_a.branch, number="AAA0300", name="AAA王五")

    login(page, live_server, manager.username, TEST_PASSWORD)
    page.locator('nav a[href="/customers/"]').click()
    page.wait_for_url(f"{live_server.url}/customers/")
    rows = page.get_by_test_id("customer-table").locator("tbody tr[data-customer]")
    assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.customer)")) == [
        "AAA0001",
        "AAA0300",
    ]
    assert "ZZZ" not in page.content()

    # Typing a phone number searches without reloading the page.
    page.evaluate("window.__samePage = true")
    with page.expect_response(lambda r: "/customers/?" in r.url and "q=" in r.url):
        page.locator("#id_q").fill("138 1234 5678")
    # A locator, not wait_for_function: a polled string predicate is eval, which the
    # page's Content-Security-Policy refuses.
    expect(page.locator("[data-testid=customer-table] tbody tr[data-customer]")).to_have_count(1)
    assert page.evaluate("window.__samePage") is True, "the search reloaded the whole page"
    assert rows.first.get_attribute("data-customer") == "AAA0001"
    assert "q=" in page.url  # the search is in the address bar, to share or go back to
    assert rows.first.locator("td").nth(5).inner_text() == "138****5678"
    screenshot(page, "customers-list-search.png")

    # The customer page: identity masked until revealed with a reason.
    rows.first.get_by_role("link", name="AAA张三").click()
    page.wait_for_url(f"{live_server.url}/customers/{bank_a.customer.pk}/")
    assert page.get_by_test_id("customer-name").inner_text() == "AAA张三"
    assert page.get_by_test_id("figure-deposits").inner_text() == "50,000.00"
    page.locator("[data-aum-chart] canvas").first.wait_for()  # ECharts drew the trend
    assert page.get_by_test_id("reveal-phone").inner_text().startswith("138****5678")

    page.get_by_test_id("reveal-button-phone").click()
    reason = page.locator("#reveal-form-phone input[name=reason]")
    reason.wait_for(state="visible")
    reason.fill("客户来电核实身份")
    page.locator("#reveal-form-phone button[type=submit]").click()
    page.get_by_test_id("revealed-phone").wait_for()
    assert page.get_by_test_id("revealed-phone").inner_text() == "13812345678"
    with bank_a.scope():
        access = PersonalDataAccess.objects.get()
    assert (access.staff_id, access.field, access.reason) == (
        manager.pk,
        "phone",
        "客户来电核实身份",
    )
    screenshot(page, "customers-page-revealed.png")

    # Back to the list: tick the customer and hand them over to a colleague.
    page.goto(f"{live_server.url}/customers/?q=AAA")
    page.locator(f'input[name="customer"][value="{bank_a.customer.pk}"]').check()
    assert "1" in page.get_by_test_id("selected-count").inner_text()
    # The colleague is looked up by name: the page does not list every manager of the bank.
    choose_manager(page, "handover-manager", "赵六", "AAA赵六")
    assert page.locator("#handover-manager").input_value() == str(colleague.pk)
    assert page.locator("#handover-manager-lookup").input_value() == "AAA赵六 · AAA第一支行"
    page.locator("#handover-reason").fill("原客户经理休假")
    with page.expect_navigation():
        page.get_by_test_id("handover-selected").locator("button[type=submit]").click()
    assert page.url == f"{live_server.url}/customers/?q=AAA"
    assert page.locator(".alert-success").count() == 1
    row = page.locator('tr[data-customer="AAA0001"]')
    assert "AAA赵六" in row.inner_text()
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        handover = Assignment.objects.get(customer=customer)
    assert customer.relationship_manager_id == colleague.pk
    assert handover.reason == "原客户经理休假" and handover.changed_by_id == manager.pk
    assert "ZZZ" not in page.content()


def test_select_all_ticks_every_customer_on_the_page(page, live_server, bank_a):
    for index in range(3):
        CustomerFactory(home_branch=bank_a.sub_branch, number=f"AAA05{index}")
    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    page.locator("[data-select-all]").check()
    boxes = page.locator('input[name="customer"]')
    assert boxes.count() == 4
    assert all(box.is_checked() for box in boxes.all())
    assert "4" in page.get_by_test_id("selected-count").inner_text()
    # Filtering swaps the results in; nothing stays ticked behind the user's back.
    with page.expect_response(lambda r: "kind=corporate" in r.url):
        page.locator("#id_kind").select_option("corporate")
    expect(page.locator("input[name=customer]")).to_have_count(0)
    assert "4" not in page.get_by_test_id("selected-count").inner_text()


def test_head_office_filters_by_a_manager_found_by_name(page, live_server, bank_a):
    colleague = StaffFactory(
        branch=bank_a.sub_branch,
        name="AAA赵六",
        employee_number="E0606",
        roles=[Role.RELATIONSHIP_MANAGER],
    )
    CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=colleague, number="AAA0600")
    login(page, live_server, bank_a[Role.TENANT_ADMIN].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/")
    rows = page.get_by_test_id("customer-table").locator("tbody tr[data-customer]")
    assert rows.count() == 3

    # Typing finds the manager without touching the list; choosing one filters it.
    list_requests = []
    page.on("request", lambda r: "/customers/?" in r.url and list_requests.append(r.url))
    lookup = page.locator("#id_relationship_manager-lookup")
    with page.expect_response(lambda r: "/customers/managers/?" in r.url):
        lookup.fill("E06")
    page.get_by_test_id("manager-matches").wait_for()
    assert list_requests == [] and rows.count() == 3
    assert page.url == f"{live_server.url}/customers/"  # a lookup is not a place to go back to
    with page.expect_response(lambda r: f"relationship_manager={colleague.pk}" in r.url):
        lookup.press("Enter")  # the only match
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-customer") == "AAA0600"
    assert f"relationship_manager={colleague.pk}" in page.url
    assert page.locator("[data-testid=manager-matches]").count() == 0  # the list closed

    # After a reload the chosen manager is still in the box.
    page.reload()
    assert lookup.input_value() == "AAA赵六 · AAA第一支行"
    assert rows.count() == 1

    # The public pool is one of the choices; an emptied box is anyone again.
    with page.expect_response(lambda r: "/customers/managers/?" in r.url):
        lookup.fill("AAA")
    with page.expect_response(lambda r: "relationship_manager=pool" in r.url):
        page.locator("[data-manager-choice=pool]").click()
    expect(rows.first).to_have_attribute("data-customer", "AAA0002")
    expect(rows).to_have_count(1)
    with page.expect_response(
        lambda r: "/customers/?" in r.url and "relationship_manager=&" in r.url
    ):
        lookup.fill("")
    expect(rows).to_have_count(3)

    # Handing over needs a manager chosen from the list: the form says so and stays.
    page.locator('input[name="customer"]').first.check()
    page.locator("#handover-reason").fill("调整")
    page.get_by_test_id("handover-selected").locator("button[type=submit]").click()
    message = page.locator("#handover-manager-lookup").evaluate("box => box.validationMessage")
    assert message
    assert page.locator('input[name="customer"]').first.is_checked()  # still the same page
    screenshot(page, "customers-list-manager-lookup.png")


def test_head_office_hands_a_departed_managers_book_to_a_colleague(page, live_server, bank_a):
    departed = StaffFactory(
        branch=bank_a.sub_branch, name="AAA钱七", is_active=False, roles=[Role.RELATIONSHIP_MANAGER]
    )
    colleague = StaffFactory(
        branch=bank_a.sub_branch, name="AAA赵六", roles=[Role.RELATIONSHIP_MANAGER]
    )
    book = [
        CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=departed, number=number)
        for number in ("AAA0800", "AAA0801")
    ]
    login(page, live_server, bank_a[Role.TENANT_ADMIN].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/handover/")
    form = page.get_by_test_id("book-handover-form")
    assert form.locator("select").count() == 0  # managers are looked up, not listed
    assert page.locator("#id_to_manager").input_value() == "pool"  # unless someone is chosen

    # Without the departing manager the form says so and stays.
    page.locator("#id_reason").fill("客户经理离职")
    form.locator("button[type=submit]").click()
    assert page.locator("#id_from_manager-lookup").evaluate("box => box.validationMessage")
    assert page.url == f"{live_server.url}/customers/handover/"

    choose_manager(page, "id_from_manager", "钱七", "AAA钱七")  # deactivated, still findable
    assert page.locator("#id_from_manager").input_value() == str(departed.pk)
    with page.expect_response(lambda r: "/customers/managers/?" in r.url):
        page.locator("#id_to_manager-lookup").fill("AAA")
    matches = page.locator("#id_to_manager-matches")
    expect(matches.locator("[data-manager-choice=pool]")).to_have_count(1)
    assert "AAA钱七" not in matches.inner_text()  # no book goes to a deactivated manager
    choose_manager(page, "id_to_manager", "赵六", "AAA赵六")
    assert page.locator("#id_to_manager").input_value() == str(colleague.pk)
    screenshot(page, "customers-book-handover.png")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # Asked once, with how many customers move and to whom; nothing has moved yet.
    summary = page.get_by_test_id("handover-summary")
    expect(summary).to_contain_text("2")
    expect(summary).to_contain_text("AAA赵六")
    with bank_a.scope():
        assert Customer.objects.filter(relationship_manager=colleague).count() == 0
    screenshot(page, "customers-book-handover-confirm.png")
    with page.expect_navigation():
        page.get_by_test_id("confirm-handover").click()
    assert page.locator(".alert-success").count() == 1
    with bank_a.scope():
        for customer in book:
            customer.refresh_from_db()
            assert customer.relationship_manager_id == colleague.pk


def test_branch_manager_gives_a_customer_to_the_pool_on_the_customer_form(
    page, live_server, bank_a
):
    colleague = StaffFactory(
        branch=bank_a.sub_branch, name="AAA赵六", roles=[Role.RELATIONSHIP_MANAGER]
    )
    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{bank_a.customer.pk}/edit/")
    form = page.get_by_test_id("customer-form")
    assert form.locator('select[name="relationship_manager"]').count() == 0
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    assert page.locator("#id_relationship_manager").input_value() == str(rm.pk)
    choose_manager(page, "id_relationship_manager", "赵六", "AAA赵六")
    assert page.locator("#id_relationship_manager").input_value() == str(colleague.pk)
    # Changed their mind: nobody, the public pool.
    with page.expect_response(lambda r: "/customers/managers/?" in r.url):
        page.locator("#id_relationship_manager-lookup").fill("AAA")
    page.locator("#id_relationship_manager-matches [data-manager-choice=pool]").click()
    assert page.locator("#id_relationship_manager").input_value() == "pool"
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url == f"{live_server.url}/customers/{bank_a.customer.pk}/"
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).relationship_manager_id is None
