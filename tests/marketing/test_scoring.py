"""Scoring a month: each tier boundary, hysteresis, manual tiers, the copy to customers and
the idempotent run, on figures small enough to check by hand."""

from datetime import date
from decimal import Decimal

import pytest

from crm.tenancy.roles import Role
from customers.models import Customer
from marketing.models import (
    Contribution,
    CustomerValue,
    ManualTier,
    Reason,
    ScoringRun,
    TierChange,
    TierRuleSet,
)
from marketing.services import scoring_rerun, scoring_run_once
from tests.factories.customers import CustomerFactory, HoldingFactory

APRIL, MAY, JUNE, JULY = (date(2026, month, 1) for month in (4, 5, 6, 7))
LONG_AGO = date(2015, 1, 1)


def customers(bank, count: int, *, since: date = LONG_AGO, kind=Customer.Kind.INDIVIDUAL):
    made = []
    for _ in range(count):
        customer = CustomerFactory(home_branch=bank.branch, kind=kind)
        HoldingFactory(customer=customer, opened_on=since)  # the customer since then
        made.append(customer)
    return made


def feed(bank, customer, month: date, amount) -> None:
    """The finance system's income for the month: all of it as deposit interest."""
    with bank.scope():
        Contribution.objects.update_or_create(
            tenant=bank.tenant,
            customer=customer,
            month=month,
            defaults={
                "deposit_interest": Decimal(amount),
                "loan_interest": Decimal(0),
                "fee_income": Decimal(0),
                "other_income": Decimal(0),
            },
        )


def rules(bank, **parameters) -> TierRuleSet:
    """A version of the individuals' rules in force from January 2026."""
    with bank.scope():
        latest = TierRuleSet.objects.filter(kind=Customer.Kind.INDIVIDUAL).order_by("-version")[0]
        values = {
            "new_customer_months": latest.new_customer_months,
            "bz_months": latest.bz_months,
            "mvc_top_percent": latest.mvc_top_percent,
            "mvc_min_contribution": latest.mvc_min_contribution,
            "mgc_min_potential": latest.mgc_min_potential,
            "downgrade_months": latest.downgrade_months,
            **parameters,
        }
        return TierRuleSet.objects.create(
            tenant=bank.tenant,
            kind=Customer.Kind.INDIVIDUAL,
            version=latest.version + 1,
            effective_from=date(2026, 1, 1),
            proposed_by=bank[Role.TENANT_ADMIN],
            approved_by=bank[Role.TENANT_ADMIN],
            **values,
        )


def score(bank, month: date) -> ScoringRun | None:
    with bank.scope():
        return scoring_run_once(month=month)


def values(bank, month: date) -> dict[int, CustomerValue]:
    with bank.scope():
        return {value.customer_id: value for value in CustomerValue.objects.filter(month=month)}


def test_the_top_share_edge_takes_in_those_tied_with_it(bank_a):
    rules(bank_a, mvc_top_percent=Decimal(10), mvc_min_contribution=None)
    ten = customers(bank_a, 10)
    amounts = [1000, 900, 900, 500, 400, 300, 200, 100, 50, 10]
    for customer, amount in zip(ten, amounts, strict=True):
        feed(bank_a, customer, JUNE, amount)
    run = score(bank_a, JUNE)

    # 11 individuals (the fixture's own customer too): the top 10 % is 2 places; the second
    # place is 900, and the customer tied with it is in as well.
    scored = values(bank_a, JUNE)
    tiers = [scored[customer.pk].tier for customer in ten]
    assert tiers[:3] == [Customer.Tier.MVC] * 3
    assert set(tiers[3:]) == {Customer.Tier.ORDINARY}
    assert scored[ten[0].pk].reason == Reason.TOP_SHARE
    assert scored[ten[0].pk].contribution == Decimal("1000.00")
    assert scored[ten[0].pk].income_estimated is False
    assert run is not None and run.customers == 12  # both fixture customers as well
    with bank_a.scope():
        for customer in ten:
            customer.refresh_from_db()
    assert [customer.tier for customer in ten] == tiers  # copied to the customers


