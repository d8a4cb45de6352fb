"""Migration operations that put tenant-owned tables under PostgreSQL row-level security.

A later app adds a table's policies with one line in its migration::

    operations = [..., EnableRowLevelSecurity("customer")]
"""

from django.conf import settings
from django.db import migrations

CURRENT_TENANT_SQL = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class CreateDatabaseRoles(migrations.operations.base.Operation):
    """Create the application and platform roles and grant them the tables.

    The application role is what every connection switches to at run time: not superuser,
    not BYPASSRLS, not the owner of any table, so row-level security always applies to it.
    The platform role is what platform-wide code switches to for one transaction; the
    policies below give it every row. Both are granted to the role that runs migrations so
    that it can switch to them, and both receive privileges on tables the owner creates.
    """

    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        app_role = _quote(settings.DATABASE_APP_ROLE)
        platform_role = _quote(settings.DATABASE_PLATFORM_ROLE)
        statements = []
        for role in (settings.DATABASE_APP_ROLE, settings.DATABASE_PLATFORM_ROLE):
            statements.append(
                "DO $$ BEGIN "
                f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                f"CREATE ROLE {_quote(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
                "NOCREATEROLE NOINHERIT; "
                "END IF; END $$"
            )
        statements += [
            f"GRANT {app_role}, {platform_role} TO CURRENT_USER",
            f"GRANT USAGE ON SCHEMA public TO {app_role}, {platform_role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f"TO {app_role}, {platform_role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app_role}, {platform_role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
            f"ON TABLES TO {app_role}, {platform_role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES "
            f"TO {app_role}, {platform_role}",
        ]
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        app_role = _quote(settings.DATABASE_APP_ROLE)
        platform_role = _quote(settings.DATABASE_PLATFORM_ROLE)
        schema_editor.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES "
            f"FROM {app_role}, {platform_role}"
        )
        schema_editor.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES "
            f"FROM {app_role}, {platform_role}"
        )

    def describe(self):
        return "Create the application and platform database roles"


class EnableRowLevelSecurity(migrations.operations.base.Operation):
    """Enable row-level security on a model's table, keyed on its tenant column.

    ``tenant_isolation`` lets any non-owner role see and write only rows of the tenant set
    for the current transaction (none when no tenant is set). ``platform_access`` gives the
    platform role every row. The column is compared without a cast so that the
    ``(tenant_id, ...)`` indexes stay usable.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, column: str = "tenant_id"):
        self.model_name = model_name
        self.column = column

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.column != "tenant_id":
            kwargs["column"] = self.column
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = _quote(self._table(app_label, to_state))
        column = _quote(self.column)
        check = f"{column} = {CURRENT_TENANT_SQL}"
        platform_role = _quote(settings.DATABASE_PLATFORM_ROLE)
        for statement in (
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"CREATE POLICY tenant_isolation ON {table} USING ({check}) WITH CHECK ({check})",
            f"CREATE POLICY platform_access ON {table} TO {platform_role} "
            "USING (true) WITH CHECK (true)",
        ):
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = _quote(self._table(app_label, from_state))
        for statement in (
            f"DROP POLICY IF EXISTS platform_access ON {table}",
            f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
        ):
            schema_editor.execute(statement)

    def describe(self):
        return f"Enable row-level security on {self.model_name} ({self.column})"

    @property
    def migration_name_fragment(self):
        return f"rls_{self.model_name.lower()}"


class SameTenantForeignKey(migrations.operations.base.Operation):
    """Make PostgreSQL refuse a reference to a row of another tenant.

    Foreign-key checks bypass row-level security, so a plain ``branch_id`` could point at
    another bank's branch. A composite key ``(tenant_id, branch_id) -> (tenant_id, id)``
    cannot. The referenced table needs a unique ``(tenant_id, id)``, added here if missing.
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, field_name: str):
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "field_name": self.field_name},
        )

    def state_forwards(self, app_label, state):
        pass

    def _names(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        target = field.related_model._meta.db_table
        table = model._meta.db_table
        constraint = f"{table}_{field.column}_same_tenant"[:63]
        return table, field.column, target, constraint

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table, column, target, constraint = self._names(app_label, to_state)
        target_key = f"{target}_tenant_id_id_key"[:63]
        schema_editor.execute(
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = '{target_key}') THEN "
            f"ALTER TABLE {_quote(target)} ADD CONSTRAINT {_quote(target_key)} "
            '  UNIQUE ("tenant_id", "id"); '
            "END IF; END $$"
        )
        schema_editor.execute(
            f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(constraint)} "
            f'FOREIGN KEY ("tenant_id", {_quote(column)}) '
            f'REFERENCES {_quote(target)} ("tenant_id", "id") DEFERRABLE INITIALLY DEFERRED'
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table, _column, _target, constraint = self._names(app_label, from_state)
        schema_editor.execute(
            f"ALTER TABLE {_quote(table)} DROP CONSTRAINT IF EXISTS {_quote(constraint)}"
        )

    def describe(self):
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
