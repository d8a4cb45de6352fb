"""The branch tree: paths follow moves, subtrees are index range scans under RLS."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from crm.tenancy.models import Branch
from crm.tenancy.services import branch_create, branch_move
from tests.database import become_application, owner_transaction


def test_new_branches_get_their_path_from_the_tree(bank_a):
    with bank_a.scope():
        outlet = branch_create(
            tenant=bank_a.tenant,
            parent=bank_a.sub_branch,
            code="OUT-1",
            name="社区网点",
            kind=Branch.Kind.SUB_BRANCH,
        )
        ancestors = outlet.ancestors()
    assert outlet.path == f"{bank_a.sub_branch.path}{outlet.pk}/"
    assert outlet.depth == 3
    assert [b.pk for b in ancestors] == [
        bank_a.head_office.pk,
        bank_a.branch.pk,
        bank_a.sub_branch.pk,
    ]


def test_moving_a_branch_moves_its_whole_subtree(bank_a):
    with bank_a.scope():
        branch_move(branch=bank_a.sub_branch, new_parent=bank_a.other_branch)
        bank_a.sub_branch.refresh_from_db()
        assert bank_a.sub_branch.path.startswith(bank_a.other_branch.path)
        assert set(Branch.objects.subtree(bank_a.other_branch).values_list("pk", flat=True)) == {
            bank_a.other_branch.pk,
            bank_a.sub_branch.pk,
        }
        assert list(Branch.objects.subtree(bank_a.branch).values_list("pk", flat=True)) == [
            bank_a.branch.pk
        ]


def test_a_branch_cannot_move_under_its_own_subtree(bank_a):
    with bank_a.scope(), pytest.raises(ValidationError):
        branch_move(branch=bank_a.branch, new_parent=bank_a.sub_branch)


def test_a_branch_cannot_hang_under_another_banks_branch(bank_a, bank_b):
    with bank_a.scope(), pytest.raises(ValidationError):
        branch_create(
            tenant=bank_a.tenant,
            parent=bank_b.branch,
            code="X",
            name="X",
            kind=Branch.Kind.SUB_BRANCH,
        )


@pytest.mark.django_db(transaction=True)
def test_subtree_query_uses_the_path_index_as_the_application_role(bank_a):
    """Under RLS only leakproof operators reach an index: the prefix must be one of them.

    On a handful of rows the planner may prefer any index; so, in a transaction of its own
    (rolled back afterwards), the owner drops the other indexes of the table, and the
    question becomes whether the application role's plan can use the path index.
    """
    with bank_a.scope():
        sql, params = Branch.objects.subtree(bank_a.branch).query.sql_with_params()
    with owner_transaction() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'tenancy_branch'::regclass "
            "AND contype IN ('u', 'f') AND conname <> 'tenancy_branch_tenant_id_id_key'"
        )
        for (constraint,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE tenancy_branch DROP CONSTRAINT "{constraint}" CASCADE')
        cursor.execute(
            "ALTER TABLE tenancy_branch DROP CONSTRAINT tenancy_branch_tenant_id_id_key CASCADE"
        )
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tenancy_branch' "
            "AND indexname NOT IN ('branch_tenant_path', 'tenancy_branch_pkey')"
        )
        for (index,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{index}"')
        become_application(cursor, bank_a.tenant)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SELECT current_user, app_current_tenant()")
        assert cursor.fetchone() == (settings.DATABASE_APP_ROLE, bank_a.tenant.pk)
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "branch_tenant_path" in plan, plan
    index_condition = plan.split("Index Cond: ")[1].splitlines()[0]
    # PostgreSQL turns the prefix into a range on the path: an index range scan.
    assert "path" in index_condition, plan
