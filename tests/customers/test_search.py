"""The customer search box finds people the way counter staff ask for them.

By the given name ("秀英" for 何秀英), by the phone's last four digits with a surname or a
birth year ("尾号5678 何"), and a service request by its number; each through an index
that row-level security lets PostgreSQL use.
"""

import re
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from customers import names, search_providers, selectors, services
from customers.models import Customer
from customers.search_keys import fill_phone_tails
from tests.database import become_application, owner_transaction
from tests.factories import CustomerFactory, ServiceRequestFactory

LIST = reverse("customers:list")
ROW = re.compile(r'<tr data-customer="([^"]+)"')


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content.decode()[:2000]
    return ROW.findall(response.content.decode())


@pytest.fixture
def people(bank_a, bank_b):
    """Customers of the sub-branch named as counter staff would ask for them."""
    made = {
        number: CustomerFactory(home_branch=bank_a.sub_branch, number=number, name=name, **extra)
        for number, name, extra in [
            ("G01", "何秀英", {"phone": "13811115678", "birth_date": date(1985, 3, 2)}),
            ("G02", "欧阳秀英", {"phone": "13922225678", "birth_date": date(1990, 7, 1)}),
            ("G03", "王秀英华", {"phone": "13733331234"}),
            ("G04", "李芳", {"phone": "13644445678", "birth_date": date(1985, 11, 30)}),
            ("G05", "华秀英贸易有限公司", {"kind": Customer.Kind.CORPORATE}),
            ("G06", "何伟", {"phone": "13555559999"}),
            ("G07", "司马光", {}),
        ]
    }
    # Another bank's customer with the same name and phone: never found from bank A.
    CustomerFactory(
        home_branch=bank_b.sub_branch, number="ZZZ9", name="何秀英", phone="13811115678"
    )
    return made


def search(client, text: str, **extra) -> list[str]:
    return sorted(listed(client.get(LIST, {"q": text, **extra})))


# --- given names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("何秀英", "秀英"),
        ("欧阳秀英", "秀英"),
        ("司马光", "光"),
        ("诸葛亮", "亮"),
        ("欧阳", "阳"),  # a surname alone is a one-character surname and a given name
        ("李芳", "芳"),
        ("王", ""),
    ],
)
def test_the_database_and_python_agree_on_the_given_name(name, given, bank_a):
    customer = CustomerFactory(home_branch=bank_a.sub_branch, name=name)
    assert names.given_name_of(name) == given
    with bank_a.scope():
        assert Customer.objects.values_list("given_name", flat=True).get(pk=customer.pk) == given


def test_companies_have_no_given_name(bank_a):
    company = CustomerFactory(
        home_branch=bank_a.sub_branch, name="秀英贸易有限公司", kind=Customer.Kind.CORPORATE
    )
    with bank_a.scope():
        assert Customer.objects.values_list("given_name", flat=True).get(pk=company.pk) == ""


