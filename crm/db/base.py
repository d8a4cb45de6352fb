"""The PostgreSQL backend of the project.

It adds one thing to Django's backend: before the first statement of each transaction
(and again whenever the current tenant changes inside one), it runs

    SELECT set_config('app.tenant_id', <tenant id or ''>, true),
           set_config('role', <application or platform role>, true)

so that row-level security sees the tenant of the request or task. The settings are local
to the transaction, never to the session, so a pooled connection cannot carry one tenant's
setting into another's transaction. Statements outside any transaction (autocommit) that
run while a tenant is set are wrapped in one for the same reason.
"""

from django.conf import settings
from django.db import transaction
from django.db.backends.postgresql import base

from crm.db.owner import owner_mode_active
from crm.tenancy.context import current_scope

APPLY_SQL = "SELECT set_config('app.tenant_id', %s, true), set_config('role', %s, true)"


def desired_database_state() -> tuple[str, str]:
    scope = current_scope()
    if scope.platform_wide:
        return "", settings.DATABASE_PLATFORM_ROLE
    tenant_id = scope.tenant_id
    return ("" if tenant_id is None else str(tenant_id)), settings.DATABASE_APP_ROLE


def _apply(connection, state: tuple[str, str]) -> None:
    # A cursor of its own: the statement's cursor may be a named (server-side) one.
    with connection.connection.cursor() as cursor:
        cursor.execute(APPLY_SQL, state)
    connection.applied_tenant_state = state


def _is_transaction_control(sql) -> bool:
    # Savepoint statements must run as they are, e.g. in a transaction aborted by an error.
    return isinstance(sql, str) and sql.lstrip()[:9].upper() in {
        "SAVEPOINT",
        "ROLLBACK ",
        "RELEASE S",
    }


def carry_tenant_into_transaction(execute, sql, params, many, context):
    """Execute wrapper: make the transaction's settings match the current scope first."""
    connection = context["connection"]
    if owner_mode_active():
        return execute(sql, params, many, context)
    state = desired_database_state()
    if connection.get_autocommit():
        if state == ("", settings.DATABASE_APP_ROLE):
            # The session already runs as the application role with no tenant set.
            return execute(sql, params, many, context)
        with transaction.atomic(using=connection.alias):
            _apply(connection, state)
            return execute(sql, params, many, context)
    if connection.applied_tenant_state != state and not _is_transaction_control(sql):
        _apply(connection, state)
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.applied_tenant_state: tuple[str, str] | None = None
        self.execute_wrappers.append(carry_tenant_into_transaction)

    def _configure_role(self, connection):
        if owner_mode_active():
            return False
        return super()._configure_role(connection)

    def connect(self):
        self.applied_tenant_state = None
        super().connect()

    def _commit(self):
        self.applied_tenant_state = None
        return super()._commit()

    def _rollback(self):
        self.applied_tenant_state = None
        return super()._rollback()

    def _savepoint_rollback(self, sid):
        # A rolled-back savepoint also rolls back set_config calls made inside it.
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self.applied_tenant_state = None
