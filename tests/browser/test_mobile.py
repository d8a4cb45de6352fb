"""Branch staff on a phone (390 x 844) and at the keyboard: cards, whole numbers, a skip link."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories import CustomerFactory, HoldingFactory
from tests.factories.channels import ServiceRequestFactory
from tests.factories.customers import ProductFactory
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# How many line boxes a cell's own text takes (its ::before label aside): a number broken
# mid-figure, or a name set one character per line, takes several.
TEXT_LINES = """cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  return new Set(Array.from(range.getClientRects(), (rect) => Math.round(rect.top))).size;
}"""


def assert_fits_the_screen(page, locator) -> None:
    """``locator``'s box lies within the phone's width: nothing to scroll sideways to."""
    box = locator.bounding_box()
    assert box is not None, "not displayed"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, box


def assert_no_sideways_scrolling(page, table) -> None:
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    # The old table scrolled inside its own box, which the page's width does not show.
    scroller = page.locator(".table-responsive", has=table)
    widths = scroller.evaluate("box => [box.scrollWidth, box.clientWidth]")
    if widths[0] > widths[1]:
        screenshot(page, "phone-sideways.png")
    assert widths[0] <= widths[1], f"the table scrolls sideways: {widths}"


def test_on_a_phone_the_customer_list_is_cards_with_the_first_one_on_the_first_screen(
    page, live_server, bank_a
):
    manager = bank_a[Role.BRANCH_MANAGER]  # the most on the page: filters, handover, tick boxes
    CustomerFactory(
        home_branch=bank_a.branch,
        relationship_manager=bank_a[Role.RELATIONSHIP_MANAGER],
        number="AAA0400",
        name="AAA欧阳娜娜",
        aum_fen=12_345_678_901,
    )
    page.set_viewport_size(PHONE)
    login(page, live_server, manager.username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("customers:list") + "?sort=aum_desc")

    table = page.get_by_test_id("customer-table")
    assert_no_sideways_scrolling(page, table)
    card = table.locator("tbody tr[data-customer]").first
    assert card.get_attribute("data-customer") == "AAA0400"
    # The first result is on the first screen, whole.
    box = card.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert_fits_the_screen(page, card)
    # A card, not a row: its cells stack, each labelled with its column's header.
    aum = card.locator("td.num")
    manager_cell = card.locator("td", has_text=bank_a[Role.RELATIONSHIP_MANAGER].name)
    for cell in (aum, manager_cell):
        assert_fits_the_screen(page, cell)
    assert aum.bounding_box()["y"] > manager_cell.bounding_box()["y"]
    assert aum.get_attribute("data-label") == table.locator("thead th.num").inner_text()
    assert aum.inner_text().endswith("123,456,789.01")
    assert aum.evaluate(TEXT_LINES) == 1, "the AUM breaks over lines"
    assert card.locator("td.cell-title").evaluate(TEXT_LINES) == 1
    screenshot(page, "phone-customer-list.png")

    # The filters fold away; opened, they are all there.
    expect(page.locator("#id_kind")).to_be_hidden()
    page.locator("[data-bs-target='#customer-filters']").click()
    expect(page.locator("#id_kind")).to_be_visible()


def test_on_a_phone_the_customer_page_shows_whole_figures_and_product_names(
    page, live_server, bank_a
):
    customer = CustomerFactory(home_branch=bank_a.branch, number="AAA0600", name="AAA司马相如")
    HoldingFactory(
        customer=customer,
        product=ProductFactory(tenant=bank_a.tenant, name="整存整取定期存款"),
        balance=Decimal("123456789.01"),
    )
    page.set_viewport_size(PHONE)
    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("customers:detail", args=[customer.pk]))

    for figure in ("figure-aum", "figure-deposits"):
        value = page.get_by_test_id(figure)
        assert value.inner_text() == "123,456,789.01"
        assert value.evaluate(TEXT_LINES) == 1, f"{figure} breaks over lines"
        assert_fits_the_screen(page, value)
        # Within its own card too, not spilling into the next one.
        card = page.locator(".card", has=value)
        assert value.bounding_box()["x"] + value.bounding_box()["width"] <= (
            card.bounding_box()["x"] + card.bounding_box()["width"]
        )

    holdings = page.get_by_test_id("holdings")
    holdings.scroll_into_view_if_needed()
    product = holdings.locator("td", has_text="整存整取定期存款")
    assert product.evaluate(TEXT_LINES) == 1, "the product name wraps"
    assert_fits_the_screen(page, holdings.locator("td.num", has_text="123,456,789.01"))
    assert_no_sideways_scrolling(page, holdings)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "phone-customer-page.png")


def test_on_a_phone_the_pool_and_the_request_queue_are_cards(page, live_server, bank_a):
    manager = bank_a[Role.RELATIONSHIP_MANAGER]
    CustomerFactory(
        home_branch=manager.branch, number="AAA0500", name="AAA司马光", aum_fen=987_654_321_00
    )
    ServiceRequestFactory(
        customer=bank_a.customer, owner=manager, summary="AAA更换预留手机号码" * 3
    )
    page.set_viewport_size(PHONE)
    login(page, live_server, manager.username, TEST_PASSWORD)

    page.goto(live_server.url + reverse("customers:pool"))
    pool = page.get_by_test_id("pool-table")
    assert_no_sideways_scrolling(page, pool)
    row = pool.locator("tbody tr[data-customer=AAA0500]")
    for cell in (row.locator("td.num"), row.get_by_role("button")):
        assert_fits_the_screen(page, cell)
    assert row.locator("td.num").evaluate(TEXT_LINES) == 1

    page.goto(live_server.url + reverse("channels:requests") + "?tab=mine")
    requests = page.get_by_test_id("request-table")
    assert_no_sideways_scrolling(page, requests)
    row = requests.locator("tbody tr[data-request]").first
    assert_fits_the_screen(page, row)
    assert_fits_the_screen(page, row.locator("td").last)  # the due date, the last column
    screenshot(page, "phone-request-queue.png")


@pytest.mark.parametrize(
    "viewport", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"]
)
def test_the_first_tab_leads_into_the_search_box_and_the_second_to_the_content(
    page, live_server, bank_a, viewport
):
    page.set_viewport_size(viewport)
    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("customers:list"))

    to_search = page.get_by_test_id("skip-to-search")
    to_content = page.get_by_test_id("skip-link")
    assert to_search.bounding_box()["width"] <= 1  # hidden until it has the focus
    assert to_content.bounding_box()["width"] <= 1
    page.keyboard.press("Tab")
    expect(to_search).to_be_focused()
    assert to_search.bounding_box()["width"] > 50
    expect(to_search).to_be_in_viewport()
    page.keyboard.press("Tab")  # the second Tab: the skip link to the content
    expect(to_content).to_be_focused()
    expect(to_content).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    page.reload()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the first skip link puts the cursor in the search box
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("AAA张三")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("customer-table").locator("tbody tr[data-customer]")).to_have_count(
        1
    )


def test_on_a_desktop_the_short_columns_of_the_customer_list_stay_on_one_line(
    page, live_server, bank_a
):
    manager = bank_a[Role.BRANCH_MANAGER]  # tick boxes, and every column
    CustomerFactory(
        home_branch=bank_a.branch,
        relationship_manager=bank_a[Role.RELATIONSHIP_MANAGER],
        number="AAA0401",
        name="AAA司马相如",
        kind="corporate",
    )
    page.set_viewport_size({"width": 1000, "height": 800})  # just above the cards
    login(page, live_server, manager.username, TEST_PASSWORD)
    page.goto(live_server.url + reverse("customers:list") + "?q=AAA0401")

    row = page.get_by_test_id("customer-table").locator("tbody tr[data-customer='AAA0401']")
    cells = row.locator("td")
    # With the tick box first: kind, tier, risk grade and status ("公/司" broke one per line).
    for index in (3, 8, 9, 10):
        assert cells.nth(index).evaluate(TEXT_LINES) <= 1, cells.nth(index).inner_text()