def test_a_given_name_finds_the_customer_whatever_the_surname(bank_a, people, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    # 欧阳 is one surname; 王秀英华's given name begins with 秀英; the company is no person.
    assert search(client, "秀英") == ["G01", "G02", "G03"]
    assert search(client, "秀英华") == ["G03"]
    assert search(client, "光") == ["G07"]  # after a compound surname


def test_one_character_matches_a_given_name_only_exactly(bank_a, people, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    assert search(client, "芳") == ["G04"]
    assert search(client, "秀") == []  # no given name beginning with 秀 for one character
    # ...and a surname still finds every customer bearing it.
    assert search(client, "何") == ["G01", "G06"]


def test_surname_and_full_name_prefixes_still_work(bank_a, people, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    assert search(client, "欧阳") == ["G02"]
    assert search(client, "何秀") == ["G01"]
    assert search(client, "华秀英") == ["G05"]  # a company by the beginning of its name


def test_given_name_matches_come_in_name_order_with_the_others(bank_a, people, client_for):
    # The code-point order of the "C" collation, as for every name search: 何 < 欧 < 王.
    assert listed(client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": "秀英"})) == [
        "G01",
        "G02",
        "G03",
    ]


def test_given_name_search_pages_cover_every_match_once(bank_a, people):
    """Keyset pages over the two alternatives read apart and merged."""
    for index in range(5):
        CustomerFactory(home_branch=bank_a.sub_branch, number=f"H{index}", name=f"秀英{index}号")
        CustomerFactory(home_branch=bank_a.sub_branch, number=f"K{index}", name=f"赵秀英{index}")
    auditor = bank_a[Role.AUDITOR]
    with bank_a.scope():
        matching = selectors.search_customers(
            Customer.objects.in_scope(auditor), "秀英", tenant_id=bank_a.tenant.pk
        )
        expected = sorted(
            Customer.objects.filter(pk__in=[c.pk for c in matching]).values_list("name", "number"),
            key=lambda row: (row[0].encode("utf-8"), row[1]),
        )
        seen, after = [], ""
        while True:
            page = selectors.customer_page(matching, sort="name", after=after, size=3)
            seen.extend(page.customers)
            if not page.next_cursor:
                break
            after = page.next_cursor
        back = selectors.customer_page(matching, sort="name", before=page.previous_cursor, size=3)
    assert [(c.name, c.number) for c in seen] == expected
    assert len(expected) == 13  # 3 of people, 5 + 5 here
    assert back.customers == seen[9:12]  # the page before the last one
    # The other orders too (each alternative in that order, then merged).
    with bank_a.scope():
        Customer.objects.filter(pk__in=[c.pk for c in seen]).update(aum_fen=F("id") % 4)
        newest = selectors.customer_page(matching, sort="newest", size=20).customers
        richest = selectors.customer_page(matching, sort="aum_desc", size=20).customers
        in_aum_order = list(
            Customer.objects.filter(pk__in=[c.pk for c in seen]).order_by("-aum_fen", "-id")
        )
    assert [c.pk for c in newest] == sorted((c.pk for c in seen), reverse=True)
    assert richest == in_aum_order


def test_a_given_name_search_reads_the_customers_in_two_queries(
    bank_a, people, client_for, django_assert_max_num_queries
):
    """The keys of the page from the two indexes, then the page's rows by id."""
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    for headers in ({}, {"HX-Request": "true"}):
        with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"q": "秀英"}, headers=headers)
        assert listed(response) == ["G01", "G02", "G03"]
        on_customers = [
            q["sql"] for q in queries.captured_queries if 'FROM "customers_customer"' in q["sql"]
        ]
        assert len(on_customers) == 2
        by_name, by_given_name = on_customers[0].split("UNION")
        # Each alternative alone: with the OR of both in a part, PostgreSQL may read every
        # match of both through a bitmap (thousands of table pages on a cold cache).
        assert "given_name" not in by_name
        assert by_given_name.count("given_name") == 1  # the given name (and not the name)


# --- the phone's last four digits -----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5678 何", ["G01"]),
        ("何 5678", ["G01"]),
        ("尾号5678 何秀", ["G01"]),
        ("何 尾号 5678", ["G01"]),
        ("5678 欧阳", ["G02"]),
        ("尾号5678 1985", ["G01", "G04"]),
        ("5678 1985", ["G01", "G04"]),
        ("1985年 5678", ["G01", "G04"]),
        ("尾号 5678 1990", ["G02"]),
        ("5678 王", []),
        ("1234 王", ["G03"]),
        ("5678 1970", []),
    ],
)
def test_last_four_digits_with_a_name_or_birth_year(typed, expected, bank_a, people, client_for):
    assert search(client_for(bank_a[Role.AUDITOR]), typed) == expected


def test_last_four_digits_alone_are_refused_as_too_broad(bank_a, people, client_for):
    response = client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": "尾号5678"})
    assert listed(response) == []
    hint = str(selectors.SearchKind.HINTS[selectors.SearchKind.PHONE_TAIL_ALONE])
    assert hint in response.content.decode()


