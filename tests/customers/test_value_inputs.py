"""What value scoring reads from customers: tenure ("customer since") and monthly risk costs."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.urls import reverse

from crm.domain import DomainError
from crm.tenancy.roles import Role
from customers import selectors, services
from customers.models import Customer, Holding, MonthlyRiskCost
from tests.factories import HoldingFactory
from tests.panels import customer_page

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)


def figure_per_customer(bank, make_figure) -> dict[int, object]:
    """Run the figure ``make_figure()`` gives the way value scoring does: one statement over
    the bank's customers."""
    with bank.scope(), connection.cursor() as cursor:
        figure = make_figure()
        cursor.execute(
            f"SELECT c.id, {figure.value} FROM customers_customer c {figure.join}"
            " WHERE c.tenant_id = %(tenant)s",
            {"tenant": bank.tenant.pk, **figure.params},
        )
        return dict(cursor.fetchall())


# --- customer since -----------------------------------------------------------------------


@pytest.fixture
def tenure(bank_a, bank_b):
    """Bank A's customer holds since 2011 (a closed account) and 2019; the other customer
    holds nothing and was entered at 01:30 on 2026-03-01, Shanghai time (still February
    in UTC). Bank B's
    customer, with the same kind of holdings, opened one in 1999."""
    customer = bank_a.customer
    HoldingFactory(customer=customer, opened_on=date(2019, 5, 6))
    HoldingFactory(customer=customer, opened_on=date(2011, 7, 8), status=Holding.Status.CLOSED)
    HoldingFactory(customer=customer, opened_on=date(2024, 1, 2))
    HoldingFactory(customer=bank_b.customer, opened_on=date(1999, 1, 1))
    entered = datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with bank_a.scope():
        Customer.objects.filter(pk=bank_a.other_customer.pk).update(created_at=entered)
    # Both rows were made today: the creation date is not what counts where holdings exist.
    return {customer.pk: date(2011, 7, 8), bank_a.other_customer.pk: date(2026, 3, 1)}


def test_customer_since_is_the_earliest_holding_even_closed_else_the_day_of_entry(bank_a, tenure):
    with bank_a.scope():
        customers = selectors.customers_since(Customer.objects.all())
        annotated = dict(customers.values_list("pk", "customer_since"))
        one_by_one = {
            customer.pk: selectors.customer_since(customer) for customer in Customer.objects.all()
        }
    assert annotated == tenure
    assert one_by_one == tenure


def test_customer_since_sql_agrees_and_ignores_other_banks_holdings(bank_a, bank_b, tenure):
    assert figure_per_customer(bank_a, selectors.customer_since_sql) == tenure
    assert figure_per_customer(bank_b, selectors.customer_since_sql) == {
        bank_b.customer.pk: date(1999, 1, 1),
        bank_b.other_customer.pk: bank_b.other_customer.created_at.astimezone(
            ZoneInfo("Asia/Shanghai")
        ).date(),
    }


def test_the_customer_page_shows_customer_since_not_the_import_date(bank_a, tenure, client_for):
    client = client_for(bank_a[Role.TELLER])
    page = customer_page(client, reverse("customers:detail", args=[bank_a.customer.pk]))
    assert 'data-testid="customer-since">2011-07-08<' in page
    head_office = client_for(bank_a[Role.TENANT_ADMIN])
    page = customer_page(head_office, reverse("customers:detail", args=[bank_a.other_customer.pk]))
    assert 'data-testid="customer-since">2026-03-01<' in page


def test_customer_since_sql_is_an_index_probe_per_customer(bank_a, tenure):
    with bank_a.scope(), connection.cursor() as cursor:
        figure = selectors.customer_since_sql()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT c.id, {figure.value} FROM customers_customer c {figure.join}"
            " WHERE c.tenant_id = %(tenant)s AND c.id BETWEEN 1 AND 1000",
            {"tenant": bank_a.tenant.pk, **figure.params},
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using holding_customer_opened" in plan, plan
    assert "Sort" not in plan and "Aggregate" not in plan, plan


# --- monthly risk costs -------------------------------------------------------------------


def risk_rows(bank) -> dict[tuple[int, date], Decimal]:
    with bank.scope():
        return {(row.customer_id, row.month): row.amount for row in MonthlyRiskCost.objects.all()}


