"""``manage.py generate_bank``: a realistic bank, consistent, isolated, loaded in bulk."""

from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from crm import pii
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, Staff, StaffRole, Tenant
from crm.tenancy.roles import Role
from customers import validators
from customers.models import (
    Assignment,
    BalanceSnapshot,
    Customer,
    CustomerRelationship,
    Holding,
    Product,
    to_fen,
)
from devtools.customers.generation import LOADED_MODELS
from marketing.models import TierChange

# generate_bank logs in as the owner, which needs a connection outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SIZE = {
    "customers": 200,
    "months": 3,
    "branches": 2,
    "sub_branches": 2,
    "managers_per_sub_branch": 2,
}


def generate(code: str = "smallbank", **options) -> str:
    out = StringIO()
    call_command("generate_bank", code=code, stdout=out, **{**SIZE, **options})
    return out.getvalue()


def tenant(code: str = "smallbank") -> Tenant:
    with platform_wide():
        return Tenant.objects.get(code=code)


def schema() -> dict[str, list]:
    """Indexes, constraints and trigger states of the tables the generator loads."""
    tables = [model._meta.db_table for model in LOADED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1", [tables]
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
            "OR confrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables, tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s) ORDER BY 1, 2",
            [tables],
        )
        triggers = cursor.fetchall()
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


def test_the_bank_has_an_organisation_staff_with_roles_and_every_kind_of_product(bank_a):
    generate()

    bank = tenant()
    with tenant_context(bank):
        kinds = Counter(Branch.objects.values_list("kind", flat=True))
        roles = Counter(StaffRole.objects.values_list("group__name", flat=True))
        staff = Staff.objects.filter(tenant=bank).count()
        categories = set(Product.objects.values_list("category", flat=True))
    assert kinds == {"head_office": 1, "branch": 2, "sub_branch": 4}
    # 2 per branch and 2 per sub-branch; everyone holds exactly one role
    assert roles[Role.RELATIONSHIP_MANAGER] == 2 * 2 + 4 * 2
    assert roles[Role.BRANCH_MANAGER] == 2 + 4
    assert sum(roles.values()) == staff
    assert categories == set(Product.Category.values)


def test_customers_are_realistic_and_their_aum_is_the_sum_of_their_asset_holdings(bank_a):
    output = generate()

    bank = tenant()
    with tenant_context(bank):
        customers = list(Customer.objects.all())
        holdings_per_customer = Counter(Holding.objects.values_list("customer_id", flat=True))
        assets = dict(
            Holding.objects.filter(product__category__in=Product.ASSET_CATEGORIES)
            .exclude(status=Holding.Status.CLOSED)
            .values_list("customer_id")
            .annotate(total=Sum("balance"))
        )
        latest = BalanceSnapshot.objects.aggregate(month=Max("month"))["month"]
        latest_aum = dict(
            BalanceSnapshot.objects.filter(month=latest).values_list("customer_id", "aum")
        )
        snapshots = Counter(BalanceSnapshot.objects.values_list("customer_id", flat=True))
    assert "customers: 200" in output
    assert len(customers) == 200
    kinds = Counter(customer.kind for customer in customers)
    assert kinds["individual"] > kinds["corporate"] > 0
    assert all(1 <= holdings_per_customer[customer.pk] <= 5 for customer in customers)
    for customer in customers:
        assert customer.aum_fen == to_fen(assets.get(customer.pk, 0))
        if customer.pk in latest_aum:  # customers of this month have no month-end yet
            assert to_fen(latest_aum[customer.pk]) == customer.aum_fen
        assert snapshots[customer.pk] <= 3
    assert sum(snapshots.values()) > 150 * 2
    assert {customer.status for customer in customers} >= {"active", "dormant"}
    assigned = [customer for customer in customers if customer.relationship_manager_id]
    assert 0.6 * len(customers) < len(assigned) < len(customers)  # the rest in the pool
    assert len({customer.tier for customer in customers}) >= 3
    # Nothing happened later than now (a customer joining today at a later hour would).
    started = timezone.now()
    assert max(customer.created_at for customer in customers) <= started
    assert max(customer.updated_at for customer in customers) <= started


def test_identity_numbers_are_valid_encrypted_masked_and_blind_indexed(bank_a):
    generate()

    bank = tenant()
    with tenant_context(bank):
        customers = list(Customer.objects.all())
    seen_ids, seen_phones = set(), set()
    for customer in customers:
        id_number, phone = customer.reveal("id_number"), customer.reveal("phone")
        if customer.id_type == Customer.IdType.RESIDENT_ID:
            assert validators.validate_resident_id(id_number) == id_number
            assert validators.resident_id_birth_date(id_number) == customer.birth_date
            assert validators.resident_id_gender(id_number) == customer.gender
        elif customer.id_type == Customer.IdType.USCC:
            assert customer.kind == Customer.Kind.CORPORATE
            assert validators.validate_uscc(id_number) == id_number
        else:
            assert validators.validate_passport(id_number) == id_number
        assert validators.validate_mobile(phone) == phone
        assert customer.id_number_masked == pii.mask(id_number)
        assert customer.phone_masked == phone[:3] + "****" + phone[-4:]
        assert bytes(customer.id_number_index) == pii.blind_index(
            "id_number", id_number, tenant_id=bank.pk
        )
        seen_ids.add(id_number)
        seen_phones.add(phone)
    assert len(seen_ids) == len(seen_phones) == len(customers)  # no duplicates to detect


