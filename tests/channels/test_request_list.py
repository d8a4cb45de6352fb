"""The requests list: the tab a person lands on, the closed requests, and finding a request
by its number."""

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels import selectors, services
from channels.models import ServiceRequest
from crm.tenancy.roles import Role
from tests.channels.test_service_requests import HTMX, open_request, queue_url, rows
from tests.database import become_application, owner_transaction
from tests.factories.channels import standard_catalog


@pytest.fixture
def catalog(bank_a):
    return standard_catalog(bank_a.tenant)


def close(bank, request, catalog, *, status="completed", minutes_ago=0) -> ServiceRequest:
    """Take ``request`` through the workflow to ``status``, closed ``minutes_ago``."""
    path = {
        "completed": ["accepted", "in_progress", "completed"],
        "cancelled": ["cancelled"],
        "rejected": ["rejected"],
    }[status]
    with bank.scope():
        for to_status in path:
            request = services.service_request_move(
                request=request,
                to_status=to_status,
                channel=catalog["channels"]["COUNTER"],
                note="AAA说明",
            )
        ServiceRequest.objects.filter(pk=request.pk).update(
            closed_at=timezone.now() - timedelta(minutes=minutes_ago)
        )
        return ServiceRequest.objects.get(pk=request.pk)


def search(client, typed: str, **headers):
    return client.get(reverse("channels:requests"), {"number": typed}, headers=headers)


def active_tab(html: str) -> str:
    return re.search(r'aria-current="page"[^>]*data-testid="tab-([a-z]+)"', html).group(1)


@pytest.fixture
def requests(bank_a, catalog):
    teller, rm = bank_a[Role.TELLER], bank_a[Role.RELATIONSHIP_MANAGER]
    return {
        "mine": open_request(bank_a, bank_a.customer, catalog, owner=teller),
        "team": open_request(bank_a, bank_a.customer, catalog, owner=rm),
        "closed_earlier": close(
            bank_a, open_request(bank_a, bank_a.customer, catalog), catalog, minutes_ago=60
        ),
        "closed_later": close(
            bank_a,
            open_request(bank_a, bank_a.customer, catalog, owner=teller),
            catalog,
            status="cancelled",
            minutes_ago=5,
        ),
        "closed_elsewhere": close(
            bank_a, open_request(bank_a, bank_a.other_customer, catalog), catalog
        ),
    }


