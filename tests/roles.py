"""Put back what data migrations created, after a transactional test flushed the database."""

import importlib
import pkgutil

from django.apps import apps
from django.contrib.auth.models import Group

from crm.db.owner import database_owner
from crm.tenancy.roles import Role, grant_role_permissions


def restore_roles() -> None:
    if Group.objects.filter(name__in=Role.values).count() == len(Role.values):
        return
    # Roles are shared by every bank: only the owner (as migrate) may write them.
    with database_owner():
        _restore_roles()


def _restore_roles() -> None:
    for app_config in apps.get_app_configs():
        try:
            package = importlib.import_module(f"{app_config.name}.migrations")
        except ImportError:
            continue
        if not hasattr(package, "__path__"):
            continue
        for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            module = importlib.import_module(f"{package.__name__}.{module_info.name}")
            role_permissions = getattr(module, "ROLE_PERMISSIONS", None)
            if role_permissions:
                grant_role_permissions(apps, role_permissions)
