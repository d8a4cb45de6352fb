"""The scoring runs page: a bank's administrators score a month again, with a reason, and
watch the run's row until it ends; one run of a month at a time; the bank's runs only."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.celery import app as celery_app
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing import services
from marketing.models import RUN_LOST, CustomerValue, ScoringRun
from marketing.services import rerunnable_months, scoring_run_once
from tests.factories.customers import CustomerFactory, HoldingFactory
from tests.translation import zh

RUNS = reverse("marketing:scoring_runs")
JUNE, JULY = date(2026, 6, 1), date(2026, 7, 1)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the calling thread, as soon as they are sent."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def scored(bank, month: date = JUNE) -> ScoringRun:
    customer = CustomerFactory(home_branch=bank.branch)
    HoldingFactory(customer=customer, opened_on=date(2015, 1, 1))
    with bank.scope():
        run = scoring_run_once(month=month)
    assert run is not None
    return run


def rerun_form(**changes) -> dict:
    return {"month": JUNE.isoformat(), "reason": "迟到的收入数据", "confirm": "on", **changes}


def runs_of(bank) -> list[tuple]:
    with bank.scope():
        return list(
            ScoringRun.objects.order_by("version").values_list(
                "month", "version", "status", "requested_by", "reason"
            )
        )


def test_an_administrator_scores_a_month_again_and_watches_it_end(
    bank_a, client_for, eager_tasks, django_capture_on_commit_callbacks
):
    scored(bank_a)
    admin = bank_a[Role.TENANT_ADMIN]
    client = client_for(admin)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(RUNS, rerun_form())

    with bank_a.scope():
        run = ScoringRun.objects.get(version=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("marketing:scoring_run", args=[run.pk])
    # Recorded before any worker took it: who asked, why, queued.
    assert (run.status, run.requested_by_id, run.reason) == (
        ScoringRun.Status.QUEUED,
        admin.pk,
        "迟到的收入数据",
    )
    assert run.started_at is None
    page = client.get(response["Location"])
    assert page.context["run"].status == ScoringRun.Status.QUEUED
    assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls the row

    assert len(callbacks) == 1  # the task, sent once the request committed
    callbacks[0]()  # the worker (eager here) scores it

    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in body and 'data-status="finished"' in body
    assert "hx-trigger" not in body  # ended: the polling stops
    with bank_a.scope():
        run.refresh_from_db()
    assert (run.status, run.customers, run.attempts) == (ScoringRun.Status.FINISHED, 3, 1)
    assert run.started_at is not None and run.finished_at >= run.started_at
    with bank_a.scope():
        assert set(CustomerValue.objects.filter(month=JUNE).values_list("run", flat=True)) == {
            run.pk
        }
    listing = client.get(RUNS).content.decode()
    assert "迟到的收入数据" in listing and admin.name in listing


def test_a_second_rerun_while_one_is_queued_is_refused(bank_a, client_for):
    scored(bank_a)
    client = client_for(bank_a[Role.TENANT_ADMIN])
    assert client.post(RUNS, rerun_form()).status_code == 302

    response = client.post(RUNS, rerun_form(reason="再来一次"))

    assert response.status_code == 400
    assert zh("This month is already being scored: wait for that run to end.") in (
        response.content.decode()
    )
    assert [row[1:3] for row in runs_of(bank_a)] == [
        (1, ScoringRun.Status.FINISHED),
        (2, ScoringRun.Status.QUEUED),
    ]


def test_the_database_refuses_two_runs_of_a_month_at_once(bank_a):
    """Two administrators confirming at the same moment both pass the check in Python;
    the one-at-a-time constraint refuses the second."""
    from django.db import IntegrityError, transaction

    first = scored(bank_a)
    with bank_a.scope():
        ScoringRun.objects.filter(pk=first.pk).update(status=ScoringRun.Status.RUNNING)
        with pytest.raises(IntegrityError), transaction.atomic():
            ScoringRun.objects.create(
                tenant=bank_a.tenant, month=JUNE, version=2, status=ScoringRun.Status.QUEUED
            )


def test_a_run_no_worker_finished_does_not_block_the_month_forever(bank_a, client_for):
    scored(bank_a)
    long_ago = timezone.now() - timedelta(hours=2)
    with bank_a.scope():
        ScoringRun.objects.create(
            tenant=bank_a.tenant,
            month=JUNE,
            version=2,
            status=ScoringRun.Status.RUNNING,
            requested_at=long_ago,
            started_at=long_ago,
        )

    response = client_for(bank_a[Role.TENANT_ADMIN]).post(RUNS, rerun_form())

    assert response.status_code == 302
    with bank_a.scope():
        lost = ScoringRun.objects.get(version=2)
    assert (lost.status, lost.error) == (ScoringRun.Status.FAILED, RUN_LOST)
    page = client_for(bank_a[Role.TENANT_ADMIN]).get(
        reverse("marketing:scoring_run", args=[lost.pk])
    )
    assert (
        zh(
            "The worker stopped before the run ended. The month keeps the scores and tiers it "
            "had; score it again."
        )
        in page.content.decode()
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "  "}, "reason", "This field is required."),
        ({"reason": "长" * 201}, "reason", None),
        ({"confirm": ""}, "confirm", "Confirm that the month is to be scored again."),
        ({"month": JULY.isoformat()}, "month", None),  # never scored
        ({"month": "2026-13-01"}, "month", None),
        ({"month": "<script>"}, "month", None),
    ],
)
def test_bad_input_is_refused_on_its_field(bank_a, client_for, changes, field, message):
    scored(bank_a)

    response = client_for(bank_a[Role.TENANT_ADMIN]).post(RUNS, rerun_form(**changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert zh(message) in " ".join(errors[field])
    assert len(runs_of(bank_a)) == 1


def test_form_errors_are_in_the_pages_language(bank_a, client_for):
    from django.conf import settings

    scored(bank_a)
    client = client_for(bank_a[Role.TENANT_ADMIN])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(RUNS, rerun_form(confirm=""))

    assert "Confirm that the month is to be scored again." in response.content.decode()


def test_only_scored_months_past_their_cut_off_day_can_be_scored_again(bank_a):
    for month in (date(2026, 5, 1), JUNE, JULY):
        scored(bank_a, month)
    with bank_a.scope():
        # July's cut-off is 5 August: before it only May and June; from it July too.
        assert rerunnable_months(today=date(2026, 8, 4)) == [JUNE, date(2026, 5, 1)]
        assert rerunnable_months(today=date(2026, 8, 5)) == [JULY, JUNE, date(2026, 5, 1)]
        assert rerunnable_months(today=date(2026, 7, 20)) == [JUNE, date(2026, 5, 1)]


def test_a_month_before_its_cut_off_day_is_refused_by_the_service(bank_a, monkeypatch):
    from crm.domain import DomainError

    scored(bank_a, JULY)
    monkeypatch.setattr(services.timezone, "localdate", lambda *args: date(2026, 8, 3))
    with bank_a.scope(), pytest.raises(DomainError) as refused:
        services.scoring_rerun_request(
            month=JULY, actor=bank_a[Role.TENANT_ADMIN], reason="迟到的收入数据"
        )
    assert refused.value.field == "month"


@pytest.mark.parametrize(
    "role", [Role.MARKETING_MANAGER, Role.AUDITOR, Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER]
)
def test_only_the_banks_administrators_may_rerun(bank_a, client_for, role):
    run = scored(bank_a)
    client = client_for(bank_a[role])

    assert client.get(RUNS).status_code == 403
    assert client.post(RUNS, rerun_form()).status_code == 403
    assert client.get(reverse("marketing:scoring_run", args=[run.pk])).status_code == 403
    assert len(runs_of(bank_a)) == 1


def test_an_administrator_neither_sees_nor_reruns_another_banks_runs(bank_a, bank_b, client_for):
    theirs = scored(bank_b)
    with bank_b.scope():
        ScoringRun.objects.filter(pk=theirs.pk).update(reason="ZZZ迟到的数据")
    client = client_for(bank_a[Role.TENANT_ADMIN])

    assert client.get(reverse("marketing:scoring_run", args=[theirs.pk])).status_code == 404
    page = client.get(RUNS)
    assert "ZZZ" not in page.content.decode()
    assert list(page.context["runs"]) == []
    # June is bank B's scored month, not bank A's: nothing to re-run, and nothing queued.
    response = client.post(RUNS, rerun_form())
    assert response.status_code == 400
    assert runs_of(bank_a) == []
    assert [row[1] for row in runs_of(bank_b)] == [1]


def test_the_menu_offers_the_page_to_administrators_only(bank_a, client_for):
    admin_home = client_for(bank_a[Role.TENANT_ADMIN]).get("/").content.decode()
    manager_home = client_for(bank_a[Role.MARKETING_MANAGER]).get("/").content.decode()
    assert RUNS in admin_home
    assert RUNS not in manager_home


def test_a_failed_run_says_so_and_keeps_the_months_tiers(bank_a, monkeypatch):
    first = scored(bank_a)
    with bank_a.scope():
        tiers = dict(Customer.objects.values_list("pk", "tier"))
        run = services.scoring_rerun_request(
            month=JUNE, actor=bank_a[Role.TENANT_ADMIN], reason="迟到的收入数据"
        )

    def broken(*, run):
        raise RuntimeError("spreads missing")

    monkeypatch.setattr(services.scoring, "score_month", broken)
    with bank_a.scope(), pytest.raises(RuntimeError):
        services.scoring_run_perform(run_id=run.pk)

    with bank_a.scope():
        run.refresh_from_db()
    assert (run.status, run.error) == (ScoringRun.Status.FAILED, "RuntimeError: spreads missing")
    assert run.failure_message == zh(
        "The scoring stopped on an error. The month keeps the scores and tiers it had."
    )
    with bank_a.scope():
        assert dict(Customer.objects.values_list("pk", "tier")) == tiers
        assert set(CustomerValue.objects.filter(month=JUNE).values_list("run", flat=True)) == {
            first.pk
        }
