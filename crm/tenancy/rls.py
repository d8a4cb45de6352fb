"""Migration operations that put tenant-owned tables under PostgreSQL row-level security.

A later app adds a table's policies with one line in its migration::

    operations = [..., EnableRowLevelSecurity("customer")]
"""

import re
from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState
from django.db.models import Model

from crm.db import claims

CURRENT_TENANT_SQL = "(SELECT app_current_tenant())"
PLATFORM_ACCESS_SQL = "(SELECT app_platform_access())"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Statements(migrations.operations.base.Operation):
    """An operation that is nothing but SQL statements either way; no model state changes."""

    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    # ``state`` is the project state after the operation going forwards, before it going
    # backwards: the one in which the operation's tables exist.
    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        raise NotImplementedError

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return []

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self.forwards_statements(schema_editor, app_label, to_state):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in self.backwards_statements(schema_editor, app_label, from_state):
            schema_editor.execute(statement)


class CreateDatabaseRoles(Statements):
    """Set up what row-level security relies on, and grant the runtime role the tables.

    The runtime login role itself is created by ``migrate`` before any migration runs
    (``crm.db.roles``): roles are cluster-wide, and a migration's transaction would hold a
    new role's catalog row locked while other databases migrate at the same time. Here, in
    the database: the table with the claim key (readable by the owner only), the functions
    that verify a transaction's claim for the policies, and the runtime role's privileges
    on the tables the owner creates now and later.
    """

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        app_role = _quote(settings.DATABASE_APP_ROLE)
        return [
            claims.CREATE_KEY_TABLE_SQL,
            f"REVOKE ALL ON {claims.KEY_TABLE} FROM PUBLIC",
            claims.VERIFIED_SUBJECT_FUNCTION_SQL,
            claims.CURRENT_TENANT_FUNCTION_SQL,
            claims.PLATFORM_ACCESS_FUNCTION_SQL,
            f"GRANT USAGE ON SCHEMA public TO {app_role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app_role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
            f"ON TABLES TO {app_role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES "
            f"TO {app_role}",
            # Granted by the statements above when the table already existed.
            f"REVOKE ALL ON {claims.KEY_TABLE} FROM {app_role}",
        ]

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        app_role = _quote(settings.DATABASE_APP_ROLE)
        return [
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {app_role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {app_role}",
        ]

    def describe(self) -> str:
        return "Claim verification and the runtime role's privileges"


def tenant_column_check(column: str) -> str:
    # The column is compared without a cast and the function wrapped in a sub-select,
    # evaluated once per statement, so that the (tenant_id, ...) indexes stay usable.
    return f"{_quote(column)} = {CURRENT_TENANT_SQL}"


def policy_statements(table: str, tenant_check: str | None) -> list[str]:
    """Forced, claim-checked row-level security on ``table``.

    ``tenant_isolation`` (when ``tenant_check`` is given) shows and accepts the rows of the
    tenant claimed for the transaction; ``platform_access`` every row under a platform
    claim; ``owner_access`` every row to the owner, who runs migrations and bulk loads
    (FORCE ROW LEVEL SECURITY subjects the owner to the policies too, and a superuser owner
    bypasses them anyway: this keeps both kinds of owner alike). Without ``tenant_check``
    the table is platform code's only.
    """
    table = _quote(table)
    statements = [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"DROP POLICY IF EXISTS platform_access ON {table}",
        f"DROP POLICY IF EXISTS owner_access ON {table}",
    ]
    if tenant_check is not None:
        statements.append(
            f"CREATE POLICY tenant_isolation ON {table} USING ({tenant_check}) "
            f"WITH CHECK ({tenant_check})"
        )
    return [
        *statements,
        f"CREATE POLICY platform_access ON {table} USING ({PLATFORM_ACCESS_SQL}) "
        f"WITH CHECK ({PLATFORM_ACCESS_SQL})",
        f"CREATE POLICY owner_access ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)",
    ]


def removal_statements(table: str) -> list[str]:
    """Undo ``policy_statements``."""
    table = _quote(table)
    return [
        f"DROP POLICY IF EXISTS owner_access ON {table}",
        f"DROP POLICY IF EXISTS platform_access ON {table}",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


class EnableRowLevelSecurity(Statements):
    """Put a model's table under row-level security, keyed on its tenant column."""

    def __init__(self, model_name: str, column: str = "tenant_id") -> None:
        self.model_name = model_name
        self.column = column

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"model_name": self.model_name}
        if self.column != "tenant_id":
            kwargs["column"] = self.column
        return self.__class__.__qualname__, [], kwargs

    def _table(self, app_label: str, state: ProjectState) -> str:
        model: type[Model] = state.apps.get_model(app_label, self.model_name)
        return model._meta.db_table

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return policy_statements(self._table(app_label, state), tenant_column_check(self.column))

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return removal_statements(self._table(app_label, state))

    def describe(self) -> str:
        return f"Enable row-level security on {self.model_name} ({self.column})"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


class TableStatements(Statements):
    """Statements on one named table."""

    def __init__(self, table: str) -> None:
        self.table = table

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, [], {"table": self.table}


class PlatformOnlyRowLevelSecurity(TableStatements):
    """Row-level security on a table shared by every bank that only platform code may use.

    Such a table has no tenant column, so no bank may read or write it: only transactions
    with a platform claim (and the owner, for migrations) see its rows.
    """

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return policy_statements(self.table, tenant_check=None)

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return removal_statements(self.table)

    def describe(self) -> str:
        return f"Platform-only row-level security on {self.table}"


class ReadOnlyForRuntime(TableStatements):
    """Leave the runtime role only SELECT on a table every bank shares.

    For what only migrations write (roles and their permissions, content types, the
    migration history): one bank's injected statement must not change another's roles.
    """

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return [
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {_quote(self.table)} "
            f"FROM {_quote(settings.DATABASE_APP_ROLE)}"
        ]

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        return [
            f"GRANT INSERT, UPDATE, DELETE ON {_quote(self.table)} "
            f"TO {_quote(settings.DATABASE_APP_ROLE)}"
        ]

    def describe(self) -> str:
        return f"Read-only {self.table} for the runtime role"


class ClaimCheckedPolicies(Statements):
    """Rewrite every existing tenant policy to check signed claims, and force RLS.

    Tables put under row-level security before claims existed trusted a bare setting and a
    role switch. This finds them by their ``tenant_isolation`` policy (whichever app made
    them, whenever) and gives them the policies of ``policy_statements``.
    """

    reduces_to_sql = False  # the tables are found by querying the catalog

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        with editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, qual FROM pg_policies "
                "WHERE schemaname = 'public' AND policyname = 'tenant_isolation'"
            )
            policies = cursor.fetchall()
        statements = []
        for table, qual in policies:
            match = re.match(r'^\(\(?"?(\w+)"? = ', qual)
            if match is None:
                raise ValueError(f"Cannot read the tenant column of {table}'s policy: {qual}")
            statements += policy_statements(table, tenant_column_check(match.group(1)))
        return statements

    # Backwards: nothing; the claim-checked policies are no less strict than the old ones.

    def describe(self) -> str:
        return "Check signed claims in every tenant policy; force row-level security"


