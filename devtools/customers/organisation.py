"""The organisation of a generated bank: branch tree, staff with roles, product catalog.

A few thousand rows at most, so written with ``bulk_create`` (one statement per table);
branch ids are taken from the sequence first so that each branch's materialized path is
known before it is inserted. Every staff member gets the same password hash: hashing two
thousand passwords with Argon2 would take minutes and prove nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from crm.tenancy.models import Branch, Staff, StaffRole, Tenant
from crm.tenancy.roles import Role
from customers.models import Product
from devtools.bulkload import reserve_ids
from devtools.customers.population import Home, ProductRef, person_name, words

CITIES = words(
    "北京 上海 广州 深圳 天津 重庆 杭州 南京 苏州 成都 武汉 西安 长沙 郑州 济南 青岛 宁波 "
    "厦门 福州 合肥 沈阳 大连 哈尔滨 长春 石家庄 太原 南昌 昆明 贵阳 南宁 海口 兰州 银川 西宁 "
    "乌鲁木齐 呼和浩特 无锡 佛山 东莞 温州"
)
SUB_BRANCH_NAMES = words(
    "城东 城西 城南 城北 高新 开发区 中山路 人民路 解放路 新城 滨江 南湖 火车站 大学城 科技园 "
    "金融街 世纪大道 和平 建设路 长江路"
)

# (code, name, category, segment). The first deposit product of a segment is its current
# account, which every customer of that segment holds.
PRODUCTS = (
    ("D01", "活期储蓄", Product.Category.DEPOSIT, "individual"),
    ("D11", "单位活期存款", Product.Category.DEPOSIT, "corporate"),
    ("D02", "整存整取定期（一年）", Product.Category.DEPOSIT, "individual"),
    ("D03", "整存整取定期（三年）", Product.Category.DEPOSIT, "individual"),
    ("D04", "大额存单", Product.Category.DEPOSIT, "individual"),
    ("D05", "七天通知存款", Product.Category.DEPOSIT, "both"),
    ("D12", "单位定期存款", Product.Category.DEPOSIT, "corporate"),
    ("L01", "个人住房贷款", Product.Category.LOAN, "individual"),
    ("L02", "个人消费贷款", Product.Category.LOAN, "individual"),
    ("L03", "个人经营贷款", Product.Category.LOAN, "individual"),
    ("L11", "流动资金贷款", Product.Category.LOAN, "corporate"),
    ("L12", "固定资产贷款", Product.Category.LOAN, "corporate"),
    ("W01", "稳健理财30天持有期", Product.Category.WEALTH, "individual"),
    ("W02", "固收+理财一年持有期", Product.Category.WEALTH, "individual"),
    ("W03", "现金管理类理财", Product.Category.WEALTH, "both"),
    ("F01", "货币市场基金", Product.Category.FUND, "individual"),
    ("F02", "债券型基金", Product.Category.FUND, "individual"),
    ("F03", "混合型基金", Product.Category.FUND, "individual"),
    ("F04", "沪深300指数基金", Product.Category.FUND, "individual"),
    ("I01", "年金保险", Product.Category.INSURANCE, "individual"),
    ("I02", "重大疾病保险", Product.Category.INSURANCE, "individual"),
    ("I03", "终身寿险", Product.Category.INSURANCE, "individual"),
    ("C01", "标准信用卡", Product.Category.CARD, "individual"),
    ("C02", "白金信用卡", Product.Category.CARD, "individual"),
    ("E01", "手机银行", Product.Category.E_BANKING, "individual"),
    ("E02", "个人网上银行", Product.Category.E_BANKING, "individual"),
    ("E11", "企业网上银行", Product.Category.E_BANKING, "corporate"),
)

HEAD_OFFICE_STAFF = (
    ("admin", Role.TENANT_ADMIN),
    ("auditor", Role.AUDITOR),
    ("marketing", Role.MARKETING_MANAGER),
    ("risk", Role.RISK_OFFICER),
    ("complaints", Role.COMPLAINT_HANDLER),
)
BRANCH_RMS = 2  # corporate relationship managers at each branch (分行)


@dataclass
class Organisation:
    """What the customers of the bank are spread over."""

    head_office: Branch
    branches: list[Branch] = field(default_factory=list)
    sub_branches: list[Branch] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    roles: dict[int, Role] = field(default_factory=dict)  # staff id -> the role they hold
    individual_homes: list[Home] = field(default_factory=list)
    corporate_homes: list[Home] = field(default_factory=list)
    products: list[ProductRef] = field(default_factory=list)


def create_organisation(
    *,
    tenant: Tenant,
    rng: random.Random,
    branches: int,
    sub_branches: int,
    managers_per_sub_branch: int,
    password: str,
) -> Organisation:
    """Create the head office, branches, sub-branches, their staff and the products."""
    code = tenant.code.upper()
    cities = [
        CITIES[i % len(CITIES)] + ("" if i < len(CITIES) else str(i // len(CITIES) + 1))
        for i in range(branches)
    ]
    ids = iter(reserve_ids(Branch, 1 + branches + branches * sub_branches))
    head_id = next(ids)
    rows = [
        Branch(
            id=head_id,
            tenant=tenant,
            code=f"{code}-HO",
            name=f"{tenant.short_name}总行",
            kind=Branch.Kind.HEAD_OFFICE,
            address="北京市西城区金融大街8号",
            path=f"/{head_id}/",
            depth=0,
        )
    ]
    city_of: dict[int, str] = {}
    for number, city in enumerate(cities, start=1):
        branch_id = next(ids)
        rows.append(
            Branch(
                id=branch_id,
                tenant=tenant,
                parent_id=head_id,
                code=f"{code}-B{number:02d}",
                name=f"{city}分行",
                kind=Branch.Kind.BRANCH,
                address=f"{city}市金融大道{number}号",
                path=f"/{head_id}/{branch_id}/",
                depth=1,
            )
        )
        city_of[branch_id] = city
        for sub in range(1, sub_branches + 1):
            sub_id = next(ids)
            label = SUB_BRANCH_NAMES[(sub - 1) % len(SUB_BRANCH_NAMES)]
            if sub > len(SUB_BRANCH_NAMES):
                label += str((sub - 1) // len(SUB_BRANCH_NAMES) + 1)
            rows.append(
                Branch(
                    id=sub_id,
                    tenant=tenant,
                    parent_id=branch_id,
                    code=f"{code}-B{number:02d}-S{sub:02d}",
                    name=f"{city}{label}支行",
                    kind=Branch.Kind.SUB_BRANCH,
                    address=f"{city}市{label}{rng.randrange(1, 300)}号",
                    path=f"/{head_id}/{branch_id}/{sub_id}/",
                    depth=2,
                )
            )
            city_of[sub_id] = city
    Branch.objects.bulk_create(rows)
    organisation = Organisation(head_office=rows[0])
    organisation.branches = [row for row in rows if row.kind == Branch.Kind.BRANCH]
    organisation.sub_branches = [row for row in rows if row.kind == Branch.Kind.SUB_BRANCH]

    _create_staff(tenant, rng, organisation, managers_per_sub_branch, password)
    managers_at: dict[int, list[int]] = {}
    for member in organisation.staff:
        if organisation.roles[member.pk] == Role.RELATIONSHIP_MANAGER:
            managers_at.setdefault(member.branch_id, []).append(member.pk)
    # Some sub-branches are busier than others (log-normal sizes, as in any network).
    for branch in organisation.sub_branches:
        organisation.individual_homes.append(
            Home(
                branch_id=branch.pk,
                city=city_of[branch.pk],
                weight=rng.lognormvariate(0, 0.5),
                manager_ids=tuple(managers_at.get(branch.pk, ())),
            )
        )
    # Companies bank with a sub-branch or, the bigger ones, with the branch itself.
    for branch in [*organisation.branches, *organisation.sub_branches]:
        at_branch = branch.kind == Branch.Kind.BRANCH
        organisation.corporate_homes.append(
            Home(
                branch_id=branch.pk,
                city=city_of[branch.pk],
                weight=(sub_branches * 0.4 if at_branch else 1.0) * rng.lognormvariate(0, 0.5),
                manager_ids=tuple(managers_at.get(branch.pk, ())),
            )
        )
    if not organisation.sub_branches:
        organisation.individual_homes = list(organisation.corporate_homes)

    products = Product.objects.bulk_create(
        Product(tenant=tenant, code=code, name=name, category=category)
        for code, name, category, _segment in PRODUCTS
    )
    organisation.products = [
        ProductRef(id=product.pk, category=product.category, segment=segment)
        for product, (_code, _name, _category, segment) in zip(products, PRODUCTS, strict=True)
    ]
    return organisation


def _create_staff(
    tenant: Tenant,
    rng: random.Random,
    organisation: Organisation,
    managers_per_sub_branch: int,
    password: str,
) -> None:
    prefix = tenant.code
    password_hash = make_password(password)
    people: list[tuple[str, Branch, Role]] = [
        (f"{prefix}_{name}", organisation.head_office, role) for name, role in HEAD_OFFICE_STAFF
    ]
    for number, branch in enumerate(organisation.branches, start=1):
        people.append((f"{prefix}_b{number:02d}_manager", branch, Role.BRANCH_MANAGER))
        people += [
            (f"{prefix}_b{number:02d}_rm{rm}", branch, Role.RELATIONSHIP_MANAGER)
            for rm in range(1, BRANCH_RMS + 1)
        ]
        subs = [sub for sub in organisation.sub_branches if sub.parent_id == branch.pk]
        for sub_number, sub in enumerate(subs, start=1):
            where = f"{prefix}_b{number:02d}s{sub_number:02d}"
            people.append((f"{where}_manager", sub, Role.BRANCH_MANAGER))
            people.append((f"{where}_teller", sub, Role.TELLER))
            people += [
                (f"{where}_rm{rm}", sub, Role.RELATIONSHIP_MANAGER)
                for rm in range(1, managers_per_sub_branch + 1)
            ]
    staff = [
        Staff(
            tenant=tenant,
            branch=branch,
            username=username,
            name=person_name(rng, "male" if rng.random() < 0.5 else "female"),
            employee_number=f"{tenant.code.upper()}{number:05d}",
            password=password_hash,
        )
        for number, (username, branch, _role) in enumerate(people, start=1)
    ]
    Staff.objects.bulk_create(staff, batch_size=1000)
    groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    StaffRole.objects.bulk_create(
        (
            StaffRole(tenant=tenant, staff=member, group=groups[role])
            for member, (_username, _branch, role) in zip(staff, people, strict=True)
        ),
        batch_size=2000,
    )
    organisation.staff = staff
    organisation.roles = {
        member.pk: role for member, (_username, _branch, role) in zip(staff, people, strict=True)
    }