def test_below_zero_takes_every_month_of_the_rules_and_zero_is_not_below(bank_a):
    rules(bank_a, bz_months=3)
    always, once_zero, zero = customers(bank_a, 3)
    for month, amounts in [(APRIL, (-10, -10, 0)), (MAY, (-10, 0, 0)), (JUNE, (-10, -10, 0))]:
        for customer, amount in zip((always, once_zero, zero), amounts, strict=True):
            feed(bank_a, customer, month, amount)
        score(bank_a, month)
    june = values(bank_a, JUNE)
    assert june[always.pk].tier == Customer.Tier.BZ
    assert june[always.pk].reason == Reason.BELOW_ZERO
    assert june[once_zero.pk].tier == Customer.Tier.ORDINARY  # May broke the run
    assert june[zero.pk].tier == Customer.Tier.ORDINARY  # exactly zero is not below
    assert values(bank_a, MAY)[always.pk].tier == Customer.Tier.ORDINARY  # two months only


def test_a_lower_tier_only_after_the_rules_months_in_a_row_below(bank_a):
    rules(bank_a, mvc_top_percent=None, mvc_min_contribution=Decimal(1000), downgrade_months=3)
    [customer] = customers(bank_a, 1)
    for month, amount in [(APRIL, 2000), (MAY, 100), (JUNE, 100), (JULY, 100)]:
        feed(bank_a, customer, month, amount)
        score(bank_a, month)
    tier = {month: values(bank_a, month)[customer.pk] for month in (APRIL, MAY, JUNE, JULY)}
    assert tier[APRIL].tier == Customer.Tier.MVC and tier[APRIL].reason == Reason.THRESHOLD
    # Below it for one and two months (N - 1): still MVC, and the panel says why.
    assert (tier[MAY].tier, tier[MAY].earned_tier) == (Customer.Tier.MVC, Customer.Tier.ORDINARY)
    assert tier[JUNE].tier == Customer.Tier.MVC and tier[JUNE].reason == Reason.HELD
    # The third month in a row below (N): the customer leaves the tier.
    assert tier[JULY].tier == Customer.Tier.ORDINARY
    with bank_a.scope():
        customer.refresh_from_db()
        assert customer.tier == Customer.Tier.ORDINARY
        changes = list(
            TierChange.objects.filter(customer=customer)
            .order_by("changed_at", "id")
            .values_list("from_tier", "to_tier", "month")
        )
    assert changes == [("", "mvc", APRIL), ("mvc", "ordinary", JULY)]


def test_new_customers_are_those_of_fewer_than_the_rules_months(bank_a):
    rules(bank_a, new_customer_months=3, mvc_top_percent=None, mvc_min_contribution=10**6)
    [three_months_less_a_day] = customers(bank_a, 1, since=date(2026, 4, 1))
    [three_months] = customers(bank_a, 1, since=date(2026, 3, 31))
    for customer in (three_months_less_a_day, three_months):
        feed(bank_a, customer, JUNE, 100)
    score(bank_a, JUNE)
    june = values(bank_a, JUNE)
    assert june[three_months_less_a_day.pk].tier == Customer.Tier.NEW
    assert june[three_months_less_a_day.pk].reason == Reason.NEW
    assert june[three_months.pk].tier == Customer.Tier.ORDINARY


def test_a_manual_tier_in_force_wins_and_says_so(bank_a):
    rules(bank_a, mvc_top_percent=None, mvc_min_contribution=10**6)
    [customer] = customers(bank_a, 1)
    feed(bank_a, customer, JUNE, 10)
    with bank_a.scope():
        ManualTier.objects.create(
            tenant=bank_a.tenant,
            customer=customer,
            tier=Customer.Tier.MVC,
            reason="战略客户",
            starts_on=date(2026, 6, 1),
            expires_on=date(2026, 12, 31),
            requested_by=bank_a[Role.MARKETING_MANAGER],
            approved_by=bank_a[Role.TENANT_ADMIN],
        )
    score(bank_a, JUNE)
    june = values(bank_a, JUNE)[customer.pk]
    assert (june.tier, june.reason, june.earned_tier) == (
        Customer.Tier.MVC,
        Reason.MANUAL,
        Customer.Tier.ORDINARY,
    )


