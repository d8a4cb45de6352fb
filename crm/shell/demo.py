"""Demo data: two banks with their org trees, one staff member per role and a partner.

Idempotent: everything is looked up by its natural key first and only what is missing is
created, so a second run changes nothing (and writes nothing to the audit trail). Other
apps add their demo data with ``register_demo_loader``; loaders run in order, per bank.
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import TextIOBase

from django.db import transaction

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.roles import Role
from crm.tenancy.services import branch_create, staff_create, staff_set_roles

DEMO_PASSWORD = "crm-demo-2026"  # noqa: S105 (documented in the README, demo data only)
PLATFORM_ADMIN = "platform"


@dataclass(frozen=True)
class DemoBank:
    code: str
    name: str
    short_name: str
    prefix: str  # of usernames and branch codes
    # (code, name, kind, parent code or None, address)
    branches: tuple[tuple[str, str, str, str | None, str], ...]
    staff: tuple[tuple[str, str, Role, str], ...]  # (username suffix, name, role, branch code)
    partner_client_id: str
    partner_secret: str


DEMO_BANKS = (
    DemoBank(
        code="dongfang",
        name="东方商业银行股份有限公司",
        short_name="东方银行",
        prefix="df",
        branches=(
            ("HO", "东方银行总行", Branch.Kind.HEAD_OFFICE, None, "北京市西城区金融大街1号"),
            ("BJ", "北京分行", Branch.Kind.BRANCH, "HO", "北京市朝阳区建国路88号"),
            ("BJ-CY", "朝阳支行", Branch.Kind.SUB_BRANCH, "BJ", "北京市朝阳区朝阳北路101号"),
            ("BJ-HD", "海淀支行", Branch.Kind.SUB_BRANCH, "BJ", "北京市海淀区中关村大街27号"),
            ("SH", "上海分行", Branch.Kind.BRANCH, "HO", "上海市浦东新区陆家嘴环路1000号"),
            ("SH-PD", "浦东支行", Branch.Kind.SUB_BRANCH, "SH", "上海市浦东新区张杨路500号"),
            ("SH-XH", "徐汇支行", Branch.Kind.SUB_BRANCH, "SH", "上海市徐汇区漕溪北路88号"),
        ),
        staff=(
            ("rm", "王芳", Role.RELATIONSHIP_MANAGER, "BJ-CY"),
            ("rm2", "陈晨", Role.RELATIONSHIP_MANAGER, "BJ-HD"),
            ("teller", "李娜", Role.TELLER, "BJ-CY"),
            ("manager", "张伟", Role.BRANCH_MANAGER, "BJ"),
            ("marketing", "刘洋", Role.MARKETING_MANAGER, "HO"),
            ("risk", "陈静", Role.RISK_OFFICER, "HO"),
            ("complaints", "杨磊", Role.COMPLAINT_HANDLER, "HO"),
            ("auditor", "赵敏", Role.AUDITOR, "HO"),
            ("admin", "黄勇", Role.TENANT_ADMIN, "HO"),
        ),
        partner_client_id="dongfang-core-banking",
        partner_secret="dongfang-demo-secret-2026",  # noqa: S106
    ),
    DemoBank(
        code="xihu",
        name="西湖农村商业银行股份有限公司",
        short_name="西湖农商行",
        prefix="xh",
        branches=(
            ("HO", "西湖农商行总行", Branch.Kind.HEAD_OFFICE, None, "杭州市西湖区曙光路120号"),
            ("HZ", "杭州分行", Branch.Kind.BRANCH, "HO", "杭州市上城区解放东路58号"),
            ("HZ-XH", "西溪支行", Branch.Kind.SUB_BRANCH, "HZ", "杭州市西湖区文三路200号"),
            ("HZ-BJ", "滨江支行", Branch.Kind.SUB_BRANCH, "HZ", "杭州市滨江区江南大道3888号"),
            ("NB", "宁波分行", Branch.Kind.BRANCH, "HO", "宁波市鄞州区宁东路168号"),
            ("NB-YZ", "鄞州支行", Branch.Kind.SUB_BRANCH, "NB", "宁波市鄞州区天童南路588号"),
        ),
        staff=(
            ("rm", "周杰", Role.RELATIONSHIP_MANAGER, "HZ-XH"),
            ("rm2", "林峰", Role.RELATIONSHIP_MANAGER, "HZ-BJ"),
            ("teller", "吴婷", Role.TELLER, "HZ-XH"),
            ("manager", "徐强", Role.BRANCH_MANAGER, "HZ"),
            ("marketing", "孙丽", Role.MARKETING_MANAGER, "HO"),
            ("risk", "马超", Role.RISK_OFFICER, "HO"),
            ("complaints", "朱敏", Role.COMPLAINT_HANDLER, "HO"),
            ("auditor", "胡斌", Role.AUDITOR, "HO"),
            ("admin", "郭静", Role.TENANT_ADMIN, "HO"),
        ),
        partner_client_id="xihu-core-banking",
        partner_secret="xihu-demo-secret-2026",  # noqa: S106
    ),
)

DemoLoader = Callable[[Tenant, DemoBank], None]
_loaders: list[DemoLoader] = []


def register_demo_loader(loader: DemoLoader) -> DemoLoader:
    """Add a per-bank demo loader (called inside the bank's tenant context)."""
    if loader not in _loaders:
        _loaders.append(loader)
    return loader


def load_demo(stdout: TextIOBase | None = None) -> None:
    with platform_wide():
        _ensure_platform_admin()
        tenants = [_ensure_tenant(bank) for bank in DEMO_BANKS]
    for tenant, bank in zip(tenants, DEMO_BANKS, strict=True):
        with tenant_context(tenant), transaction.atomic():
            _ensure_branches(tenant, bank)
            _ensure_staff(tenant, bank)
            _ensure_partner(tenant, bank)
            for loader in _loaders:
                loader(tenant, bank)
        if stdout is not None:
            roles = "、".join(str(Role(code).label) for code in tenant.two_factor_roles)
            stdout.write(
                f"demo bank ready: {tenant.name} (two-factor sign-in, set up at the first "
                f"sign-in: platform administrators{', ' + roles if roles else ''})"
            )


def _ensure_platform_admin() -> None:
    if not Staff.objects.filter(username=PLATFORM_ADMIN).exists():
        Staff.objects.create_superuser(PLATFORM_ADMIN, password=DEMO_PASSWORD, name="平台管理员")


def _ensure_tenant(bank: DemoBank) -> Tenant:
    tenant = Tenant.objects.filter(code=bank.code).first()
    if tenant is None:
        tenant = Tenant.objects.create(code=bank.code, name=bank.name, short_name=bank.short_name)
    return tenant


def _ensure_branches(tenant: Tenant, bank: DemoBank) -> None:
    existing = {branch.code: branch for branch in Branch.objects.all()}
    for code, name, kind, parent_code, address in bank.branches:
        full_code = f"{bank.prefix.upper()}-{code}"
        if full_code in existing:
            continue
        parent = existing[f"{bank.prefix.upper()}-{parent_code}"] if parent_code else None
        existing[full_code] = branch_create(
            tenant=tenant, parent=parent, code=full_code, name=name, kind=kind, address=address
        )


def demo_branch(bank: DemoBank, code: str) -> Branch:
    return Branch.objects.get(code=f"{bank.prefix.upper()}-{code}")


def _ensure_staff(tenant: Tenant, bank: DemoBank) -> None:
    for suffix, name, role, branch_code in bank.staff:
        username = f"{bank.prefix}_{suffix}"
        staff = Staff.objects.filter(username=username).first()
        if staff is None:
            staff_create(
                tenant=tenant,
                branch=demo_branch(bank, branch_code),
                username=username,
                name=name,
                password=DEMO_PASSWORD,
                roles=[role],
                employee_number=f"{bank.prefix.upper()}-{suffix.upper()}",
            )
        elif role not in staff.role_codes:
            staff_set_roles(staff=staff, roles=[*staff.role_codes, role])


def _ensure_partner(tenant: Tenant, bank: DemoBank) -> None:
    from crm.api.scopes import SCOPES

    application = PartnerApplication.objects.filter(client_id=bank.partner_client_id).first()
    all_scopes = " ".join(sorted(SCOPES))
    if application is not None and application.scope != all_scopes:
        # Scopes added by a newer version of the product reach the demo partner too.
        application.scope = all_scopes
        application.save(update_fields=["scope", "updated"])
    if application is None:
        PartnerApplication.objects.create(
            tenant=tenant,
            name=f"{bank.short_name}核心系统",
            client_id=bank.partner_client_id,
            client_secret=bank.partner_secret,
            client_type=PartnerApplication.CLIENT_CONFIDENTIAL,
            authorization_grant_type=PartnerApplication.GRANT_CLIENT_CREDENTIALS,
            scope=all_scopes,
        )
