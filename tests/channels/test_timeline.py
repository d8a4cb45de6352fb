"""The customer's timeline across channels, and logging a contact from the customer page."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import channels.panels  # noqa: F401  (registers the panel, as channels' AppConfig does)
from channels import selectors, services
from channels.models import Channel, Interaction, ServiceRequestStep
from crm.tenancy.roles import Role
from tests.database import become_application, owner_transaction
from tests.factories.channels import OutletFactory, standard_catalog
from tests.panels import queries_added_by_panel

HTMX = {"HX-Request": "true"}


@pytest.fixture
def catalog(bank_a):
    return standard_catalog(bank_a.tenant)


@pytest.fixture
def channel(catalog):
    return catalog["channels"]


def log(bank, customer, channel, *, hours_ago, kind="service", **kwargs) -> Interaction:
    with bank.scope():
        return services.interaction_log(
            customer=customer,
            channel=channel,
            kind=kind,
            occurred_at=timezone.now() - timedelta(hours=hours_ago),
            **kwargs,
        )


def open_request(bank, customer, channel, request_type, *, hours_ago, **kwargs):
    with bank.scope():
        return services.service_request_open(
            request_type=request_type,
            customer=customer,
            channel=channel,
            summary="AAA申请",
            opened_at=timezone.now() - timedelta(hours=hours_ago),
            **kwargs,
        )


def timeline_url(customer, **query) -> str:
    url = reverse("channels:timeline", args=[customer.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def entries(html: str) -> list[str]:
    return re.findall(r'data-entry="([a-z]+-\d+)"', html)


def next_link(html: str) -> str | None:
    match = re.search(r'rel="next"\s+href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


# --- what the timeline shows ------------------------------------------------------------------


def test_timeline_merges_interactions_and_request_steps_newest_first(bank_a, catalog, client_for):
    customer = bank_a.customer
    teller = bank_a[Role.TELLER]
    channels = catalog["channels"]
    oldest = log(
        bank_a,
        customer,
        channels["ATM"],
        hours_ago=5,
        kind="transaction",
        amount=Decimal("1234567.50"),
        source="core",
    )
    request = open_request(
        bank_a,
        customer,
        channels["MOBILE"],
        catalog["request_types"]["CARD_REPLACEMENT"],
        hours_ago=4,
        partner_name="AAA手机银行",
    )
    middle = log(
        bank_a,
        customer,
        channels["PHONE"],
        hours_ago=3,
        kind="enquiry",
        summary="AAA询问理财",
        outcome="AAA已答复",
    )
    newest = log(
        bank_a, customer, channels["COUNTER"], hours_ago=1, actor=teller, summary="AAA柜面开卡"
    )
    with bank_a.scope():
        services.service_request_move(
            request=request, to_status="accepted", channel=channels["COUNTER"], actor=teller
        )
        opened, accepted = ServiceRequestStep.objects.filter(request=request).order_by("id")

    page = client_for(teller).get(detail_url(customer)).content.decode()
    assert 'data-testid="panel-timeline"' in page
    timeline = page.split('data-testid="panel-timeline"')[1]
    assert entries(timeline) == [
        f"step-{accepted.pk}",
        f"interaction-{newest.pk}",
        f"interaction-{middle.pk}",
        f"step-{opened.pk}",
        f"interaction-{oldest.pk}",
    ]
    # What each line says: channel, who, summary, outcome, amount in grouped CNY.
    assert "AAA柜面开卡" in timeline and teller.name in timeline
    assert "AAA询问理财" in timeline and "AAA已答复" in timeline
    assert "1,234,567.50" in timeline and "core" in timeline
    assert channels["MOBILE"].name in timeline and "AAA手机银行" in timeline
    assert request.number in timeline
    assert reverse("channels:request_detail", args=[request.pk]) in timeline


def test_pages_cover_every_entry_once_in_order(bank_a, catalog, client_for):
    customer = bank_a.customer
    channels = catalog["channels"]
    same_time = timezone.now() - timedelta(hours=10)
    expected = []
    for index in range(23):
        # Groups of three share one instant: pages must not lose or repeat ties.
        moment = same_time - timedelta(minutes=(index // 3) * 7)
        with bank_a.scope():
            interaction = services.interaction_log(
                customer=customer, channel=channels["COUNTER"], kind="service", occurred_at=moment
            )
        expected.append((moment, 0, interaction.pk, f"interaction-{interaction.pk}"))
    for index in range(4):
        moment = same_time - timedelta(minutes=index * 11)
        request = open_request(
            bank_a,
            customer,
            channels["MOBILE"],
            catalog["request_types"]["ADDRESS_CHANGE"],
            hours_ago=0,
        )
        with bank_a.scope():
            step = ServiceRequestStep.objects.get(request=request)
            ServiceRequestStep.objects.filter(pk=step.pk).update(occurred_at=moment)
        expected.append((moment, 1, step.pk, f"step-{step.pk}"))
    expected = [entry for *_, entry in sorted(expected, reverse=True)]

    client = client_for(bank_a[Role.TELLER])
    seen, url, pages = [], timeline_url(customer), 0
    while url:
        response = client.get(url, headers=HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        seen += entries(html)
        url, pages = next_link(html), pages + 1
    assert pages == 2  # 27 entries, 20 a page
    assert seen == expected

    # Smaller pages through the selector: every page size walks the same order.
    for size in (1, 2, 3, 5):
        walked, after = [], ""
        with bank_a.scope():
            while True:
                page = selectors.timeline_page(
                    bank_a[Role.TELLER], customer, after=after, size=size
                )
                walked += [entry.dom_id for entry in page.entries]
                if not page.next_cursor:
                    break
                after = page.next_cursor
        assert walked == expected, size


def test_load_more_appends_rows_and_keeps_the_filters(bank_a, channel, client_for):
    for hour in range(25):
        log(bank_a, bank_a.customer, channel["PHONE"], hours_ago=hour + 1, kind="enquiry")
    log(bank_a, bank_a.customer, channel["COUNTER"], hours_ago=0.5)
    client = client_for(bank_a[Role.TELLER])
    first = client.get(timeline_url(bank_a.customer, channel="phone"), headers=HTMX)
    html = first.content.decode()
    assert 'id="timeline-entries-' in html and "<html" not in html
    assert len(entries(html)) == 20
    more = next_link(html)
    assert "channel=phone" in more and "after=" in more
    second = client.get(more, headers=HTMX).content.decode()
    assert 'id="timeline-entries-' not in second  # only rows, appended by htmx
    assert len(entries(second)) == 5 and next_link(second) is None
    assert not set(entries(html)) & set(entries(second))


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"channel": "counter"}, {"counter_contact", "counter_step"}),
        ({"channel": "mobile"}, {"mobile_step"}),
        ({"kind": "transaction"}, {"transaction"}),
        ({"kind": "request"}, {"counter_step", "mobile_step"}),
        ({"channel": "counter", "kind": "service"}, {"counter_contact"}),
        ({"channel": "wechat"}, set()),
    ],
)
def test_filters_by_channel_and_kind(query, shown, bank_a, catalog, client_for):
    channels = catalog["channels"]
    customer = bank_a.customer
    rows = {
        "counter_contact": log(bank_a, customer, channels["COUNTER"], hours_ago=1),
        "transaction": log(
            bank_a,
            customer,
            channels["ATM"],
            hours_ago=2,
            kind="transaction",
            amount=Decimal("100.00"),
        ),
    }
    request = open_request(
        bank_a,
        customer,
        channels["MOBILE"],
        catalog["request_types"]["LOAN_APPLICATION"],
        hours_ago=3,
    )
    with bank_a.scope():
        services.service_request_move(
            request=request, to_status="accepted", channel=channels["COUNTER"]
        )
        mobile_step, counter_step = ServiceRequestStep.objects.filter(request=request).order_by(
            "id"
        )
    ids = {
        "counter_contact": f"interaction-{rows['counter_contact'].pk}",
        "transaction": f"interaction-{rows['transaction'].pk}",
        "mobile_step": f"step-{mobile_step.pk}",
        "counter_step": f"step-{counter_step.pk}",
    }
    response = client_for(bank_a[Role.TELLER]).get(timeline_url(customer, **query), headers=HTMX)
    assert response.status_code == 200
    assert set(entries(response.content.decode())) == {ids[name] for name in shown}
    if not shown:
        assert 'data-testid="timeline-empty"' in response.content.decode()


@pytest.mark.parametrize(
    "query", [{"kind": "gossip"}, {"channel": "carrier_pigeon"}, {"after": "not-a-cursor"}]
)
def test_a_bad_query_string_is_refused_with_a_message(query, bank_a, catalog, client_for):
    client = client_for(bank_a[Role.TELLER])
    page = client.get(timeline_url(bank_a.customer, **query))
    assert page.status_code == 400
    assert 'data-testid="timeline-errors"' in page.content.decode()
    fragment = client.get(timeline_url(bank_a.customer, **query), headers=HTMX)
    assert fragment.status_code == 200  # htmx swaps it in, so that the message shows
    assert 'data-testid="timeline-errors"' in fragment.content.decode()


def test_the_timeline_page_works_without_javascript(bank_a, channel, client_for):
    for hour in range(21):
        log(bank_a, bank_a.customer, channel["COUNTER"], hours_ago=hour + 1, summary=f"AAA{hour}")
    response = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(timeline_url(bank_a.customer))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert bank_a.customer.name in html and len(entries(html)) == 20
    second = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(next_link(html))
    assert second.status_code == 200 and len(entries(second.content.decode())) == 1


def test_steps_of_requests_outside_the_viewers_team_are_shown_without_a_link(
    bank_a, catalog, client_for
):
    """The customer's history is whole; the request page opens only for its teams' staff."""
    request = open_request(
        bank_a,
        bank_a.customer,
        catalog["channels"]["MOBILE"],
        catalog["request_types"]["LOAN_APPLICATION"],
        hours_ago=1,
        team=bank_a.other_branch,
    )
    html = client_for(bank_a[Role.TELLER]).get(timeline_url(bank_a.customer)).content.decode()
    assert request.number in html
    assert reverse("channels:request_detail", args=[request.pk]) not in html
    head_office = client_for(bank_a[Role.COMPLAINT_HANDLER])
    html = head_office.get(timeline_url(bank_a.customer)).content.decode()
    assert reverse("channels:request_detail", args=[request.pk]) in html


def test_timeline_out_of_scope_or_of_another_bank_is_not_found(bank_a, bank_b, catalog, client_for):
    standard_catalog(bank_b.tenant)
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(timeline_url(bank_a.other_customer)).status_code == 404
    assert teller.get(timeline_url(bank_b.customer)).status_code == 404
    assert teller.get(timeline_url(bank_b.customer), headers=HTMX).status_code == 404


# --- staying fast ---------------------------------------------------------------------------


@pytest.fixture
def busy_customer(bank_a, catalog):
    """Bank A's customer with 10,000 interactions across channels and a few requests."""
    channels = list(catalog["channels"].values())
    customer = bank_a.customer
    start = timezone.now() - timedelta(days=700)
    kinds = Interaction.Kind.values
    with bank_a.scope():
        Interaction.objects.bulk_create(
            [
                Interaction(
                    tenant=bank_a.tenant,
                    customer=customer,
                    channel=channels[index % len(channels)],
                    kind=kinds[index % len(kinds)],
                    amount=Decimal("88.00") if kinds[index % len(kinds)] == "transaction" else None,
                    occurred_at=start + timedelta(minutes=97 * index),
                    summary=f"第{index}次",
                )
                for index in range(10_000)
            ],
            batch_size=2000,
        )
    for index in range(5):
        open_request(
            bank_a,
            customer,
            catalog["channels"]["MOBILE"],
            catalog["request_types"]["CARD_REPLACEMENT"],
            hours_ago=index * 30,
        )
    return customer