def test_running_a_month_again_changes_nothing_and_writes_nothing(bank_a):
    ten = customers(bank_a, 10)
    for index, customer in enumerate(ten):
        feed(bank_a, customer, JUNE, 100 * index)
    first = score(bank_a, JUNE)
    before = values(bank_a, JUNE)
    with bank_a.scope():
        stamps = dict(Customer.objects.values_list("pk", "updated_at"))
        changes = TierChange.objects.count()

    assert score(bank_a, JUNE) is None  # done once: the job-run table remembers
    again = scoring_rerun_as_admin(bank_a, JUNE)
    assert (first.version, again.version) == (1, 2)
    after = values(bank_a, JUNE)
    fields = ["contribution", "potential", "tier", "earned_tier", "reason", "rule_set_id"]
    assert {pk: [getattr(v, f) for f in fields] for pk, v in after.items()} == {
        pk: [getattr(v, f) for f in fields] for pk, v in before.items()
    }
    assert {value.run_id for value in after.values()} == {again.pk}
    with bank_a.scope():
        # No tier changed, so no customer row was touched and no change recorded.
        assert dict(Customer.objects.values_list("pk", "updated_at")) == stamps
        assert TierChange.objects.count() == changes
    assert again.tier_changes == 0 and again.requested_by == bank_a[Role.TENANT_ADMIN]


def scoring_rerun_as_admin(bank, month):
    with bank.scope():
        return scoring_rerun(month=month, actor=bank[Role.TENANT_ADMIN], reason="迟到的收入数据")


def test_a_rerun_of_an_older_month_leaves_customers_the_latest_months_tier(bank_a):
    rules(
        bank_a,
        mvc_top_percent=None,
        mvc_min_contribution=Decimal(1000),
        mgc_min_potential=100,
        downgrade_months=1,
    )
    [customer] = customers(bank_a, 1)
    feed(bank_a, customer, JUNE, 1500)
    feed(bank_a, customer, JULY, 10)
    score(bank_a, JUNE)
    score(bank_a, JULY)
    with bank_a.scope():
        customer.refresh_from_db()
    assert customer.tier == Customer.Tier.ORDINARY

    again = scoring_rerun_as_admin(bank_a, JUNE)

    assert values(bank_a, JUNE)[customer.pk].tier == Customer.Tier.MVC  # June's own row
    with bank_a.scope():
        customer.refresh_from_db()
    assert customer.tier == Customer.Tier.ORDINARY  # still July's
    assert again.tier_changes == 0


def test_a_rule_edit_never_changes_a_month_scored_before_it(bank_a):
    first = rules(bank_a, mvc_top_percent=None, mvc_min_contribution=Decimal(1000))
    [customer] = customers(bank_a, 1)
    feed(bank_a, customer, JUNE, 1500)
    score(bank_a, JUNE)
    with bank_a.scope():
        TierRuleSet.objects.create(
            tenant=bank_a.tenant,
            kind=Customer.Kind.INDIVIDUAL,
            version=first.version + 1,
            effective_from=JULY,
            new_customer_months=3,
            bz_months=3,
            mvc_top_percent=None,
            mvc_min_contribution=Decimal(2000),
            mgc_min_potential=70,
            downgrade_months=1,
            proposed_by=bank_a[Role.TENANT_ADMIN],
            approved_by=bank_a[Role.TENANT_ADMIN],
        )
    scoring_rerun_as_admin(bank_a, JUNE)  # June again: still June's rules
    june = values(bank_a, JUNE)[customer.pk]
    assert (june.tier, june.rule_set_id) == (Customer.Tier.MVC, first.pk)


def test_a_rerun_needs_a_reason_and_a_scored_month(bank_a):
    from crm.domain import DomainError

    with bank_a.scope(), pytest.raises(DomainError):
        scoring_rerun(month=JUNE, actor=bank_a[Role.TENANT_ADMIN], reason="迟到的数据")
    score(bank_a, JUNE)
    with bank_a.scope(), pytest.raises(DomainError):
        scoring_rerun(month=JUNE, actor=bank_a[Role.TENANT_ADMIN], reason="  ")


