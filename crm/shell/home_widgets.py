"""The shell's own widgets: the person's branch, colleagues, administration, audit trail."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from crm.audit.selectors import recent_audit_entries
from crm.http import StaffRequest
from crm.shell import selectors
from crm.shell.widgets import Widget, register_widget
from crm.tenancy.roles import Role


def my_branch(request: StaffRequest) -> dict[str, Any]:
    staff = request.user
    # Staff of a bank have both (a database constraint): the home page shows no widget to
    # platform administrators, who have neither.
    assert staff.branch is not None
    return {
        "branch": staff.branch,
        "branch_ancestors": staff.branch.ancestors(),
        "branches": selectors.branches_in_scope(staff),
    }


def colleagues(request: StaffRequest) -> dict[str, Any]:
    return {
        "colleagues": selectors.colleagues_in_scope(request.user),
        "role_labels": Role.choices,
    }


def administration(request: StaffRequest) -> dict[str, Any]:
    return {"admin_overview": selectors.tenant_admin_overview(request.user)}


def audit_trail(request: StaffRequest) -> dict[str, Any]:
    assert request.user.tenant is not None
    return {"audit_entries": recent_audit_entries(tenant=request.user.tenant, limit=8)}


def register() -> None:
    register_widget(
        Widget(
            key="my_branch",
            title=_("My branch"),
            template="shell/widgets/my_branch.html",
            context=my_branch,
            order=10,
            width="col-lg-4",
        )
    )
    register_widget(
        Widget(
            key="colleagues",
            title=_("Colleagues in my scope"),
            template="shell/widgets/colleagues.html",
            context=colleagues,
            order=20,
            width="col-lg-8",
        )
    )
    register_widget(
        Widget(
            key="administration",
            title=_("Administration"),
            template="shell/widgets/administration.html",
            context=administration,
            order=800,
            roles=frozenset({Role.TENANT_ADMIN}),
        )
    )
    register_widget(
        Widget(
            key="audit_trail",
            title=_("Latest in the audit trail"),
            template="shell/widgets/audit_trail.html",
            context=audit_trail,
            order=900,
            permission="audit.view_audit_trail",
        )
    )
