"""Partner feeds are audited per batch; their rows stay out of the staff's change trail."""

import pytest
from django.urls import reverse

from crm.audit.models import FeedBatch
from crm.tenancy.roles import Role
from customers.models import Holding
from tests.factories import ProductFactory

TRAIL = reverse("audit:trail")


@pytest.fixture
def loaded(bank_a, partner_client):
    ProductFactory(tenant=bank_a.tenant, code="DEP")
    items = [
        {
            "account_number": f"FEED-{n}",
            "customer_number": "AAA0001",
            "product_code": "DEP",
            "opened_on": "2024-03-01",
            "status": "active",
            "balance": "100.00",
        }
        for n in range(3)
    ]
    client = partner_client(bank_a.token("holdings:write"))
    for _replay in range(2):
        response = client.post(
            "/api/v1/holdings/bulk", {"items": items}, content_type="application/json"
        )
        assert response.status_code == 200


def test_each_accepted_batch_is_recorded_with_its_partner_and_counts(bank_a, loaded):
    with bank_a.scope():
        batches = list(
            FeedBatch.objects.order_by("pk").values_list(
                "partner_id", "feed", "items", "created", "updated", "unchanged"
            )
        )
    assert batches[-2:] == [
        (bank_a.partner.pk, "holdings:write", 3, 3, 0, 0),
        (bank_a.partner.pk, "holdings:write", 3, 0, 0, 3),
    ]


def test_the_trail_shows_the_batch_not_its_rows_while_row_history_stays(bank_a, loaded, client_for):
    auditor = client_for(bank_a[Role.AUDITOR])
    changes = auditor.get(TRAIL, {"category": "change"}).content.decode()
    feeds = auditor.get(TRAIL, {"category": "feed"}).content.decode()
    assert "FEED-0" not in changes
    assert "holdings:write" in feeds and bank_a.partner.name in feeds
    with bank_a.scope():
        holding = Holding.objects.get(account_number="FEED-0")
        assert holding.events.count() == 1  # the record's own history keeps the insert


def test_administrators_and_auditors_list_the_banks_feed_batches_in_admin(
    bank_a, bank_b, loaded, client_for
):
    url = reverse("admin:audit_feedbatch_changelist")
    for role in (Role.TENANT_ADMIN, Role.AUDITOR):
        page = client_for(bank_a[role]).get(url).content.decode()
        assert bank_a.partner.name in page
        assert "ZZZ" not in page


def test_a_refused_batch_writes_nothing_but_its_own_record(bank_a, partner_client, client_for):
    ProductFactory(tenant=bank_a.tenant, code="DEP")
    good = {
        "account_number": "REFUSED-0",
        "customer_number": "AAA0001",
        "product_code": "DEP",
        "opened_on": "2024-03-01",
        "status": "active",
        "balance": "100.00",
    }
    items = [
        good,
        {**good, "account_number": "REFUSED-1", "product_code": "NOPE"},
        {**good, "account_number": "REFUSED-2", "customer_number": "NOBODY"},
    ]
    client = partner_client(bank_a.token("holdings:write"))
    response = client.post(
        "/api/v1/holdings/bulk", {"items": items}, content_type="application/json"
    )
    assert response.status_code == 400
    malformed = client.post(
        "/api/v1/holdings/bulk", {"items": "all of them"}, content_type="application/json"
    )
    assert malformed.status_code == 400
    with bank_a.scope():
        assert not Holding.objects.filter(account_number__startswith="REFUSED").exists()
        batches = list(
            FeedBatch.objects.order_by("pk").values_list(
                "feed", "outcome", "items", "refused", "created"
            )
        )
    assert batches[-2:] == [
        ("holdings:write", FeedBatch.Outcome.REFUSED, 3, 2, 0),
        ("holdings:write", FeedBatch.Outcome.REFUSED, 0, 0, 0),
    ]
    feeds = client_for(bank_a[Role.AUDITOR]).get(TRAIL, {"category": "feed"}).content.decode()
    assert str(FeedBatch._meta.get_field("refused").verbose_name) in feeds
