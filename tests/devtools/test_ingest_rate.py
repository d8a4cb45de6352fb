"""The ingest benchmark posts real batches through the API and prints what it measured."""

import io
import re

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from channels.catalog import ensure_standard_catalog
from channels.models import Channel, Interaction
from crm.tenancy.context import platform_wide
from crm.tenancy.models import PartnerApplication
from devtools.channels.ingest_rate import IngestBenchmarkError, measure_ingest
from tests.factories import TenantFactory


def benchmark_contacts(bank) -> int:
    with bank.scope():
        return Interaction.objects.filter(source="benchmark").count()


def test_measure_ingest_writes_real_batches_and_prints_the_rate(bank_a, bank_b):
    printed = io.StringIO()
    measurement = measure_ingest(bank_a.tenant, batches=3, batch_size=50, stdout=printed, seed=7)
    text = printed.getvalue()
    assert re.search(r"[\d,]+ interactions/s; per call p50 [\d.]+ ms, p95 [\d.]+ ms", text)
    assert "3 calls of 50" in text
    assert len(measurement.milliseconds) == 3 and measurement.per_second > 0
    assert max(measurement.queries) <= 10  # with the change events and the refusal savepoint
    # The warm-up batch was written too, and everything sent is removed again afterwards:
    # the count comes from the DELETE, so the contacts really were in the table.
    assert "200 contacts sent for the measurement, removed again" in text
    assert benchmark_contacts(bank_a) == 0
    assert benchmark_contacts(bank_b) == 0


def test_the_benchmark_removes_only_its_own_run(bank_a, channel_catalog_a):
    with bank_a.scope():
        kept = Interaction.objects.create(
            tenant=bank_a.tenant,
            customer=bank_a.customer,
            channel=channel_catalog_a,
            kind=Interaction.Kind.ENQUIRY,
            occurred_at=timezone.now(),
            source="benchmark",
            external_id="an-earlier-run-1-1",
        )
    measure_ingest(bank_a.tenant, batches=1, batch_size=20, stdout=io.StringIO(), warmup=0)
    with bank_a.scope():
        assert list(Interaction.objects.values_list("pk", flat=True)) == [kept.pk]


def test_the_benchmark_partner_is_created_once_and_its_tokens_revoked(bank_a):
    for _run in range(2):
        measure_ingest(bank_a.tenant, batches=1, batch_size=10, stdout=io.StringIO(), warmup=0)
    with bank_a.scope():
        [partner] = PartnerApplication.objects.filter(client_id__endswith="-ingest-benchmark")
    assert "interactions:write" in partner.allowed_scopes
    with platform_wide():
        assert not get_access_token_model().objects.filter(application=partner).exists()


@pytest.fixture
def channel_catalog_a(bank_a):
    with bank_a.scope():
        ensure_standard_catalog(bank_a.tenant)
        return Channel.objects.first()


def test_a_bank_without_customers_cannot_be_measured(db):
    with pytest.raises(IngestBenchmarkError, match="no customers"):
        measure_ingest(TenantFactory(), batches=1, stdout=io.StringIO())
