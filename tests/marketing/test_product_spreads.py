"""The bank's administrators set product spreads in the admin; periods never overlap."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from crm.audit.selectors import AUDITED_FIELDS
from crm.tenancy.roles import Role
from marketing.models import ProductSpread
from tests.factories import ProductFactory

ADD = "/admin/marketing/productspread/add/"
LIST = "/admin/marketing/productspread/"


@pytest.fixture
def product(bank_a):
    return ProductFactory(tenant=bank_a.tenant, code="DEP-FIX", name="整存整取")


def form(product, rate="0.0150", valid_from="2026-01-01", valid_until="") -> dict:
    return {
        "product": product.pk,
        "annual_rate": rate,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def codes(response) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {
        field: [error.code for error in errors.as_data()] for field, errors in form.errors.items()
    }


def spreads(bank, product) -> list[tuple]:
    with bank.scope():
        return list(
            ProductSpread.objects.filter(product=product)
            .order_by("valid_from")
            .values_list("annual_rate", "valid_from", "valid_until")
        )


def test_an_administrator_sets_a_spread_and_its_successor(bank_a, product, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])

    first = client.post(ADD, form(product, "0.0150", "2025-01-01", "2025-12-31"))
    second = client.post(ADD, form(product, "0.0120", "2026-01-01"))

    assert first.status_code == 302, first.content.decode()[:2000]
    assert second.status_code == 302
    assert spreads(bank_a, product) == [
        (Decimal("0.015000"), date(2025, 1, 1), date(2025, 12, 31)),
        (Decimal("0.012000"), date(2026, 1, 1), None),
    ]
    with bank_a.scope():
        event = ProductSpread.pgh_event_model.objects.filter(pgh_obj__product=product).first()
    assert event is not None and event.pgh_context["username"] == "aaa_tenant_admin"
    assert ProductSpread in AUDITED_FIELDS


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [
        ("2025-06-01", "2025-06-30"),  # inside
        ("2024-01-01", ""),  # open-ended over it
        ("2025-12-31", "2026-03-31"),  # sharing its last day
    ],
)
def test_an_overlapping_period_is_a_form_error(
    bank_a, product, client_for, valid_from, valid_until
):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    client.post(ADD, form(product, "0.0150", "2025-01-01", "2025-12-31"))

    response = client.post(ADD, form(product, "0.0200", valid_from, valid_until))

    assert response.status_code == 200
    assert codes(response) == {"__all__": ["overlap"]}
    assert len(spreads(bank_a, product)) == 1


def test_the_database_refuses_an_overlap_whatever_writes_it(bank_a, product):
    with bank_a.scope():
        ProductSpread.objects.create(
            product=product, annual_rate=Decimal("0.01"), valid_from=date(2025, 1, 1)
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductSpread.objects.bulk_create(
                [
                    ProductSpread(
                        tenant=bank_a.tenant,
                        product=product,
                        annual_rate=Decimal("0.02"),
                        valid_from=date(2030, 1, 1),
                    )
                ]
            )


def test_another_products_periods_do_not_matter(bank_a, product, client_for):
    other = ProductFactory(tenant=bank_a.tenant)
    client = client_for(bank_a[Role.TENANT_ADMIN])
    client.post(ADD, form(product, "0.0150", "2025-01-01"))

    response = client.post(ADD, form(other, "0.0150", "2025-01-01"))

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"valid_until": "2024-12-31"}, {"valid_until": ["ends_before_start"]}),
        ({"annual_rate": "1.5"}, {"annual_rate": ["max_value"]}),
    ],
)
def test_impossible_spreads_are_form_errors(bank_a, product, client_for, fields, expected):
    client = client_for(bank_a[Role.TENANT_ADMIN])

    response = client.post(ADD, {**form(product, valid_from="2025-01-01"), **fields})

    assert response.status_code == 200
    assert codes(response) == expected
    assert spreads(bank_a, product) == []


def test_an_auditor_reads_the_spreads_and_changes_nothing(bank_a, product, client_for):
    client = client_for(bank_a[Role.AUDITOR])

    assert client.get(LIST).status_code == 200
    assert client.post(ADD, form(product)).status_code == 403
    assert spreads(bank_a, product) == []


def test_another_banks_product_cannot_be_priced(bank_a, bank_b, client_for):
    foreign = ProductFactory(tenant=bank_b.tenant)
    client = client_for(bank_a[Role.TENANT_ADMIN])

    response = client.post(ADD, form(foreign))

    assert response.status_code == 200  # the choice is not offered
    assert spreads(bank_b, foreign) == []