# --- the tab a person lands on -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "tab", "expected"),
    [
        # Managers and those who oversee: their branches' open requests, not an empty "mine".
        (Role.BRANCH_MANAGER, "team", {"mine", "team"}),
        (Role.AUDITOR, "team", {"mine", "team"}),
        # Those who handle requests: their own.
        (Role.TELLER, "mine", {"mine"}),
        (Role.RELATIONSHIP_MANAGER, "mine", {"team"}),
        (Role.COMPLAINT_HANDLER, "mine", set()),
    ],
)
def test_each_person_lands_on_a_useful_tab(role, tab, expected, bank_a, requests, client_for):
    response = client_for(bank_a[role]).get(queue_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert active_tab(html) == tab
    assert set(rows(html)) == {requests[name].number for name in expected}


# --- closed requests -----------------------------------------------------------------------------


def test_closed_requests_have_their_own_tab_latest_closed_first(bank_a, requests, client_for):
    client = client_for(bank_a[Role.TELLER])
    for tab in ("mine", "team", "overdue"):
        assert not {r for r in rows(client.get(queue_url(tab)).content.decode())} & {
            requests[name].number for name in ("closed_earlier", "closed_later")
        }
    html = client.get(queue_url("closed")).content.decode()
    assert active_tab(html) == "closed"
    # Within the teller's branches only; the other branch's closed request is not theirs.
    assert rows(html) == [requests["closed_later"].number, requests["closed_earlier"].number]
    later = html.split(f'data-request="{requests["closed_later"].number}"')[1].split("</tr>")[0]
    zone = zoneinfo.ZoneInfo(bank_a.tenant.time_zone)
    closed_at = requests["closed_later"].closed_at.astimezone(zone)
    assert f"{closed_at:%Y-%m-%d %H:%M}" in later
    head_office = client_for(bank_a[Role.COMPLAINT_HANDLER]).get(queue_url("closed"))
    assert requests["closed_elsewhere"].number in rows(head_office.content.decode())


def test_closed_pages_cover_every_closed_request_once_and_do_not_count(
    bank_a, catalog, client_for, django_assert_max_num_queries
):
    expected = [
        close(
            bank_a, open_request(bank_a, bank_a.customer, catalog), catalog, minutes_ago=minutes
        ).number
        for minutes in range(28)
    ]
    # Two closed at the same instant: the id settles their order across pages.
    with bank_a.scope():
        ServiceRequest.objects.filter(number__in=expected[24:26]).update(
            closed_at=timezone.now() - timedelta(minutes=24)
        )
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    client.get(queue_url("closed"))
    with django_assert_max_num_queries(10):
        first = client.get(queue_url("closed")).content.decode()
    assert len(rows(first)) == 25
    more = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "tab=closed" in more
    with django_assert_max_num_queries(10):
        second = client.get(more, headers=HTMX).content.decode()
    assert 'rel="next"' not in second
    found = rows(first) + rows(second)
    assert len(found) == len(set(found)) == 28 and set(found) == set(expected)
    assert found[:24] == expected[:24]


# --- finding a request by its number -------------------------------------------------------------


def test_a_request_is_found_by_its_number_open_or_closed(bank_a, requests, client_for):
    client = client_for(bank_a[Role.TELLER])
    closed = requests["closed_earlier"].number
    for typed in (closed, closed.lower(), f"  {closed[:6]} {closed[6:]} ", closed[2:]):
        response = search(client, typed)
        html = response.content.decode()
        assert response.status_code == 200
        assert rows(html) == [closed], typed
        assert 'data-testid="request-search-result"' in html
        assert 'aria-current="page"' not in html  # no tab: a search
    assert rows(search(client, requests["team"].number).content.decode()) == [
        requests["team"].number
    ]


def test_the_number_must_be_exact_and_in_scope(bank_a, bank_b, requests, client_for):
    catalog_b = standard_catalog(bank_b.tenant)
    foreign = open_request(bank_b, bank_b.customer, catalog_b)
    client = client_for(bank_a[Role.TELLER])
    for typed in (
        requests["mine"].number[:-1],  # a prefix is not the number
        requests["closed_elsewhere"].number,  # another branch's request
        foreign.number,  # another bank's
    ):
        html = search(client, typed).content.decode()
        assert rows(html) == [], typed
        assert 'data-testid="queue-empty"' in html
        assert "ZZZ" not in html
    # Head office sees the other branch's request; never another bank's.
    head_office = client_for(bank_a[Role.COMPLAINT_HANDLER])
    found = search(head_office, requests["closed_elsewhere"].number)
    assert rows(found.content.decode()) == [requests["closed_elsewhere"].number]
    assert rows(search(head_office, foreign.number).content.decode()) == []


def test_searching_through_htmx_replaces_the_queue_in_few_queries(
    bank_a, requests, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    search(client, requests["mine"].number, **HTMX)
    with django_assert_max_num_queries(8):
        response = search(client, requests["mine"].number, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="request-queue"' in html
    assert rows(html) == [requests["mine"].number]


def test_a_number_too_long_is_refused_with_a_message(bank_a, client_for):
    response = search(client_for(bank_a[Role.TELLER]), "SR" + "1" * 60)
    assert response.status_code == 400
    assert 'data-testid="queue-errors"' in response.content.decode()


# --- under row-level security, through indexes ----------------------------------------------------


def plan_of(sql: str, tenant, *settings: str) -> str:
    with owner_transaction() as cursor:
        cursor.execute("ANALYZE channels_servicerequest")
        become_application(cursor, tenant)
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting}")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def captured(queries, table: str = "channels_servicerequest") -> str:
    (sql,) = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]
    return sql


@pytest.mark.django_db(transaction=True)
def test_the_number_search_is_answered_by_the_number_index(bank_a):
    """As the application role, under row-level security: the (tenant, number) unique index.

    The table is small here, so sequential scans are ruled out: the question is whether
    the index can answer at all under the policy, or whether the number's comparison would
    have to wait for the policy's filter on every row.
    """
    catalog = standard_catalog(bank_a.tenant)
    wanted = open_request(bank_a, bank_a.customer, catalog)
    for _ in range(20):
        open_request(bank_a, bank_a.customer, catalog)
    with bank_a.scope(), CaptureQueriesContext(connection) as queries:
        assert selectors.requests_numbered(bank_a[Role.TELLER], wanted.number) == [wanted]
    plan = plan_of(captured(queries), bank_a.tenant, "enable_seqscan = off")
    lines = plan.splitlines()
    at = next((n for n, line in enumerate(lines) if "service_request_number" in line), None)
    assert at is not None, plan
    assert "number" in lines[at + 1] and "Index Cond" in lines[at + 1], plan


@pytest.mark.django_db(transaction=True)
def test_the_closed_tab_reads_the_closed_index_in_its_order(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    for minutes in range(30):
        close(bank_a, open_request(bank_a, bank_a.customer, catalog), catalog, minutes_ago=minutes)
    for _ in range(10):
        open_request(bank_a, bank_a.customer, catalog)
    sqls = []
    for role in (Role.COMPLAINT_HANDLER, Role.TELLER):
        staff = bank_a[role]
        with bank_a.scope():
            first = selectors.queue_page(selectors.request_queue(staff, "closed"), "closed")
            with CaptureQueriesContext(connection) as queries:
                page = selectors.queue_page(
                    selectors.request_queue(staff, "closed"), "closed", after=first.next_cursor
                )
            assert len(page.requests) == 5
            sqls.append(captured(queries))
            with CaptureQueriesContext(connection) as queries:
                selectors.queue_page(selectors.request_queue(staff, "closed"), "closed")
            sqls.append(captured(queries))
    for sql in sqls:
        plan = plan_of(sql, bank_a.tenant, "enable_seqscan = off", "enable_sort = off")
        lines = plan.splitlines()
        at = next((n for n, line in enumerate(lines) if "using request_closed" in line), None)
        assert at is not None, plan
        # Between the page's Limit and the scan, no Sort: the index gives the order.
        limit = max(n for n, line in enumerate(lines[:at]) if "Limit" in line)
        assert not any("Sort" in line for line in lines[limit:at]), plan


# Customers of the other branch with two requests each (one open, one closed), made in bulk
# by the owner in the transaction of the plan: reading the whole bank's requests instead of
# the staff member's then costs what it does live. Many customers, as in a bank: with two,
# PostgreSQL would take any list of customer ids to match every request.
OTHER_BRANCHES_REQUESTS = """
    WITH customers AS (
        INSERT INTO customers_customer (
            number, kind, name, status, gender, birth_date, occupation, income_band, address,
            industry, company_size, legal_representative, id_type, id_number_encrypted,
            id_number_masked, phone_encrypted, phone_masked, tier, risk_grade, aum_fen,
            created_at, updated_at, home_branch_id, relationship_manager_id, tenant_id
        )
        SELECT 'BULK' || g, kind, name, status, gender, birth_date, occupation, income_band,
            address, industry, company_size, legal_representative, id_type,
            id_number_encrypted, id_number_masked, phone_encrypted, phone_masked, tier,
            risk_grade, aum_fen, created_at, updated_at, home_branch_id, NULL, tenant_id
        FROM customers_customer, generate_series(1, 2000) AS g
        WHERE id = %(customer)s
        RETURNING id
    )
    INSERT INTO channels_servicerequest (
        number, status, summary, opened_at, due_at, closed_at, source, external_id,
        customer_id, opened_channel_id, owner_id, team_id, tenant_id, request_type_id
    )
    SELECT 'SRBULK' || customers.id || closed, CASE WHEN closed THEN 'completed'
        ELSE 'in_progress' END, summary, opened_at, due_at + customers.id * interval '1 minute',
        CASE WHEN closed THEN now() - customers.id * interval '1 second' END, '', '',
        customers.id, opened_channel_id, NULL, %(team)s, tenant_id, request_type_id
    FROM channels_servicerequest, customers, (VALUES (true), (false)) AS kinds (closed)
    WHERE channels_servicerequest.id = %(model)s
"""


def plan_among_many(sql: str, bank, model: ServiceRequest) -> str:
    """The plan of ``sql`` as the application, among 4,000 requests of the other branch."""
    with owner_transaction() as cursor:
        cursor.execute(
            OTHER_BRANCHES_REQUESTS,
            {"customer": bank.other_customer.pk, "team": bank.other_branch.pk, "model": model.pk},
        )
        cursor.execute("ANALYZE channels_servicerequest")
        cursor.execute("ANALYZE customers_customer")
        become_application(cursor, bank.tenant)
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [Role.TELLER, Role.BRANCH_MANAGER])
@pytest.mark.parametrize("tab", ["team", "closed"])
def test_a_branch_queue_is_narrowed_by_the_request_indexes_before_any_join(bank_a, role, tab):
    """The scope is ``(team and customer within the branches) OR one's own customer's OR
    given to one``: every arm must have a side on the request's own columns, or no index of
    the table can narrow it and the page joins the whole bank's requests to their customers
    (hundreds of milliseconds with 60,000 open requests). Read as the application, under
    row-level security, among many requests of another branch: the request table is reached
    through an index whose condition holds the team, not scanned whole.
    """
    catalog = standard_catalog(bank_a.tenant)
    staff = bank_a[role]
    mine = open_request(bank_a, bank_a.customer, catalog, owner=staff)
    if tab == "closed":
        close(bank_a, mine, catalog)
    # Given to the staff member, about a customer of the other branch: in scope as theirs.
    open_request(bank_a, bank_a.other_customer, catalog, owner=staff)
    with bank_a.scope(), CaptureQueriesContext(connection) as queries:
        page = selectors.queue_page(selectors.request_queue(staff, tab), tab)
    assert mine.pk in [request.pk for request in page.requests]
    plan = plan_among_many(captured(queries), bank_a, mine)
    assert "Seq Scan on channels_servicerequest" not in plan, plan
    conditions = [
        line
        for line in plan.splitlines()
        if "Index Cond" in line and "team_id" in line and "customer_id" not in line
    ]
    assert conditions, plan