def test_a_generated_phone_number_is_found_through_the_blind_index(bank_a):
    generate()

    bank = tenant()
    with tenant_context(bank):
        customer = Customer.objects.order_by("pk")[57]
        found = list(Customer.objects.with_phone(customer.reveal("phone"), tenant_id=bank.pk))
    assert found == [customer]


def test_every_row_belongs_to_the_new_bank_and_the_other_bank_sees_none_of_it(bank_a):
    generate()

    bank = tenant()
    with platform_wide():
        strays = {
            "holdings": Holding.objects.filter(customer__tenant=bank).exclude(tenant=bank),
            "relationships": CustomerRelationship.objects.filter(
                Q(from_customer__tenant=bank) | Q(to_customer__tenant=bank)
            ).exclude(tenant=bank),
            "assignments": Assignment.objects.filter(
                Q(customer__tenant=bank) | Q(relationship_manager__tenant=bank)
            ).exclude(tenant=bank),
            "customers": Customer.objects.filter(
                Q(home_branch__tenant=bank) | Q(relationship_manager__tenant=bank)
            ).exclude(tenant=bank),
        }
        assert {name: rows.count() for name, rows in strays.items()} == dict.fromkeys(strays, 0)
        assert CustomerRelationship.objects.filter(tenant=bank).exists()
        assert Customer.objects.filter(tenant=bank_a.tenant).count() == 2
    with bank_a.scope(), connection.cursor() as cursor:
        # Row-level security, without the ORM's tenant filter.
        for model in (Customer, Holding, BalanceSnapshot, Staff, Branch):
            cursor.execute(
                f"SELECT count(*) FROM {model._meta.db_table} WHERE tenant_id = %s", [bank.pk]
            )
            assert cursor.fetchone()[0] == 0, model


def test_the_tables_get_back_their_indexes_keys_and_history_triggers(bank_a):
    before = schema()

    generate()

    assert schema() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "crm_app"  # the test goes on under row-level security
    bank = tenant()
    with tenant_context(bank):
        events = apps.get_model("customers", "CustomerEvent").objects.filter(tenant=bank)
        # The scoring job, running after the load like the application's own jobs, has
        # recorded its tier changes (one each); nothing recorded the load itself.
        tiered = events.count()
        assert tiered == TierChange.objects.count() > 0
        customer = Customer.objects.order_by("pk").first()
        customer.name = "改名客户"
        customer.save()
        assert list(
            events.order_by("-pgh_id").values_list("pgh_obj_id", "pgh_label", "name")[:1]
        ) == [(customer.pk, "update", "改名客户")]
        assert events.count() == tiered + 1


def test_an_existing_code_is_refused(bank_a):
    generate()

    with pytest.raises(CommandError, match="--replace"):
        generate()
    with pytest.raises(CommandError, match="--replace"):
        generate(code=bank_a.tenant.code)
    with platform_wide():
        assert Customer.objects.filter(tenant=bank_a.tenant).count() == 2


def test_replace_deletes_the_bank_s_rows_and_generates_it_again(bank_a):
    generate()
    bank = tenant()
    with tenant_context(bank):
        first_ids = set(Customer.objects.values_list("pk", flat=True))
        staff_before = Staff.objects.filter(tenant=bank).count()

    output = generate(replace=True, customers=120, seed=7)

    assert tenant().pk == bank.pk
    assert "deleting the rows of smallbank" in output
    with tenant_context(bank):
        ids = set(Customer.objects.values_list("pk", flat=True))
        assert len(ids) == 120 and not ids & first_ids
        assert Staff.objects.filter(tenant=bank).count() == staff_before
        assert Holding.objects.values("customer").annotate(n=Count("id")).count() == 120
        assert not BalanceSnapshot.objects.exclude(customer_id__in=ids).exists()
    with platform_wide():
        assert Customer.objects.filter(tenant=bank_a.tenant).count() == 2


def test_worker_processes_make_the_same_bank_as_one_process(bank_a):
    generate("inline", chunk_size=50, workers=0)
    generate("forked", chunk_size=50, workers=2)

    def summary(code: str) -> list[tuple]:
        with tenant_context(tenant(code)):
            return list(
                Customer.objects.order_by("number").values_list(
                    # Not the tier: the scoring job's, from contribution figures drawn
                    # by a hash of the customer's id, which differs between the two banks.
                    "number",
                    "name",
                    "kind",
                    "status",
                    "birth_date",
                    "aum_fen",
                )
            )

    inline = summary("inline")
    assert len(inline) == 200
    assert summary("forked") == inline