def test_risk_costs_are_recorded_once_and_replaced_when_they_change(bank_a):
    a, b = bank_a.customer.pk, bank_a.other_customer.pk
    with bank_a.scope():
        written = services.monthly_risk_costs_record(
            month=MARCH, amounts=[(a, Decimal("120.50")), (b, Decimal("0.00"))]
        )
        again = services.monthly_risk_costs_record(
            month=MARCH, amounts=[(a, Decimal("120.50")), (b, Decimal("0"))]
        )
        first_update = MonthlyRiskCost.objects.get(customer_id=a).updated_at
        changed = services.monthly_risk_costs_record(month=MARCH, amounts=[(a, Decimal("99.99"))])
        assert MonthlyRiskCost.objects.get(customer_id=a).updated_at > first_update
    assert (written, again, changed) == (2, 0, 1)
    assert risk_rows(bank_a) == {(a, MARCH): Decimal("99.99"), (b, MARCH): Decimal("0.00")}


def test_a_whole_month_leaves_out_nobody_it_does_not_name(bank_a):
    a, b = bank_a.customer.pk, bank_a.other_customer.pk
    february = date(2026, 2, 1)
    with bank_a.scope():
        services.monthly_risk_costs_record(
            month=MARCH, amounts=[(a, Decimal("1.00")), (b, Decimal("2.00"))]
        )
        services.monthly_risk_costs_record(month=february, amounts=[(b, Decimal("3.00"))])
        touched = services.monthly_risk_costs_record(
            month=MARCH, amounts=[(a, Decimal("1.00"))], whole_month=True
        )
    assert touched == 1  # b's March row deleted; a's unchanged
    assert risk_rows(bank_a) == {(a, MARCH): Decimal("1.00"), (b, february): Decimal("3.00")}


@pytest.mark.parametrize(
    ("month", "amounts", "field"),
    [
        (date(2026, 3, 2), [("a", "1.00")], "month"),
        (date(2999, 1, 1), [("a", "1.00")], "month"),
        (MARCH, [("a", "-0.01")], "amounts"),
        (MARCH, [("a", "10000000000000.01")], "amounts"),
        (MARCH, [("a", "1.005")], "amounts"),
        (MARCH, [("a", "NaN")], "amounts"),
        (MARCH, [("a", 5)], "amounts"),
        (MARCH, [("a", "1.00"), ("a", "2.00")], "amounts"),
        (MARCH, [("a", "1.00"), ("foreign", "2.00")], "amounts"),
        (MARCH, [("a", "1.00"), ("missing", "2.00")], "amounts"),
    ],
)
def test_a_wrong_figure_refuses_the_whole_batch(bank_a, bank_b, month, amounts, field):
    ids = {"a": bank_a.customer.pk, "foreign": bank_b.customer.pk, "missing": 2**62}
    given = [
        (ids[who], amount if isinstance(amount, int) else Decimal(amount))
        for who, amount in amounts
    ]
    with bank_a.scope(), pytest.raises(DomainError) as refused:
        services.monthly_risk_costs_record(month=month, amounts=given)
    assert refused.value.field == field
    assert risk_rows(bank_a) == {}
    assert risk_rows(bank_b) == {}


def test_scoring_reads_a_missing_risk_cost_as_zero(bank_a, bank_b):
    a, b = bank_a.customer.pk, bank_a.other_customer.pk
    with bank_a.scope():
        services.monthly_risk_costs_record(month=MARCH, amounts=[(a, Decimal("42.42"))])
        services.monthly_risk_costs_record(
            month=MARCH - timedelta(days=28), amounts=[(b, Decimal("7.00"))]
        )
        assert list(selectors.monthly_risk_costs(MARCH).values_list("customer_id", "amount")) == [
            (a, Decimal("42.42"))
        ]
    with bank_b.scope():
        services.monthly_risk_costs_record(
            month=MARCH, amounts=[(bank_b.customer.pk, Decimal("5.00"))]
        )
    assert figure_per_customer(bank_a, lambda: selectors.monthly_risk_cost_sql(MARCH)) == {
        a: Decimal("42.42"),
        b: Decimal("0"),
    }
