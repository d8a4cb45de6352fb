"""Actions on the organisation: every view, admin action, command and task calls these."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.tenancy.models import Branch, Staff, StaffRole, Tenant
from crm.tenancy.roles import Role


@transaction.atomic
def branch_create(
    *, tenant: Tenant, parent: Branch | None, code: str, name: str, kind: str, address: str = ""
) -> Branch:
    branch = Branch(tenant=tenant, parent=parent, code=code, name=name, kind=kind, address=address)
    branch.full_clean()
    branch.save()
    return branch


@transaction.atomic
def branch_move(*, branch: Branch, new_parent: Branch) -> Branch:
    """Move a branch and its whole subtree under ``new_parent``."""
    branch.parent = new_parent
    branch.full_clean()
    branch.save()
    return branch


@transaction.atomic
def staff_set_roles(*, staff: Staff, roles: Iterable[str]) -> None:
    """Make ``roles`` exactly the roles ``staff`` holds (each change is audited)."""
    wanted: set[str] = {Role(role) for role in roles}
    groups = {group.name: group for group in Group.objects.filter(name__in=wanted)}
    missing = wanted - groups.keys()
    if missing:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": ", ".join(sorted(missing))})
    # A platform administrator's tenant_id is None: no grant matches it, and none can be made.
    StaffRole.objects.filter(tenant_id=staff.tenant_id, staff=staff).exclude(  # type: ignore[misc]
        group__name__in=wanted
    ).delete()
    held = set(
        StaffRole.objects.filter(tenant_id=staff.tenant_id, staff=staff).values_list(  # type: ignore[misc]
            "group__name", flat=True
        )
    )
    StaffRole.objects.bulk_create(
        StaffRole(tenant_id=staff.tenant_id, staff=staff, group=groups[role])  # type: ignore[misc]
        for role in sorted(wanted - held)
    )
    staff.__dict__.pop("role_codes", None)


@transaction.atomic
def staff_create(
    *,
    tenant: Tenant,
    branch: Branch,
    username: str,
    name: str,
    password: str | None,
    roles: Iterable[str] = (),
    employee_number: str = "",
    email: str = "",
) -> Staff:
    staff = Staff(
        tenant=tenant,
        branch=branch,
        username=username,
        name=name,
        employee_number=employee_number,
        email=email,
    )
    if password:
        staff.set_password(password)
    else:
        staff.set_unusable_password()
    staff.full_clean(exclude=["password"])
    staff.save()
    staff_set_roles(staff=staff, roles=roles)
    return staff


@transaction.atomic
def staff_deactivate(*, staff: Staff) -> None:
    """Stop a staff member from logging in; their history and records stay."""
    staff.is_active = False
    staff.save(update_fields=["is_active"])


@transaction.atomic
def staff_move(*, staff: Staff, branch: Branch) -> None:
    if branch.tenant_id != staff.tenant_id:
        raise ValidationError({"branch": _("The branch must belong to the same bank.")})
    staff.branch = branch
    staff.save(update_fields=["branch"])
