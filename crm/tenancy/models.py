"""Banks (tenants), their organisation tree, their staff and their partner systems."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar, NoReturn, cast

import pghistory
import pgtrigger
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group, PermissionsMixin, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.expressions import Combinable
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication, ApplicationManager

from crm.addresses import address_within, parse_networks, validate_networks
from crm.tenancy.context import current_tenant
from crm.tenancy.managers import CurrentTenantCondition, ScopedManager, ScopedQuerySet
from crm.tenancy.roles import ADMIN_SITE_ROLES, Role
from crm.tenancy.scoping import StaffScope
from crm.tenancy.time_zones import time_zone_choices


def every_change() -> tuple[pghistory.InsertEvent, pghistory.UpdateEvent, pghistory.DeleteEvent]:
    """Fresh trackers for inserts, updates and deletes (pghistory binds them to one model)."""
    return pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()


class TenantQuerySet(models.QuerySet["Tenant"]):
    def active(self) -> TenantQuerySet:
        return self.filter(is_active=True)


_TenantManagerBase = models.Manager.from_queryset(TenantQuerySet)


class TenantManager(_TenantManagerBase["Tenant"]):
    """A tenant sees only itself; platform-wide code sees every tenant."""

    def get_queryset(self) -> TenantQuerySet:
        queryset = super().get_queryset().filter(CurrentTenantCondition("id", "Tenant"))
        # from_queryset()'s manager returns a TenantQuerySet; django-stubs says QuerySet.
        return cast(TenantQuerySet, queryset)


# Events that a person (a staff member) or a partner system made: the audit trail's default
# view. Jobs' rows (no username, no partner: month-end balances, tier updates) are left out.
BY_PEOPLE = models.Q(pgh_context__has_key="username") | models.Q(
    pgh_context__has_key="partner_name"
)


def event_indexes(name: str, column: str = "tenant") -> dict[str, list[models.Index]]:
    """Meta for an event model: its tenant's trail is read newest first, page by page.

    The trail's cursor is (time, id): the events of one transaction share their time (a
    1,440-row import), so the id orders them. A JSON operator is not leakproof and so no
    index condition under row-level security, but a partial index whose predicate the query
    repeats word for word is still chosen: the trail's default view (people's changes) skips
    a month-end job's million rows through it instead of reading past them.
    """
    keyset = [column, "-pgh_created_at", "-pgh_id"]
    people = name.removesuffix("_trail").removesuffix("_event") + "_people"
    return {
        "indexes": [
            models.Index(fields=keyset, name=name),
            models.Index(fields=keyset, name=people, condition=BY_PEOPLE),
        ]
    }


def default_two_factor_roles() -> list[str]:
    """Roles that must use two-factor sign-in in a new bank: those who hold its keys."""
    return [Role.TENANT_ADMIN.value, Role.AUDITOR.value]


@pghistory.track(*every_change(), meta=event_indexes("tenant_event_trail", "pgh_obj"))
class Tenant(models.Model):
    """A bank: a legal entity (法人机构) whose data no other tenant may see."""

    class RmScope(models.TextChoices):
        BRANCH = "branch", _("Their branch and its sub-branches")
        OWN_BOOK = "own_book", _("Only their own book of customers")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", choices=time_zone_choices
    )
    rm_scope = models.CharField(
        _("relationship managers see"),
        max_length=16,
        choices=RmScope.choices,
        default=RmScope.BRANCH,
    )
    two_factor_roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        verbose_name=_("roles that must use two-factor sign-in"),
        default=default_two_factor_roles,
        blank=True,
        help_text=_(
            "Staff holding any of these roles sign in with a code from an authenticator app "
            "after their password. Platform administrators always do."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TenantManager()

    staff_total: int  # set on the platform administrators' overview (selectors)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    """Base of every tenant-owned model: carries the tenant, queried through ScopedManager.

    Subclasses also need ``EnableRowLevelSecurity`` in their migration; a test fails for any
    model with a tenant column that has no policy.
    """

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )

    objects = ScopedManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.tenant_id is None:
            self.tenant = current_tenant()
        super().save(*args, **kwargs)


class BranchQuerySet(ScopedQuerySet["Branch"]):
    scope_branch_field = "id"

    def active(self) -> BranchQuerySet:
        return self.filter(is_active=True)

    def subtree(self, branch: Branch) -> BranchQuerySet:
        """Return ``branch`` and everything under it (an index range scan on the path)."""
        return self.filter(tenant_id=branch.tenant_id, path__prefix=branch.path)

    def tree_order(self) -> BranchQuerySet:
        return self.order_by("path")


_BranchManagerBase = ScopedManager.from_queryset(BranchQuerySet)


class BranchManager(_BranchManagerBase["Branch"]):
    pass


@pghistory.track(
    pghistory.InsertEvent(),
    # The path follows the parent; a move is recorded once, on the branch that moved.
    pghistory.UpdateEvent(condition=pgtrigger.AnyChange(exclude=["path", "depth"])),
    pghistory.DeleteEvent(),
    meta=event_indexes("branch_event_trail"),
)
class Branch(TenantOwned):
    """An org unit: the head office (总行), a branch (分行) or a sub-branch/outlet (支行/网点).

    The tree is a materialized path of ids ("/1/5/12/") in ``COLLATE "C"`` so that a subtree
    is a prefix, served by the ``(tenant_id, path)`` index through the leakproof ``^@``.
    """

    class Kind(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    path = models.CharField(max_length=255, db_collation="C", editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    objects: ClassVar[BranchManager] = BranchManager()

    relative_depth: int  # set by branches_in_scope() for the home page's indentation

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="branch_code_unique"),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(parent__isnull=True),
                name="branch_one_root_per_tenant",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "path"], name="branch_tenant_path")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            if self.tenant_id is None:
                self.tenant = current_tenant()
            creating = self.pk is None
            if creating:
                self.path = ""  # the path is made of ids: known only after the insert
                super().save(*args, **kwargs)
            old_path = self.path
            self.path = (self.parent.path if self.parent is not None else "/") + f"{self.pk}/"
            self.depth = self.path.count("/") - 2
            if creating:
                super().save(update_fields=["path", "depth"])
            else:
                super().save(*args, **kwargs)
                if old_path and old_path != self.path:
                    self._move_descendants(old_path, self.path)

    def clean(self) -> None:
        if self.parent is not None:
            if self.parent.tenant_id != self.tenant_id:
                raise ValidationError({"parent": _("The parent must belong to the same bank.")})
            if self.pk and self.parent.path.startswith(self.path or "\0"):
                raise ValidationError(
                    {"parent": _("A branch cannot be moved under itself or its sub-branches.")}
                )
            if self.kind == self.Kind.HEAD_OFFICE:
                raise ValidationError({"kind": _("Only the root of the tree is the head office.")})
        elif self.kind != self.Kind.HEAD_OFFICE:
            raise ValidationError(
                {"parent": _("Every branch except the head office has a parent.")}
            )

    @property
    def is_head_office(self) -> bool:
        return self.parent_id is None

    def _move_descendants(self, old_path: str, new_path: str) -> None:
        depth_change = new_path.count("/") - old_path.count("/")
        Branch.objects.filter(tenant_id=self.tenant_id, path__prefix=old_path).exclude(
            pk=self.pk
        ).update(
            path=Concat(
                models.Value(new_path),
                Substr("path", len(old_path) + 1),
                output_field=models.CharField(),
            ),
            depth=models.F("depth") + depth_change,
        )

    def ancestors(self) -> list[Branch]:
        """Return the branches from the head office down to this one's parent."""
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        by_id = Branch.objects.filter(tenant_id=self.tenant_id).in_bulk(ids)
        return [by_id[pk] for pk in ids if pk in by_id]

    def subtree_ids(self) -> list[int]:
        return list(Branch.objects.subtree(self).values_list("id", flat=True))