def test_four_digits_alone_stay_a_customer_number_search_with_a_hint(bank_a, client_for):
    CustomerFactory(home_branch=bank_a.sub_branch, number="5678", phone="13800005678")
    response = client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": "5678"})
    assert listed(response) == ["5678"]
    assert str(selectors.SearchKind.HINTS[selectors.SearchKind.FOUR_DIGITS]) in (
        response.content.decode()
    )


def test_last_four_digits_never_reach_the_database_in_clear(bank_a, people, client_for):
    with CaptureQueriesContext(connection) as queries:
        found = search(client_for(bank_a[Role.AUDITOR]), "尾号5678 1985")
    assert found == ["G01", "G04"]
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "phone_tail_index" in sql
    assert "5678" not in sql


def test_last_four_digits_search_stays_in_scope(bank_a, people, client_for):
    # The teller sees the sub-branch; a customer of the other branch with the same tail is not
    # found, nor is bank B's.
    CustomerFactory(
        home_branch=bank_a.other_branch, number="OUT1", name="何秀英", phone="13100005678"
    )
    assert search(client_for(bank_a[Role.TELLER]), "5678 何") == ["G01"]
    assert search(client_for(bank_a[Role.AUDITOR]), "5678 何") == ["G01", "OUT1"]


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("5678 张", selectors.PhoneTailSearch("5678", name="张")),
        ("张三 尾号5678", selectors.PhoneTailSearch("5678", name="张三")),
        ("尾号5678", selectors.PhoneTailSearch("5678")),
        ("1985 5678", selectors.PhoneTailSearch("5678", birth_year=1985)),
        ("5678 1985", selectors.PhoneTailSearch("5678", birth_year=1985)),
        ("9999 1985", selectors.PhoneTailSearch("9999", birth_year=1985)),
        ("1985 9999", selectors.PhoneTailSearch("9999", birth_year=1985)),
        ("5678", None),
        ("张三", None),
        ("5678 张 三", None),
        ("567 张", None),
        ("5678 12", None),
    ],
)
def test_accepted_forms_of_a_last_four_digits_search(typed, parsed):
    # Of two unmarked four-digit parts the first is the phone's, unless only it can be a year.
    assert selectors.parse_phone_tail(typed) == parsed


# --- keeping the search keys -----------------------------------------------------------------


def test_a_changed_phone_or_name_changes_the_search_keys(bank_a, people, client_for):
    customer = people["G01"]
    with bank_a.scope():
        services.customer_update(
            customer=customer, actor=None, name="何美玲", phone="13811110001", id_number=None
        )
    client = client_for(bank_a[Role.AUDITOR])
    assert search(client, "5678 何") == []
    assert search(client, "0001 何") == ["G01"]
    assert search(client, "美玲") == ["G01"]


def test_customers_stored_before_the_search_keys_get_them_filled(bank_a, people, client_for):
    with platform_wide():
        Customer.objects.update(phone_tail_index=None)
    client = client_for(bank_a[Role.AUDITOR])
    assert search(client, "5678 何") == []
    with platform_wide():
        with_phone = Customer.objects.exclude(phone_encrypted="").count()
        filled = fill_phone_tails(Customer)
    assert filled == with_phone  # of both banks
    assert search(client, "5678 何") == ["G01"]
    with platform_wide():
        Customer.objects.filter(pk=people["G02"].pk).update(phone_tail_index=None)
    call_command("fill_search_keys", stdout=None)
    assert search(client, "5678 欧阳") == ["G02"]


