"""Staff roles. Each is a Django group of the same name, created by a migration."""

from django.apps.registry import Apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RELATIONSHIP_MANAGER = "relationship_manager", _("Relationship manager")
    TELLER = "teller", _("Teller")
    BRANCH_MANAGER = "branch_manager", _("Branch manager")
    MARKETING_MANAGER = "marketing_manager", _("Marketing manager")
    RISK_OFFICER = "risk_officer", _("Risk officer")
    COMPLAINT_HANDLER = "complaint_handler", _("Complaint handler")
    AUDITOR = "auditor", _("Auditor")
    TENANT_ADMIN = "tenant_admin", _("Tenant administrator")


# Roles that may open Django admin for their tenant (auditors read only).
ADMIN_SITE_ROLES = frozenset({Role.TENANT_ADMIN, Role.AUDITOR})


def grant_role_permissions(apps: Apps, role_permissions: dict[str, list[str]]) -> None:
    """Give each role's group the listed ``app_label.codename`` permissions.

    For data migrations: permissions are normally created after migrations (post_migrate),
    so create the missing ones of the apps involved first.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    app_labels = {perm.split(".")[0] for perms in role_permissions.values() for perm in perms}
    for app_label in app_labels:
        create_permissions(global_apps.get_app_config(app_label), apps=apps, verbosity=0)
    for role, perms in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke_role_permissions(apps: Apps, role_permissions: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