def test_another_banks_customers_are_neither_scored_nor_counted(bank_a, bank_b):
    [ours] = customers(bank_a, 1)
    [theirs] = customers(bank_b, 1)
    feed(bank_a, ours, JUNE, 100)
    feed(bank_b, theirs, JUNE, 10**9)
    score(bank_a, JUNE)
    assert theirs.pk not in values(bank_a, JUNE)
    with bank_b.scope():
        assert not CustomerValue.objects.exists()


def test_the_nightly_chain_scores_the_month_once_its_cut_off_day_is_rolled_up(bank_a):
    from channels.tasks import rollup_tenant_day

    def runs():
        with bank_a.scope():
            return list(ScoringRun.objects.values_list("month", "version"))

    rollup_tenant_day(tenant_id=bank_a.tenant.pk, day="2026-07-04")
    assert runs() == []  # late feeds for June may still come
    rollup_tenant_day(tenant_id=bank_a.tenant.pk, day="2026-07-05")
    assert runs() == [(JUNE, 1)]
    rollup_tenant_day(tenant_id=bank_a.tenant.pk, day="2026-07-06")
    assert runs() == [(JUNE, 1)]  # once


def test_the_value_panel_explains_the_figures(bank_a, client_for, django_assert_max_num_queries):
    from django.urls import reverse

    from customers.models import Consent
    from tests.translation import zh

    rules(bank_a, mvc_top_percent=None, mvc_min_contribution=Decimal(1000))
    [customer] = customers(bank_a, 1)
    with bank_a.scope():
        Contribution.objects.create(
            tenant=bank_a.tenant,
            customer=customer,
            month=JUNE,
            deposit_interest=Decimal("1200.50"),
            loan_interest=Decimal("300.25"),
            fee_income=Decimal("99.25"),
            other_income=Decimal("0.00"),
        )
    score(bank_a, JUNE)
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope():
        customer.relationship_manager = bank_a[Role.RELATIONSHIP_MANAGER]
        customer.save(update_fields=["relationship_manager"])
    url = reverse("customers:panel", args=[customer.pk, "value"])
    client.get(url, headers={"HX-Request": "true"})  # warm per-session caches
    with django_assert_max_num_queries(12):
        page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    # 1200.50 + 300.25 + 99.25 = 1,600.00, nothing to serve or risk: MVC by the threshold.
    assert 'data-testid="value-contribution">1,600.00<' in page
    assert 'data-testid="value-deposit-interest">1,200.50<' in page
    assert zh("Contribution of at least %(amount)s CNY a month.") % {"amount": "1,000.00"} in page
    assert 'data-testid="value-estimated"' not in page
    assert 'data-testid="value-no-offers"' in page  # no personalised-offers consent
    with bank_a.scope():
        Consent.objects.create(
            tenant=bank_a.tenant,
            customer=customer,
            purpose=Consent.Purpose.PERSONALISED_OFFERS,
            channel=Consent.Channel.ANY,
            granted=True,
            source=Consent.Source.COUNTER,
        )
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="value-no-offers"' not in page
    # A teller reads the tier on the customer page, not the bank's figures behind it.
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(url, headers={"HX-Request": "true"}).status_code in (403, 404)


def test_the_personal_data_copy_explains_each_month(bank_a):
    from customers.personal_data import copy_sections

    rules(bank_a, mvc_top_percent=None, mvc_min_contribution=Decimal(1000))
    [customer] = customers(bank_a, 1)
    feed(bank_a, customer, MAY, 500)
    feed(bank_a, customer, JUNE, 1500)
    score(bank_a, MAY)
    score(bank_a, JUNE)
    [section] = [section for section in copy_sections() if section.key == "value"]
    with bank_a.scope():
        rows = list(section.rows(customer))
    assert [row[0] for row in rows] == ["2026-05", "2026-06"]
    assert [row[1] for row in rows] == [
        str(Customer.Tier.ORDINARY.label),
        str(Customer.Tier.MVC.label),
    ]
    assert rows[1][10] == Decimal("1500.00")  # the contribution
    assert "1,000.00" in rows[1][2]  # why: the threshold it reached
    assert len(rows[0]) == len(section.headers)