# --- index-backed under row-level security -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_new_searches_read_their_indexes_as_the_application_role(bank_a, people):
    """With sequential scans made expensive, each search's condition must be an index
    condition: under row-level security PostgreSQL applies a non-leakproof operator (LIKE,
    trigram) only after reading the rows, whatever the cost."""
    auditor = bank_a[Role.AUDITOR]
    tenant_id = bank_a.tenant.pk
    compiled = {}
    with bank_a.scope():
        base = Customer.objects.in_scope(auditor)
        given = selectors.search_customers(base, "秀英", tenant_id=tenant_id)
        for index, alternative in enumerate(given.alternatives):
            part = given.filter(alternative)
            compiled[f"given {index}"] = part.query.sql_with_params()
        for typed in ("5678 何", "尾号5678 1985"):
            found = selectors.search_customers(base, typed, tenant_id=tenant_id)
            compiled[typed] = found.query.sql_with_params()
    checks = [
        ("given 0", "customer_name_c", "name"),
        ("given 1", "customer_given_name", "given_name"),
        ("5678 何", "customer_tail_name", "phone_tail_index"),
        ("尾号5678 1985", "customer_tail_birth", "birth_date"),
    ]
    plans = {}
    with owner_transaction() as cursor:
        cursor.execute(
            "SELECT i.indexname, c.conname IS NOT NULL FROM pg_indexes i "
            "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
            "WHERE i.tablename = 'customers_customer' AND i.indexname <> 'customers_customer_pkey'"
        )
        indexes = cursor.fetchall()
        for label, kept, _column in checks:
            # In a bank of a million the searched index is the selective one; in a test bank
            # of a few rows any index on the tenant does as well: keep only the one under test.
            cursor.execute("SAVEPOINT plan")
            for index, is_constraint in indexes:
                if index == kept:
                    continue
                if is_constraint:
                    cursor.execute(
                        f'ALTER TABLE customers_customer DROP CONSTRAINT "{index}" CASCADE'
                    )
                else:
                    cursor.execute(f'DROP INDEX "{index}"')
            become_application(cursor, bank_a.tenant)
            cursor.execute("SET LOCAL enable_seqscan = off")
            sql, params = compiled[label]
            cursor.execute(f"EXPLAIN {sql}", params)
            plans[label] = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("ROLLBACK TO SAVEPOINT plan")
    # Each search's own condition is an index condition (not a filter after the read).
    for label, index, column in checks:
        lines = plans[label].splitlines()
        at = next((n for n, line in enumerate(lines) if f" {index} " in f"{line} "), None)
        assert at is not None, plans[label]
        assert "Index Cond" in lines[at + 1] and column in lines[at + 1], plans[label]


# --- service requests by their number ---------------------------------------------------------


@pytest.fixture
def service_request(bank_a):
    return ServiceRequestFactory(customer=bank_a.customer, number="SR20261205000042")


def test_a_request_number_in_the_customer_search_opens_the_request(
    bank_a, service_request, client_for
):
    client = client_for(bank_a[Role.TELLER])
    response = client.get(LIST, {"q": "sr20261205000042"})
    assert response.status_code == 302
    assert response.url == reverse("channels:request_detail", args=[service_request.pk])
    # While typing (htmx), the request is offered above the results instead.
    fragment = client.get(LIST, {"q": "SR20261205000042"}, headers={"HX-Request": "true"})
    assert 'data-testid="search-hits"' in fragment.content.decode()
    assert service_request.summary in fragment.content.decode()


def test_a_request_out_of_scope_or_of_another_bank_is_not_found(
    bank_a, bank_b, service_request, client_for
):
    other = ServiceRequestFactory(customer=bank_a.other_customer, number="SR20261205000043")
    theirs = ServiceRequestFactory(customer=bank_b.customer, number="SR20261205000044")
    teller = client_for(bank_a[Role.TELLER])  # the sub-branch only
    for number in (other.number, theirs.number, "SR20261205009999"):
        response = teller.get(LIST, {"q": number})
        assert response.status_code == 200
        assert 'data-testid="search-hits"' not in response.content.decode()


def test_the_request_lookup_costs_one_query_and_only_for_request_numbers(
    bank_a, service_request, client_for
):
    staff = bank_a[Role.TELLER]
    with bank_a.scope(), CaptureQueriesContext(connection) as queries:
        hits = search_providers.hits_for(staff, "SR20261205000042")
        assert search_providers.hits_for(staff, "何秀英") == []
    assert len(hits) == 1
    assert len([q for q in queries.captured_queries if "channels_servicerequest" in q["sql"]]) == 1


def test_a_request_search_page_keeps_the_lists_query_budget(
    bank_a, service_request, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.TELLER])
    with django_assert_max_num_queries(10):
        client.get(LIST, {"q": "SR20261205000042"}, headers={"HX-Request": "true"})
