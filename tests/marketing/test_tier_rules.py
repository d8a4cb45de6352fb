"""Tier rules: versions per bank and kind, proposed by one administrator, approved by another,
in force from their month on and never changed afterwards."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import ProgrammingError, transaction
from django.urls import reverse
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.months import add_months
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing.models import TierRuleSet
from marketing.selectors import rule_set_for
from marketing.services import tier_rules_check
from tests.factories import TenantFactory
from tests.translation import zh

TIER_RULES = reverse("marketing:tier_rules")
INDIVIDUAL = Customer.Kind.INDIVIDUAL


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def proposal_form(**changes) -> dict:
    form = {
        "kind": INDIVIDUAL,
        "effective_from": f"{add_months(this_month(), 1):%Y-%m}",
        "new_customer_months": "6",
        "bz_months": "4",
        "mvc_top_percent": "10",
        "mvc_min_contribution": "50000",
        "mgc_min_potential": "60",
        "downgrade_months": "2",
        "note": "AAA调整",
    }
    return {**form, **changes}


def propose(client, **changes):
    return client.post(TIER_RULES, proposal_form(**changes))


def latest_proposal(bank) -> Proposal:
    with bank.scope():
        return Proposal.objects.filter(action="marketing.tier_rules").latest("pk")


def test_every_bank_starts_with_standard_rules_for_each_kind(bank_a):
    with bank_a.scope():
        for kind in Customer.Kind.values:
            rules = rule_set_for(kind, date(2024, 6, 1))
            assert (rules.version, rules.effective_from) == (1, date(2000, 1, 1))
            assert rules.new_customer_months == 3
            assert rules.mvc_top_percent == Decimal("5.00")
            assert rules.tenant_id == bank_a.tenant.pk


def test_a_bank_created_later_gets_its_rules_too(db):
    tenant = TenantFactory()
    from crm.tenancy.context import tenant_context

    with tenant_context(tenant):
        assert set(TierRuleSet.objects.values_list("kind", flat=True)) == set(Customer.Kind.values)


def test_a_proposal_changes_nothing_until_another_administrator_approves_it(
    bank_a, second_admin, client_for
):
    maker = client_for(bank_a[Role.TENANT_ADMIN])
    response = propose(maker)
    proposal = latest_proposal(bank_a)
    assert response.status_code == 302
    assert response.url == reverse("approvals:detail", args=[proposal.pk])
    assert proposal.status == Proposal.Status.PENDING
    # The approver reads the numbers they approve.
    # (In the page's language, Chinese: "new below 6 months", "BZ after 4 months below zero",
    # "top 10 % or at least 50,000.00 CNY".)
    for shown in (
        "不足 6 个月为新客户",
        "连续 4 个月贡献度低于零为 BZ",
        "前 10 % 或 不低于 50,000.00 元",
    ):
        assert shown in proposal.summary
    with bank_a.scope():
        assert TierRuleSet.objects.of_kind(INDIVIDUAL).count() == 1
    assert proposal.summary in maker.get(TIER_RULES).content.decode()

    # The maker may not approve their own proposal.
    own = maker.post(reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve"})
    assert own.status_code == 403

    checker = client_for(second_admin)
    decided = checker.post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": "同意"}
    )
    assert decided.status_code == 302
    next_month = add_months(this_month(), 1)
    with bank_a.scope():
        new = rule_set_for(INDIVIDUAL, next_month)
        assert new.version == 2
        assert (new.new_customer_months, new.bz_months, new.downgrade_months) == (6, 4, 2)
        assert new.mvc_top_percent == Decimal("10.00")
        assert new.mvc_min_contribution == Decimal("50000.00")
        assert (new.proposed_by_id, new.approved_by_id) == (
            bank_a[Role.TENANT_ADMIN].pk,
            second_admin.pk,
        )
        # This month keeps the rules it had; companies are untouched.
        assert rule_set_for(INDIVIDUAL, this_month()).version == 1
        assert rule_set_for(INDIVIDUAL, date(2020, 1, 1)).version == 1
        assert rule_set_for(Customer.Kind.CORPORATE, next_month).version == 1
    page = checker.get(TIER_RULES).content.decode()
    assert "AAA第二管理员" in page  # the approver of the scheduled version


def test_a_rejected_proposal_adds_no_version(bank_a, second_admin, client_for):
    propose(client_for(bank_a[Role.TENANT_ADMIN]))
    proposal = latest_proposal(bank_a)
    client_for(second_admin).post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "reject", "reason": "太激进"}
    )
    with bank_a.scope():
        assert TierRuleSet.objects.of_kind(INDIVIDUAL).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"effective_from": "2020-01"}, "effective_from", "过去的月份沿用原有规则"),
        ({"effective_from": "2020-13"}, "effective_from", "YYYY-MM"),
        ({"bz_months": "0"}, "bz_months", ""),
        ({"mgc_min_potential": "101"}, "mgc_min_potential", ""),
        ({"mvc_top_percent": "80"}, "mvc_top_percent", "不超过 50 %"),
        ({"mvc_min_contribution": "-5"}, "mvc_min_contribution", ""),
    ],
)
def test_bad_rules_are_refused_with_the_field_named(bank_a, client_for, changes, field, message):
    response = propose(client_for(bank_a[Role.TENANT_ADMIN]), **changes)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    with bank_a.scope():
        assert not Proposal.objects.filter(action="marketing.tier_rules").exists()


def test_rules_need_an_mvc_criterion(bank_a, client_for):
    response = propose(
        client_for(bank_a[Role.TENANT_ADMIN]), mvc_top_percent="", mvc_min_contribution=""
    )
    assert response.status_code == 400
    assert (
        zh("Give the MVC rule: a top share of the bank, a contribution threshold, or both.")
        in response.content.decode()
    )


def test_only_the_threshold_is_enough_for_mvc(bank_a, client_for):
    response = propose(client_for(bank_a[Role.TENANT_ADMIN]), mvc_top_percent="")
    assert response.status_code == 302
    assert latest_proposal(bank_a).payload["mvc_top_percent"] is None


def test_a_version_cannot_start_before_one_already_scheduled(bank_a, second_admin):
    in_three = add_months(this_month(), 3)
    with bank_a.scope():
        TierRuleSet.objects.create(
            kind=INDIVIDUAL,
            version=2,
            effective_from=in_three,
            mvc_top_percent=Decimal("5"),
        )
        with pytest.raises(Exception) as refused:
            tier_rules_check(proposal_form(), actor=second_admin)
    assert refused.value.field == "effective_from"
    assert "第 2 版已自" in str(refused.value.message)  # "Version 2 already applies from..."


def test_a_version_is_never_edited_in_place(bank_a):
    with bank_a.scope():
        rules = rule_set_for(INDIVIDUAL, this_month())
        rules.bz_months = 9
        with pytest.raises(ProgrammingError, match="Cannot update"), transaction.atomic():
            rules.save()
        assert TierRuleSet.objects.get(pk=rules.pk).bz_months == 3


def test_the_version_in_force_is_the_bank_s_own(bank_a, bank_b):
    with bank_b.scope():
        TierRuleSet.objects.create(
            kind=INDIVIDUAL, version=2, effective_from=this_month(), mvc_top_percent=Decimal("1")
        )
    with bank_a.scope():
        assert rule_set_for(INDIVIDUAL, this_month()).version == 1


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        (Role.TENANT_ADMIN, 200, 302),
        (Role.MARKETING_MANAGER, 200, 403),
        (Role.AUDITOR, 200, 403),
        (Role.RELATIONSHIP_MANAGER, 403, 403),
        (Role.BRANCH_MANAGER, 403, 403),
    ],
)
def test_who_reads_and_who_proposes_the_rules(bank_a, client_for, role, get, post):
    client = client_for(bank_a[role])
    page = client.get(TIER_RULES)
    assert page.status_code == get
    if get == 200:
        assert ("tier-rules-form" in page.content.decode()) == (role == Role.TENANT_ADMIN)
    assert propose(client).status_code == post


def test_the_page_fits_a_small_query_budget(bank_a, client_for, django_assert_max_num_queries):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    with django_assert_max_num_queries(14):
        assert client.get(TIER_RULES).status_code == 200