class SameTenantForeignKey(Statements):
    """Make PostgreSQL refuse a reference to a row of another tenant.

    Foreign-key checks bypass row-level security, so a plain ``branch_id`` could point at
    another bank's branch. A composite key ``(tenant_id, branch_id) -> (tenant_id, id)``
    cannot. The referenced table needs a unique ``(tenant_id, id)``, added here if missing.
    """

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field_name": self.field_name},
        )

    def _names(self, app_label: str, state: ProjectState) -> tuple[str, str, str, str]:
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        target = field.related_model._meta.db_table
        table = model._meta.db_table
        constraint = f"{table}_{field.column}_same_tenant"[:63]
        return table, field.column, target, constraint

    def forwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        table, column, target, constraint = self._names(app_label, state)
        target_key = f"{target}_tenant_id_id_key"[:63]
        return [
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = '{target_key}') THEN "
            f"ALTER TABLE {_quote(target)} ADD CONSTRAINT {_quote(target_key)} "
            '  UNIQUE ("tenant_id", "id"); '
            "END IF; END $$",
            f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(constraint)} "
            f'FOREIGN KEY ("tenant_id", {_quote(column)}) '
            f'REFERENCES {_quote(target)} ("tenant_id", "id") DEFERRABLE INITIALLY DEFERRED',
        ]

    def backwards_statements(
        self, editor: BaseDatabaseSchemaEditor, app_label: str, state: ProjectState
    ) -> list[str]:
        table, _column, _target, constraint = self._names(app_label, state)
        return [f"ALTER TABLE {_quote(table)} DROP CONSTRAINT IF EXISTS {_quote(constraint)}"]

    def describe(self) -> str:
        return f"Keep {self.model_name}.{self.field_name} within the row's tenant"


def tenant_owned_tables() -> list[tuple[str, str]]:
    """Return ``(table, tenant column)`` of every model that holds a tenant's rows.

    A model is tenant-owned when it has a foreign key to Tenant named ``tenant`` (this
    includes the event tables django-pghistory generates for tracked models), when it is the
    event table of Tenant itself, or when it is Tenant.
    """
    from django.apps import apps

    from crm.tenancy.models import Tenant

    tables = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        if model is Tenant:
            tables.append((model._meta.db_table, "id"))
            continue
        for field in model._meta.concrete_fields:
            is_tenant_key = field.is_relation and field.related_model is Tenant
            if is_tenant_key and field.name in ("tenant", "pgh_obj"):
                tables.append((model._meta.db_table, field.column))
    return sorted(set(tables))
