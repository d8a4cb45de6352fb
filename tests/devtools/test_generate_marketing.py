"""``generate_bank``'s marketing step: standard spreads and the contribution feed."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from crm.jobs.models import JobRun
from crm.months import add_months
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from customers.models import BalanceSnapshot, Customer, Product
from marketing.models import (
    Contribution,
    CustomerValue,
    ProductSpread,
    Reason,
    ScoringRun,
    TierChange,
)
from marketing.selectors import monthly_income_rows
from marketing.services import JOB, STANDARD_SPREADS, latest_month_due

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = {
    "customers": 400,
    "months": 6,
    "branches": 2,
    "sub_branches": 2,
    "managers_per_sub_branch": 2,
}


def generate(code: str = "valuebank", **options) -> Tenant:
    call_command("generate_bank", code=code, stdout=StringIO(), **{**SIZE, **options})
    with platform_wide():
        return Tenant.objects.get(code=code)


def test_every_priced_category_gets_its_standard_spread(bank_a):
    bank = generate()

    with tenant_context(bank):
        spreads = {
            spread.product.category: spread.annual_rate
            for spread in ProductSpread.objects.select_related("product")
        }
        priced = Product.objects.filter(category__in=list(STANDARD_SPREADS)).count()
        assert ProductSpread.objects.count() == priced
    assert spreads == {category: rate for category, rate in STANDARD_SPREADS.items()}


def test_about_seventy_percent_of_customers_get_every_month_of_their_balances(bank_a):
    bank = generate()

    with tenant_context(bank):
        customers = Customer.objects.count()
        fed = Contribution.objects.values("customer").distinct().count()
        assert 0.6 * customers < fed < 0.8 * customers
        # A fed customer's months are exactly those of their balances.
        months = Contribution.objects.values("customer").annotate(n=Count("id"))
        snapshots = dict(BalanceSnapshot.objects.values_list("customer").annotate(n=Count("id")))
        assert all(row["n"] == snapshots[row["customer"]] for row in months)
        assert not Contribution.objects.exclude(customer__snapshots__month=F("month")).exists()


def test_some_fed_customers_are_below_zero_in_some_months(bank_a):
    bank = generate()

    with tenant_context(bank):
        totals = Contribution.objects.annotate(
            total=F("deposit_interest") + F("loan_interest") + F("fee_income") + F("other_income")
        )
        losing = set(totals.filter(total__lt=0).values_list("customer", flat=True))
        fed = set(Contribution.objects.values_list("customer", flat=True))
        assert losing and len(losing) < 0.15 * len(fed)
        # Below zero in some months, not in all.
        assert totals.filter(customer__in=losing, total__gt=0).exists()


def test_the_estimate_reads_the_generated_feed_and_estimates_the_rest(bank_a):
    bank = generate()

    with tenant_context(bank):
        latest = BalanceSnapshot.objects.aggregate(latest=Max("month"))["latest"]
        fed = set(Contribution.objects.filter(month=latest).values_list("customer", flat=True))
        rows = monthly_income_rows(latest)
    assert {pk for pk, row in rows.items() if not row.estimated} == fed
    estimated = [row for row in rows.values() if row.estimated]
    assert estimated and any(row.total > 0 for row in estimated)


def test_fewer_months_of_contribution_on_request(bank_a):
    bank = generate(contribution_months=2)

    with tenant_context(bank):
        span = Contribution.objects.aggregate(first=Min("month"), last=Max("month"))
        latest = BalanceSnapshot.objects.aggregate(latest=Max("month"))["latest"]
    assert span["last"] == latest
    assert (latest.year * 12 + latest.month) - (span["first"].year * 12 + span["first"].month) == 1


def test_the_bank_is_tiered_by_the_real_job_over_its_last_months(bank_a):
    bank = generate(scored_months=3)

    with tenant_context(bank):
        runs = list(ScoringRun.objects.order_by("month"))
        latest = runs[-1].month
        held = dict(CustomerValue.objects.filter(month=latest).values_list("customer", "tier"))
        tiers = dict(
            Customer.objects.exclude(status=Customer.Status.CLOSED).values_list("pk", "tier")
        )
        reasons = set(CustomerValue.objects.filter(month=latest).values_list("reason", flat=True))
        changes = TierChange.objects.count()
        job_runs = JobRun.objects.filter(job=JOB, status=JobRun.Status.SUCCEEDED).count()
    assert [run.month for run in runs] == [add_months(latest, -2), add_months(latest, -1), latest]
    assert latest == latest_month_due(timezone.localdate())
    assert all(run.status == ScoringRun.Status.FINISHED and run.version == 1 for run in runs)
    assert job_runs == 3  # recorded as the nightly chain records them
    # Every customer holds the tier the job gave them, none a drawn one.
    assert tiers == held
    assert len(set(held.values())) >= 3
    assert {Reason.NEW, Reason.TOP_SHARE, Reason.ORDINARY} <= reasons
    # The first month tiered everyone; later months changed only some.
    assert runs[0].tier_changes == len(held)
    assert changes == sum(run.tier_changes for run in runs)


def test_no_scoring_on_request_leaves_customers_untiered(bank_a):
    bank = generate(scored_months=0)

    with tenant_context(bank):
        assert not ScoringRun.objects.exists()
        assert set(Customer.objects.values_list("tier", flat=True)) == {""}


def test_the_scoring_benchmark_times_a_rerun_and_leaves_the_bank_as_it_was(bank_a):
    from devtools.marketing.benchmark import benchmark_section

    bank = generate(scored_months=1)
    with tenant_context(bank):
        before = list(ScoringRun.objects.values_list("pk", "version"))
        tiers = dict(Customer.objects.values_list("pk", "tier"))
    out = StringIO()

    missed = benchmark_section(bank, stdout=out, options={"explain": True})

    report = out.getvalue()
    assert missed == 0
    assert re.search(r"\d{4}-\d\d: [\d,]+ customers, 0 tier changes", report)
    assert "first run" in report and "warm, median of 2" in report
    assert "Update on marketing_customervalue" in report  # a plan, from --explain
    with tenant_context(bank):
        assert list(ScoringRun.objects.values_list("pk", "version")) == before
        assert dict(Customer.objects.values_list("pk", "tier")) == tiers
