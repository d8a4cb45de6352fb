"""Lookups that stay index-backed under row-level security.

PostgreSQL only uses an index for a condition under RLS when its operator is leakproof.
``LIKE`` (Django's ``__startswith``) is not; ``^@`` (starts_with) is. Index the column with
``COLLATE "C"`` so that btree can serve the prefix.
"""

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Lookup, TextField
from django.db.models.sql.compiler import SQLCompiler


class Prefix(Lookup[str]):
    lookup_name = "prefix"

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ^@ {rhs}", [*lhs_params, *rhs_params]


def register() -> None:
    """Make ``__prefix`` available on text columns (TenancyConfig.ready() calls this)."""
    CharField.register_lookup(Prefix)
    TextField.register_lookup(Prefix)