class StaffQuerySet(ScopedQuerySet["Staff"]):
    scope_branch_field = "branch_id"

    def active(self) -> StaffQuerySet:
        return self.filter(is_active=True)

    def with_role(self, role: Role) -> StaffQuerySet:
        return self.filter(groups__name=role)


_StaffManagerBase = ScopedManager.from_queryset(StaffQuerySet)


class StaffManager(_StaffManagerBase["Staff"], UserManager["Staff"]):
    def create_user(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> Staff:
        extra_fields["is_superuser"] = False
        return self._create(username, email, password, extra_fields)

    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> Staff:
        """Create a platform administrator: a superuser of no tenant."""
        extra_fields.setdefault("name", username)
        extra_fields.update(tenant=None, branch=None, is_superuser=True)
        return self._create(username, email, password, extra_fields)

    def _create(
        self, username: str, email: str | None, password: str | None, extra_fields: dict[str, Any]
    ) -> Staff:
        # UserManager._create_user is private to Django, so django-stubs does not declare it.
        staff: Staff = self._create_user(  # type: ignore[attr-defined]
            username, email, password, **extra_fields
        )
        return staff


@pghistory.track(
    *every_change(),
    # A password change is recorded as an event of its own, without the hash.
    pghistory.UpdateEvent("password_change", condition=pgtrigger.AnyChange("password")),
    exclude=["password", "last_login"],
    meta=event_indexes("staff_event_trail"),
)
# PartnerApplication's user field comes from untyped oauth2_provider: no reverse manager.
class Staff(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """A person who logs in: staff of one bank, or a platform administrator (no tenant)."""

    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only."),
        error_messages={"unique": _("This username cannot be used.")},
    )
    name = models.CharField(_("full name"), max_length=100)
    employee_number = models.CharField(_("employee number"), max_length=32, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenant"),
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("branch"),
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Deactivate instead of deleting: a deactivated account cannot log in."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Roles are held through StaffRole, which PermissionsMixin's declaration does not know.
    groups: models.ManyToManyField[Group, StaffRole] = models.ManyToManyField(  # type: ignore[assignment]
        Group,
        through="StaffRole",
        blank=True,
        related_name="staff_members",
        verbose_name=_("roles"),
    )
    user_permissions = None  # type: ignore[assignment]  # permissions come from roles only

    objects = StaffManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["branch__path", "name"]
        permissions = [
            ("reset_two_factor", _("Can reset a staff member's two-factor sign-in")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(tenant__isnull=True, branch__isnull=True, is_superuser=True)
                    | models.Q(tenant__isnull=False, branch__isnull=False, is_superuser=False)
                ),
                name="staff_tenant_or_platform_admin",
            ),
            models.UniqueConstraint(
                fields=["tenant", "employee_number"],
                condition=~models.Q(employee_number=""),
                name="staff_employee_number_unique",
                violation_error_message=_("This employee number is already used in this bank."),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "branch"], name="staff_tenant_branch")]

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name

    @property
    def is_platform_admin(self) -> bool:
        return self.is_superuser and self.tenant_id is None

    @cached_property
    def role_codes(self) -> frozenset[str]:
        if self.pk is None:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True))

    @property
    def roles(self) -> list[Role]:
        return [Role(code) for code in Role.values if code in self.role_codes]

    def has_role(self, role: Role) -> bool:
        return role in self.role_codes

    @property
    def is_staff(self) -> bool:
        """Whether Django admin opens for this person (platform, tenant admins, auditors)."""
        return self.is_active and (
            self.is_platform_admin or bool(self.role_codes & ADMIN_SITE_ROLES)
        )

    @property
    def must_use_two_factor(self) -> bool:
        """Whether this person signs in with a second factor: always for platform
        administrators, otherwise when their bank requires it of one of their roles."""
        if self.is_platform_admin:
            return True
        if self.tenant is None or not self.tenant.two_factor_roles:
            return False  # without asking for the roles: no query on every request
        return bool(self.role_codes & set(self.tenant.two_factor_roles))

    @cached_property
    def scope(self) -> StaffScope:
        """What this person may see in their bank (the rule is ``StaffScope.of``)."""
        return StaffScope.of(self)

    def clean(self) -> None:
        super().clean()
        if (
            self.branch_id
            and self.tenant_id
            and self.branch is not None
            and self.branch.tenant_id != self.tenant_id
        ):
            raise ValidationError({"branch": _("The branch must belong to the same bank.")})


