"""The PostgreSQL backend of the project.

It adds one thing to Django's backend: before the first statement of each transaction
(and again whenever the current scope changes inside one), it runs

    SELECT set_config('app.claim', <signed claim of the tenant, of the platform, or ''>, true)

so that row-level security sees the tenant of the request or task (see ``crm.db.claims``).
The claim is a bind parameter, so it never appears in statement text that other sessions
can read in ``pg_stat_activity``. It is local to the transaction, never to the session, so a
pooled connection cannot carry one tenant's claim into another's transaction. Statements
outside any transaction (autocommit) that run while a scope is set are wrapped in one for
the same reason.

The connection itself logs in as the runtime role (see ``crm.db.roles``); it never switches
roles. In owner mode (``crm.db.owner``) it logs in as the owner of the tables instead, and
the claims still follow the scope so that owner work sees what the code asks for.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.backends.postgresql import base

from crm.db.claims import platform_claim, tenant_claim
from crm.db.roles import derived_password
from crm.tenancy.context import current_scope

APPLY_SQL = "SELECT set_config('app.claim', %s, true)"
NO_SCOPE = ("", None)


def desired_scope() -> tuple[str, int | None]:
    """The current scope as a comparable key: ("platform", None), ("tenant", id) or none."""
    scope = current_scope()
    if scope.platform_wide:
        return "platform", None
    if scope.tenant_id is not None:
        return "tenant", scope.tenant_id
    return NO_SCOPE


def _claim_for(state: tuple[str, int | None]) -> str:
    kind, tenant_id = state
    if kind == "platform":
        return platform_claim()
    if kind == "tenant":
        assert tenant_id is not None  # desired_scope() pairs "tenant" with an id
        return tenant_claim(tenant_id)
    return ""


def _apply(connection: "DatabaseWrapper", state: tuple[str, int | None]) -> None:
    # A cursor of its own: the statement's cursor may be a named (server-side) one.
    with connection.connection.cursor() as cursor:
        cursor.execute(APPLY_SQL, [_claim_for(state)])
    connection.applied_scope = state


def _is_transaction_control(sql: object) -> bool:
    # Savepoint statements must run as they are, e.g. in a transaction aborted by an error.
    return isinstance(sql, str) and sql.lstrip()[:9].upper() in {
        "SAVEPOINT",
        "ROLLBACK ",
        "RELEASE S",
    }


def carry_scope_into_transaction(
    execute: Callable[[str, Any, bool, dict[str, Any]], Any],
    sql: str,
    params: Any,
    many: bool,
    context: dict[str, Any],
) -> Any:
    """Execute wrapper: make the transaction's claim match the current scope first."""
    connection = context["connection"]
    state = desired_scope()
    if connection.get_autocommit():
        if state == NO_SCOPE:
            # Nothing to claim: the statement sees no tenant's rows, as it should.
            return execute(sql, params, many, context)
        with transaction.atomic(using=connection.alias):
            _apply(connection, state)
            return execute(sql, params, many, context)
    if connection.applied_scope != state and not _is_transaction_control(sql):
        _apply(connection, state)
    return execute(sql, params, many, context)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied_scope: tuple[str, int | None] | None = None
        self.execute_wrappers.append(carry_scope_into_transaction)

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if self.settings_dict.get("DERIVED_PASSWORD"):
            # The runtime role created by migrate (crm.db.roles), when no DBA provides one.
            params["password"] = derived_password(settings.SECRET_KEY)
        # No JIT compilation: it is for long analytical queries, and PostgreSQL's thresholds
        # let it spend a second compiling a set-based count that runs in one (the contact
        # policy over a million customers). As a start-up option it costs no round trip;
        # behind a pooler that drops start-up options, set it on the roles (ALTER ROLE ...
        # SET jit = off) instead.
        options = params.get("options", "")
        if "jit" not in options:
            params["options"] = f"{options} -c jit=off".strip()
        return params

    def connect(self) -> None:
        self.applied_scope = None
        super().connect()

    # _commit, _rollback and _savepoint_rollback are private to Django's backend, so
    # django-stubs does not declare them: hence the ignores on the calls to super().

    def _commit(self) -> None:
        self.applied_scope = None
        super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        self.applied_scope = None
        super()._rollback()  # type: ignore[misc]

    def _savepoint_rollback(self, sid: str) -> None:
        # A rolled-back savepoint also rolls back set_config calls made inside it.
        try:
            super()._savepoint_rollback(sid)  # type: ignore[misc]
        finally:
            self.applied_scope = None
