"""The trail's pages: "older entries" reaches every entry once, however many share a time."""

from django.urls import reverse

from crm.audit.views import PAGE_SIZE
from crm.tenancy.roles import Role
from tests.audit.trail_helpers import import_customers, older_entries_query, subjects


def test_older_entries_reach_every_entry_of_an_import_exactly_once(
    bank_a, client_for, django_assert_max_num_queries
):
    names = import_customers(bank_a, PAGE_SIZE * 2 + 7, by=bank_a[Role.TENANT_ADMIN])
    client = client_for(bank_a[Role.AUDITOR])
    url = reverse("audit:trail")
    seen: list[str] = []
    pages = 0
    while url:
        with django_assert_max_num_queries(16):
            response = client.get(url)
        assert response.status_code == 200, response.content.decode()[:500]
        page = response.content.decode()
        seen += [s.split(": ", 1)[1] for s in subjects(page) if "导入客户" in s]
        query = older_entries_query(page)
        url = f"{reverse('audit:trail')}?{query}" if query else None
        pages += 1
        assert pages <= 4
    assert pages == 3
    assert sorted(seen) == sorted(names)  # each once: none skipped, none repeated


def test_the_older_entries_link_is_url_safe(bank_a, client_for):
    import_customers(bank_a, PAGE_SIZE + 1, by=bank_a[Role.TENANT_ADMIN])
    page = client_for(bank_a[Role.AUDITOR]).get(reverse("audit:trail")).content.decode()
    query = older_entries_query(page)
    assert query is not None
    assert "+" not in query and ":" not in query and " " not in query


def test_older_entries_keep_the_filters(bank_a, client_for):
    import_customers(bank_a, PAGE_SIZE + 3, by=bank_a[Role.TENANT_ADMIN])
    client = client_for(bank_a[Role.AUDITOR])
    first = client.get(reverse("audit:trail") + "?record_type=customers.customer").content
    query = older_entries_query(first.decode())
    assert query is not None and "record_type=customers.customer" in query
    second = client.get(f"{reverse('audit:trail')}?{query}").content.decode()
    assert len(subjects(second)) == 3


def test_a_tampered_cursor_is_a_form_error(bank_a, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    for token in ("not-a-cursor", "WyJhdWRpdCIsMV0", "2026-01-01T00:00:00 08:00"):
        response = client.get(reverse("audit:trail"), {"after": token})
        assert response.status_code == 400
        assert 'data-testid="filter-error"' in response.content.decode()


def test_the_default_view_and_its_pages_can_read_the_people_index(bank_a):
    """Under row-level security a JSON test is no index condition, but the partial index
    whose predicate the query repeats is usable: the view never reads past a job's rows."""
    from django.db import connection

    from crm.audit.selectors import TrailFilters, TrailPosition, recent_audit_entries

    statements: list[str] = []

    def capture(execute, sql, params, many, context):
        if "UNION ALL" in sql or "pgh_created_at" in sql:
            statements.append(connection.cursor().mogrify(sql, params))
        return execute(sql, params, many, context)

    import_customers(bank_a, 3, by=bank_a[Role.TENANT_ADMIN])
    with bank_a.scope():
        first = recent_audit_entries(tenant=bank_a.tenant, limit=2, filters=TrailFilters())
        position = TrailPosition(first[-1].occurred_at, first[-1].table, first[-1].row_id)
        with connection.execute_wrapper(capture):
            recent_audit_entries(
                tenant=bank_a.tenant, limit=2, filters=TrailFilters(position=position)
            )
        union = next(sql for sql in statements if "UNION ALL" in sql)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            # On tables this small every index costs the same; without a sort the planner
            # must read an index in the trail's order, which the partial one gives.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(f"EXPLAIN {union}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")
            cursor.execute("RESET enable_sort")
    assert "customer_people" in plan, plan
    assert "Seq Scan" not in plan, plan