def test_first_page_of_10000_interactions_takes_a_bounded_number_of_queries(
    bank_a, busy_customer, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.TELLER])
    client.get(timeline_url(busy_customer), headers=HTMX)  # session and permissions warm
    with django_assert_max_num_queries(10):
        first = client.get(timeline_url(busy_customer), headers=HTMX)
    html = first.content.decode()
    assert len(entries(html)) == 20
    with django_assert_max_num_queries(10):
        second = client.get(next_link(html), headers=HTMX)
    assert len(entries(second.content.decode())) == 20
    with django_assert_max_num_queries(10):
        filtered = client.get(timeline_url(busy_customer, channel="counter", kind="enquiry"))
    assert filtered.status_code == 200


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.TELLER, Role.BRANCH_MANAGER])
def test_customer_page_with_the_timeline_stays_within_twenty_queries(
    role, bank_a, busy_customer, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[role])
    with django_assert_max_num_queries(20):
        response = client.get(detail_url(busy_customer))
    assert response.status_code == 200
    assert len(entries(response.content.decode())) == 20


def test_the_panel_adds_one_query_to_the_customer_page(bank_a, busy_customer, client_for):
    """Counted against the page without the panel: one query for both sources."""
    client = client_for(bank_a[Role.AUDITOR])
    assert queries_added_by_panel(client, detail_url(busy_customer), "timeline") == 1