@pghistory.track(
    pghistory.InsertEvent("role_granted"),
    pghistory.DeleteEvent("role_revoked"),
    meta=event_indexes("staff_role_event_trail"),
)
class StaffRole(TenantOwned):
    """A role held by a staff member (the through table of ``Staff.groups``)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="role_grants")
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "staff", "group"], name="staff_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.staff} – {self.group.name}"


_PartnerApplicationManagerBase = ScopedManager.from_queryset(ScopedQuerySet)


# oauth2_provider ships no type information: its classes are Any to mypy.
class PartnerApplicationManager(
    _PartnerApplicationManagerBase["PartnerApplication"],
    ApplicationManager,  # type: ignore[misc]  # untyped oauth2_provider
):
    pass


@pghistory.track(
    *every_change(), exclude=["client_secret"], meta=event_indexes("partner_app_event_trail")
)
class PartnerApplication(AbstractApplication):  # type: ignore[misc]  # untyped oauth2_provider
    """A partner system of one bank (core banking, call center, mobile app, SMS gateway).

    It authenticates with OAuth2 client credentials; its tokens carry at most the scopes
    granted here and every call it makes is pinned to its tenant.
    """

    # The base class is untyped (oauth2_provider), so the plugin cannot type these fields.
    tenant: models.ForeignKey[Tenant | Combinable, Tenant] = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant")
    )
    tenant_id: int
    scope: models.CharField[str | Combinable, str] = models.CharField(
        _("allowed scopes"),
        max_length=500,
        blank=True,
        help_text=_("Space-separated API scopes this partner may request."),
    )
    is_active: models.BooleanField[bool | Combinable, bool] = models.BooleanField(
        _("active"), default=True
    )
    allowed_networks: models.TextField[str | Combinable, str] = models.TextField(
        _("allowed address ranges"),
        blank=True,
        validators=[validate_networks],
        help_text=_(
            "The address ranges this partner system connects from, one per line "
            "(e.g. 203.0.113.0/24). Tokens are issued, and API calls with them answered, "
            "only from there. Empty: any address."
        ),
    )

    objects = PartnerApplicationManager()

    class Meta(AbstractApplication.Meta):  # type: ignore[misc]  # untyped oauth2_provider
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        indexes = [models.Index(fields=["tenant", "name"], name="partner_app_tenant_name")]

    @property
    def allowed_scopes(self) -> list[str]:
        return self.scope.split()

    def admits(self, address: str | None) -> bool:
        """Whether this partner system may connect from ``address``."""
        if not self.allowed_networks.strip():
            return True
        try:
            networks = parse_networks(self.allowed_networks)
        except ValidationError:
            return False  # ranges written past the form's check: fail closed
        return address_within(address, networks)

    @property
    def get_absolute_url(self) -> NoReturn:
        """An application has no page of its own: oauth2_provider's management pages, which
        the base class links to, are not served. Without the method, the admin shows no
        "view on site" and its /admin/r/ redirect answers 404 instead of NoReverseMatch."""
        raise AttributeError("get_absolute_url")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.tenant_id is None:
            self.tenant = current_tenant()
        super().save(*args, **kwargs)
