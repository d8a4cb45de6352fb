"""Demo customers for the demo banks: holdings, two years of balances, relationships,
consents and relationship-manager history. Deterministic, and only what is missing is added."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.months import add_months, month_start, months_before
from crm.shell.demo import DemoBank, demo_branch
from crm.tenancy.models import Staff, Tenant
from customers.models import (
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    Holding,
    Product,
)
from customers.services import customer_create, customers_assign, recompute_aum

PRODUCTS = [
    ("DEP-CUR", "活期储蓄", Product.Category.DEPOSIT),
    ("DEP-FIX", "整存整取定期存款", Product.Category.DEPOSIT),
    ("LOAN-MTG", "个人住房贷款", Product.Category.LOAN),
    ("LOAN-BIZ", "小微企业经营贷", Product.Category.LOAN),
    ("WM-STABLE", "稳健理财周周盈", Product.Category.WEALTH),
    ("FUND-300", "沪深300指数基金", Product.Category.FUND),
    ("INS-LIFE", "终身寿险", Product.Category.INSURANCE),
    ("CARD-CREDIT", "白金信用卡", Product.Category.CARD),
    ("EB-MOBILE", "手机银行", Product.Category.E_BANKING),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "晓东",
    "海燕",
]
DISTRICTS = ["朝阳区", "海淀区", "西湖区", "滨江区"]
OCCUPATIONS = ["教师", "医生", "工程师", "个体经营者", "公务员", "企业职员", "退休", "律师", "会计"]
COMPANIES = ["科技有限公司", "贸易有限公司", "餐饮管理有限公司", "建材有限公司", "物流有限公司"]
INDUSTRIES = ["软件和信息技术服务业", "批发和零售业", "住宿和餐饮业", "建筑业", "交通运输业"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id(area: str, birth: date, sequence: int, female: bool) -> str:
    """A resident ID number with a valid GB 11643 check character."""
    sequence = sequence * 2 + (0 if female else 1)  # the 17th digit's parity is the sex
    body = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return body + CHECK_CHARS[total % 11]


def uscc(seed: int) -> str:
    """A unified social credit code with a valid GB 32100 check character."""
    body = f"91330100{seed:09d}"
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def load_customers(tenant: Tenant, bank: DemoBank) -> None:
    rng = random.Random(bank.code)
    products = {p.code: p for p in Product.objects.all()}
    for code, name, category in PRODUCTS:
        if code not in products:
            products[code] = Product.objects.create(
                tenant=tenant, code=code, name=name, category=category
            )
    rm = Staff.objects.get(username=f"{bank.prefix}_rm")
    manager = Staff.objects.get(username=f"{bank.prefix}_manager")
    colleague = Staff.objects.get(username=f"{bank.prefix}_rm2")
    branch_codes = [code for code, _n, kind, _p, _a in bank.branches if kind == "sub_branch"]
    # A manager's book is mostly at her own sub-branch: her customers are homed there, the
    # colleague's (moved to him by area below) at his, and a few of hers moved house to
    # another sub-branch and stayed with her. The pool is spread over every sub-branch.
    own_code = _works_at(bank, "rm")
    colleague_code = _works_at(bank, "rm2")
    elsewhere = [code for code in branch_codes if code not in (own_code, colleague_code)]
    elsewhere = elsewhere or [colleague_code]
    existing = set(Customer.objects.values_list("number", flat=True))
    created: list[Customer] = []
    for index in range(1, 61):
        number = f"{bank.prefix.upper()}{index:06d}"
        corporate = index % 10 == 0
        female = rng.random() < 0.5
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 52))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        fields = {
            "number": number,
            "kind": Customer.Kind.CORPORATE if corporate else Customer.Kind.INDIVIDUAL,
            "home_branch": demo_branch(
                bank, _home_code(index, own_code, colleague_code, elsewhere, branch_codes)
            ),
            # every fifth customer waits in the public pool
            "relationship_manager": None if index % 5 == 0 else rm,
            "risk_grade": rng.choice(["low", "low", "medium", "high"]),
            "status": Customer.Status.DORMANT if index % 17 == 0 else Customer.Status.ACTIVE,
        }
        if corporate:
            fields.update(
                name=f"{'杭州' if bank.prefix == 'xh' else '北京'}{name}{rng.choice(COMPANIES)}",
                industry=rng.choice(INDUSTRIES),
                company_size=rng.choice(["micro", "small", "medium"]),
                legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
                id_type=Customer.IdType.USCC,
                id_number=uscc(index * 7919 + len(bank.code)),
            )
        else:
            fields.update(
                name=name,
                gender=Customer.Gender.FEMALE if female else Customer.Gender.MALE,
                birth_date=birth,
                occupation=rng.choice(OCCUPATIONS),
                income_band=rng.choice([c for c, _l in Customer.IncomeBand.choices]),
                address=f"{rng.choice(DISTRICTS)}{rng.randint(1, 999)}号",
                id_type=Customer.IdType.RESIDENT_ID,
                id_number=resident_id(
                    "110105" if bank.prefix == "df" else "330106", birth, index, female
                ),
            )
        fields["phone"] = f"13{rng.randint(0, 9)}{index:04d}{rng.randint(1000, 9999)}"
        if number in existing:
            continue
        created.append(customer_create(actor=None, **fields))
    if not created:
        return
    _add_holdings_and_balances(tenant, rng, created, products)
    _add_relationships(tenant, created)
    _add_consents(tenant, rng, created)
    # History: the branch manager handed three customers over while their RM was on leave,
    # and back afterwards; a few others moved to the colleague for good.
    moved = [customer.pk for customer in created[1:4] if customer.relationship_manager_id]
    customers_assign(
        customer_ids=moved,
        relationship_manager=colleague,
        actor=manager,
        reason="客户经理休假期间临时接管",
    )
    customers_assign(
        customer_ids=moved,
        relationship_manager=rm,
        actor=manager,
        reason="休假结束，交回原客户经理",
    )
    customers_assign(
        customer_ids=[c.pk for c in created if c.relationship_manager_id and _by_area(c)],
        relationship_manager=colleague,
        actor=manager,
        reason="按居住区域调整管户",
    )


# Customers 41–52 with a manager were moved to the colleague by area (they live near his
# sub-branch); every twelfth other customer of the manager lives near another sub-branch.
COLLEAGUE_AREA = range(41, 53)


def _by_area(customer: Customer) -> bool:
    return int(customer.number[-6:]) in COLLEAGUE_AREA


def _home_code(index: int, own: str, colleague: str, elsewhere: list[str], every: list[str]) -> str:
    if index % 5 == 0:  # the pool
        return every[index % len(every)]
    if index in COLLEAGUE_AREA:
        return colleague
    if index % 12 == 1:
        return elsewhere[(index // 12) % len(elsewhere)]
    return own


def _works_at(bank: DemoBank, suffix: str) -> str:
    """The branch code of the demo staff member ``{prefix}_{suffix}``."""
    return next(branch for who, _name, _role, branch in bank.staff if who == suffix)


def _add_holdings_and_balances(tenant, rng, customers, products) -> None:
    holdings = []
    # The last 24 complete months.
    months = months_before(add_months(month_start(timezone.localdate()), -1), 24)
    snapshots = []
    for customer in customers:
        chosen = ["DEP-CUR", *rng.sample([c for c, _n, _k in PRODUCTS[1:]], rng.randint(1, 4))]
        balances = {"deposits": Decimal(0), "loans": Decimal(0), "wealth": Decimal(0)}
        for position, code in enumerate(chosen):
            product = products[code]
            if product.category == Product.Category.E_BANKING:
                balance = Decimal("0.00")
            else:
                balance = Decimal(rng.randrange(1_000_00, 3_000_000_00)) / 100
            holdings.append(
                Holding(
                    tenant=tenant,
                    customer=customer,
                    product=product,
                    account_number=f"62{customer.number}{position:02d}",
                    opened_on=date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3500)),
                    balance=balance,
                )
            )
            if product.category == Product.Category.DEPOSIT:
                balances["deposits"] += balance
            elif product.category in Product.LIABILITY_CATEGORIES:
                balances["loans"] += balance
            elif product.category in Product.ASSET_CATEGORIES:
                balances["wealth"] += balance
        # Balances drift towards today's over the two years.
        for age, month in enumerate(reversed(months)):
            factor = Decimal(1) - Decimal(age) / Decimal(60) + Decimal(rng.randint(-5, 5)) / 100
            deposits = (balances["deposits"] * factor).quantize(Decimal("0.01"))
            wealth = (balances["wealth"] * factor).quantize(Decimal("0.01"))
            snapshots.append(
                BalanceSnapshot(
                    tenant=tenant,
                    customer=customer,
                    month=month,
                    deposits=deposits,
                    loans=(balances["loans"] * (1 + Decimal(age) / 48)).quantize(Decimal("0.01")),
                    wealth=wealth,
                    aum=deposits + wealth,
                )
            )
    Holding.objects.bulk_create(holdings, ignore_conflicts=True)
    BalanceSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    recompute_aum(customer.pk for customer in customers)


def _add_relationships(tenant, customers) -> None:
    individuals = [c for c in customers if c.kind == Customer.Kind.INDIVIDUAL]
    companies = [c for c in customers if c.kind == Customer.Kind.CORPORATE]
    pairs = [
        (individuals[0], individuals[1], CustomerRelationship.Kind.SPOUSE),
        (individuals[2], individuals[0], CustomerRelationship.Kind.PARENT),
        (individuals[3], individuals[4], CustomerRelationship.Kind.HOUSEHOLD),
        (individuals[0], companies[0], CustomerRelationship.Kind.LEGAL_REPRESENTATIVE),
        (individuals[1], companies[0], CustomerRelationship.Kind.SHAREHOLDER),
        (individuals[5], individuals[0], CustomerRelationship.Kind.GUARANTOR),
        (companies[0], individuals[6], CustomerRelationship.Kind.EMPLOYER),
    ]
    CustomerRelationship.objects.bulk_create(
        [
            CustomerRelationship(tenant=tenant, from_customer=a, to_customer=b, kind=kind)
            for a, b, kind in pairs
        ],
        ignore_conflicts=True,
    )


# Where the demo's consents were given: every way a customer tells the bank.
CONSENT_SOURCES = [
    Consent.Source.COUNTER,
    Consent.Source.COUNTER,
    Consent.Source.PHONE,
    Consent.Source.MOBILE_APP,
    Consent.Source.ONLINE,
    Consent.Source.LETTER,
]


def _add_consents(tenant, rng, customers) -> None:
    """Marketing and offer consents from every source, some later withdrawn (a customer's
    SMS reply "回T退订", a call): the contact policy has real answers to read."""
    now = timezone.now()
    consents = []
    for customer in customers:
        for purpose, channel in (
            (Consent.Purpose.MARKETING, Consent.Channel.SMS),
            (Consent.Purpose.MARKETING, Consent.Channel.PHONE),
            (Consent.Purpose.PERSONALISED_OFFERS, Consent.Channel.ANY),
            (Consent.Purpose.DATA_SHARING, Consent.Channel.ANY),
        ):
            if purpose == Consent.Purpose.DATA_SHARING and rng.random() < 0.6:
                continue  # most customers were never asked
            consents.append(
                Consent(
                    tenant=tenant,
                    customer=customer,
                    purpose=purpose,
                    channel=channel,
                    granted=rng.random() < 0.7,
                    source=rng.choice(CONSENT_SOURCES),
                    recorded_at=now - timedelta(days=rng.randint(30, 700)),
                )
            )
    Consent.objects.bulk_create(consents, ignore_conflicts=True)
    # Withdrawn afterwards, so that the history shows both answers.
    granted = (
        Consent.objects.filter(customer__in=customers, granted=True)
        .exclude(channel=Consent.Channel.ANY)
        .order_by("pk")
    )
    for consent in granted:
        if rng.random() < 0.15:
            by_sms = consent.channel == Consent.Channel.SMS
            Consent.objects.filter(pk=consent.pk).update(
                granted=False,
                source=Consent.Source.SMS_REPLY if by_sms else Consent.Source.PHONE,
                recorded_at=now - timedelta(days=rng.randint(1, 29)),
            )