@pytest.mark.django_db(transaction=True)
def test_timeline_reads_the_customers_rows_through_the_timeline_index(bank_a, busy_customer):
    """As the application role, under row-level security, first and later pages alike.

    Here every interaction of the bank is this customer's, so the planner could as well
    walk the bank's (tenant, occurred_at) index; in a real bank it is one customer among
    millions. So, in a transaction of its own (rolled back afterwards), the owner drops
    that index, and the question becomes whether the application role's plan can use the
    timeline index, or whether row-level security forces it to read and sort every row.
    """
    teller = bank_a[Role.TELLER]
    queries_to_explain = []
    with bank_a.scope():
        middle = Interaction.objects.order_by("-occurred_at", "-id")[5000]
        later_page = selectors.encode_timeline_cursor((middle.occurred_at, middle.pk), None)
        for filters in ({}, {"after": later_page}, {"channel_kind": "counter"}):
            with CaptureQueriesContext(connection) as queries:
                page = selectors.timeline_page(teller, busy_customer, **filters)
            assert len(page.entries) == 20
            # Both sources, in one query.
            (sql,) = [q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]]
            queries_to_explain.append(sql)
    plans = []
    with owner_transaction() as cursor:
        cursor.execute("DROP INDEX interaction_time")
        cursor.execute("ANALYZE channels_interaction")
        cursor.execute("ANALYZE channels_channel")
        become_application(cursor, bank_a.tenant)
        for sql in queries_to_explain:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    for plan in plans:
        lines = plan.splitlines()
        at = next(
            (n for n, line in enumerate(lines) if "Scan using interaction_timeline" in line), None
        )
        assert at is not None, plan
        assert "customer_id" in lines[at + 1], plan  # Index Cond: tenant and customer
        # Between the page's Limit and the scan, no Sort: the index gives the order.
        limit = max(n for n, line in enumerate(lines[:at]) if "Limit" in line)
        assert not any("Sort" in line for line in lines[limit:at]), plan


