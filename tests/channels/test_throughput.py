"""The ingest benchmark posts real batches through the API and prints what it measured."""

import io
import re

import pytest
from oauth2_provider.models import get_access_token_model

from channels.models import Interaction
from channels.throughput import IngestBenchmarkError, measure_ingest
from crm.tenancy.context import platform_wide
from crm.tenancy.models import PartnerApplication
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
    assert max(measurement.queries) <= 8
    # The warm-up batch is written too; every contact belongs to one of the bank's customers.
    assert benchmark_contacts(bank_a) == 4 * 50
    with bank_a.scope():
        customers = set(Interaction.objects.values_list("customer_id", flat=True))
        assert customers <= {bank_a.customer.pk, bank_a.other_customer.pk}
    assert benchmark_contacts(bank_b) == 0
    # A second run sends new external ids: everything is written again, not skipped.
    measure_ingest(bank_a.tenant, batches=1, batch_size=50, stdout=io.StringIO(), warmup=0)
    assert benchmark_contacts(bank_a) == 5 * 50


def test_the_benchmark_partner_is_created_once_and_its_tokens_revoked(bank_a):
    for _run in range(2):
        measure_ingest(bank_a.tenant, batches=1, batch_size=10, stdout=io.StringIO(), warmup=0)
    with bank_a.scope():
        [partner] = PartnerApplication.objects.filter(client_id__endswith="-ingest-benchmark")
    assert "interactions:write" in partner.allowed_scopes
    with platform_wide():
        assert not get_access_token_model().objects.filter(application=partner).exists()


def test_a_bank_without_customers_cannot_be_measured(db):
    with pytest.raises(IngestBenchmarkError, match="no customers"):
        measure_ingest(TenantFactory(), batches=1, stdout=io.StringIO())