# --- logging a contact ------------------------------------------------------------------------


def log_url(customer) -> str:
    return reverse("channels:interaction_log", args=[customer.pk])


def new_contact_url(customer, preset="") -> str:
    url = reverse("channels:interaction_new", args=[customer.pk])
    return f"{url}?channel={preset}" if preset else url


def test_counter_button_opens_the_form_with_the_counter_preset(bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])
    page = client.get(detail_url(bank_a.customer)).content.decode()
    assert (
        'data-testid="log-counter"' in page and new_contact_url(bank_a.customer, "counter") in page
    )
    form = client.get(new_contact_url(bank_a.customer, "counter"), headers=HTMX).content.decode()
    assert "<html" not in form and 'data-testid="interaction-form"' in form
    assert f'<option value="{channel["COUNTER"].pk}" selected>' in form
    assert 'value="service" selected' in form
    phone = client.get(new_contact_url(bank_a.customer, "phone"), headers=HTMX).content.decode()
    assert f'<option value="{channel["PHONE"].pk}" selected>' in phone
    assert 'value="enquiry" selected' in phone


def test_teller_logs_a_counter_contact_and_sees_it_at_the_top(bank_a, channel, client_for):
    log(bank_a, bank_a.customer, channel["PHONE"], hours_ago=1, summary="AAA旧的联系")
    teller = bank_a[Role.TELLER]
    response = client_for(teller).post(
        log_url(bank_a.customer),
        {
            "channel": channel["COUNTER"].pk,
            "kind": "service",
            "direction": "inbound",
            "summary": "AAA更换银行卡",
            "outcome": "AAA已办结",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    with bank_a.scope():
        logged = Interaction.objects.get(summary="AAA更换银行卡")
    assert logged.customer_id == bank_a.customer.pk and logged.staff_id == teller.pk
    assert logged.channel_id == channel["COUNTER"].pk and logged.outlet_id is None
    assert logged.outcome == "AAA已办结" and logged.amount is None
    html = response.content.decode()
    assert html.lstrip().startswith(f'<div id="timeline-{bank_a.customer.pk}"')
    assert entries(html)[0] == f"interaction-{logged.pk}"
    assert 'data-testid="contact-logged"' in html and "AAA旧的联系" in html


def test_a_transaction_is_logged_with_its_amount_and_an_outlet_when_chosen(
    bank_a, channel, client_for
):
    outlet = OutletFactory(
        channel=channel["COUNTER"], branch=bank_a.sub_branch, name="AAA第一支行营业厅"
    )
    response = client_for(bank_a[Role.TELLER]).post(
        log_url(bank_a.customer),
        {
            "channel": channel["COUNTER"].pk,
            "kind": "transaction",
            "direction": "inbound",
            "summary": "AAA现金存款",
            "amount": "25000.00",
            "outlet": outlet.pk,
        },
    )
    assert response.status_code == 302 and response.url == detail_url(bank_a.customer)
    with bank_a.scope():
        logged = Interaction.objects.get(summary="AAA现金存款")
    assert logged.amount == Decimal("25000.00") and logged.outlet_id == outlet.pk
    page = client_for(bank_a[Role.TELLER]).get(detail_url(bank_a.customer)).content.decode()
    assert "25,000.00" in page and "AAA第一支行营业厅" in page


def test_a_transaction_without_an_amount_is_refused_and_nothing_is_logged(
    bank_a, channel, client_for
):
    data = {
        "channel": channel["COUNTER"].pk,
        "kind": "transaction",
        "direction": "inbound",
        "summary": "AAA转账",
    }
    client = client_for(bank_a[Role.TELLER])
    response = client.post(log_url(bank_a.customer), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps it: the form comes back to be fixed
    assert response.headers["HX-Retarget"] == f"#interaction-form-{bank_a.customer.pk}"
    assert 'data-testid="amount-error"' in html
    assert "AAA转账" in html  # what was typed is kept
    without_htmx = client.post(log_url(bank_a.customer), data)
    assert without_htmx.status_code == 400
    assert 'data-testid="amount-error"' in without_htmx.content.decode()
    empty = client.post(log_url(bank_a.customer), {**data, "kind": "service", "summary": ""})
    assert empty.status_code == 400
    with bank_a.scope():
        assert not Interaction.objects.exists()


def test_an_amount_is_only_kept_for_transactions(bank_a, channel, client_for):
    client_for(bank_a[Role.TELLER]).post(
        log_url(bank_a.customer),
        {
            "channel": channel["PHONE"].pk,
            "kind": "enquiry",
            "direction": "inbound",
            "summary": "AAA咨询",
            "amount": "10.00",
        },
    )
    with bank_a.scope():
        assert Interaction.objects.get(summary="AAA咨询").amount is None


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MARKETING_MANAGER, Role.RISK_OFFICER])
def test_staff_without_the_permission_cannot_log_contacts(role, bank_a, channel, client_for):
    client = client_for(bank_a[role])
    page = client.get(detail_url(bank_a.customer)).content.decode()
    assert 'data-testid="panel-timeline"' in page  # they read the timeline
    assert 'data-testid="log-counter"' not in page
    assert client.get(new_contact_url(bank_a.customer, "counter")).status_code == 403
    response = client.post(
        log_url(bank_a.customer),
        {
            "channel": channel["COUNTER"].pk,
            "kind": "service",
            "direction": "inbound",
            "summary": "AAA越权",
        },
    )
    assert response.status_code == 403
    with bank_a.scope():
        assert not Interaction.objects.exists()


def test_logging_for_a_customer_out_of_scope_or_of_another_bank_is_not_found(
    bank_a, bank_b, channel, client_for
):
    other_channels = standard_catalog(bank_b.tenant)["channels"]
    client = client_for(bank_a[Role.TELLER])
    for customer, catalog_channels in (
        (bank_a.other_customer, channel),
        (bank_b.customer, other_channels),
    ):
        data = {
            "channel": catalog_channels["COUNTER"].pk,
            "kind": "service",
            "direction": "inbound",
            "summary": "AAA越界",
        }
        assert client.post(log_url(customer), data, headers=HTMX).status_code == 404
        assert client.post(log_url(customer), data).status_code == 404
        assert client.get(new_contact_url(customer, "counter")).status_code == 404
    with bank_a.scope():
        assert not Interaction.objects.exists()
    with bank_b.scope():
        assert not Interaction.objects.exists()


def test_an_outlet_or_channel_the_teller_cannot_use_changes_nothing(
    bank_a, bank_b, channel, client_for
):
    far_outlet = OutletFactory(
        channel=channel["COUNTER"], branch=bank_a.other_branch, name="AAA二分行营业厅"
    )
    foreign_channel = standard_catalog(bank_b.tenant)["channels"]["COUNTER"]
    client = client_for(bank_a[Role.TELLER])
    data = {
        "channel": channel["COUNTER"].pk,
        "kind": "service",
        "direction": "inbound",
        "summary": "AAA",
    }
    assert (
        client.post(log_url(bank_a.customer), {**data, "outlet": far_outlet.pk}).status_code == 404
    )
    foreign = client.post(log_url(bank_a.customer), {**data, "channel": foreign_channel.pk})
    assert foreign.status_code == 400 and "ZZZ" not in foreign.content.decode()
    with bank_a.scope():
        Channel.objects.filter(pk=channel["SMS"].pk).update(is_active=False)
    inactive = client.post(log_url(bank_a.customer), {**data, "channel": channel["SMS"].pk})
    assert inactive.status_code == 400
    with bank_a.scope():
        assert not Interaction.objects.exists()


def test_a_transaction_above_the_largest_amount_is_refused(bank_a, channel, client_for):
    data = {
        "channel": channel["COUNTER"].pk,
        "kind": "transaction",
        "direction": "inbound",
        "summary": "AAA大额转账",
        "amount": "10000000000000.00",  # ten trillion yuan: past crm.bounds.MAX_AMOUNT
    }
    response = client_for(bank_a[Role.TELLER]).post(log_url(bank_a.customer), data)
    assert response.status_code == 400
    assert 'data-testid="amount-error"' in response.content.decode()
    with bank_a.scope():
        assert not Interaction.objects.exists()
