"""The customers of a generated bank, as lines of PostgreSQL COPY text.

Pure Python and deterministic: a chunk of customers depends only on the plan and the
chunk's number, so chunks can be made in worker processes in any order and a run with the
same seed gives the same bank. Nothing here touches the database; ``crm.pii`` encrypts and
hashes with the keys in the settings, as the application does.

The distributions are those of a mid-sized Chinese commercial bank: about 95 % individuals,
surnames as common as they are in the population (王, 李, 张 ... from Faker's weights),
balances log-normal and tied to income, most customers looked after by a relationship
manager of their home sub-branch and the rest in the public pool.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from faker.providers.person.zh_CN import Provider as PersonNames
from faker.providers.ssn.zh_CN import Provider as ResidentIds
from stdnum.cn import ric, uscc

from crm import pii
from crm.months import add_months, month_start
from customers.models import CUSTOMER_DETAILS, phone_tail_index

# --- plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    """A branch where customers bank, with its city and the managers who work there."""

    branch_id: int
    city: str
    weight: float
    manager_ids: tuple[int, ...]


@dataclass(frozen=True)
class ProductRef:
    id: int
    category: str
    segment: str  # "individual", "corporate" or "both"


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to make any chunk of the bank's customers."""

    tenant_id: int
    seed: int
    today: date
    months: int  # monthly snapshots to make, ending with the latest complete month
    individual_homes: tuple[Home, ...]
    corporate_homes: tuple[Home, ...]
    products: tuple[ProductRef, ...]

    @property
    def latest_month(self) -> date:
        return add_months(month_start(self.today), -1)


@dataclass
class Chunk:
    """COPY text of one chunk of customers and everything that hangs off them."""

    customers: list[str] = field(default_factory=list)
    holdings: list[str] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)
    relationships: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)

    def encoded(self) -> dict[str, tuple[int, bytes]]:
        """Each table's row count and COPY data (cheap to pass between processes)."""
        return {
            name: (len(lines), "".join(line + "\n" for line in lines).encode())
            for name, lines in vars(self).items()
        }


# The record's own fields are the ones staff, partners and auditors see (CUSTOMER_DETAILS), so
# a field added there fails here until the generator gives it a value.
CUSTOMER_COLUMNS = (
    "id",
    "tenant_id",
    *CUSTOMER_DETAILS,
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
    "phone_tail_index",  # given_name is not here: the database derives it from the name
    "home_branch_id",
    "relationship_manager_id",
    "tier",
    "risk_grade",
    "aum_fen",
    "created_at",
    "updated_at",
)
HOLDING_COLUMNS = (
    "tenant_id",
    "customer_id",
    "product_id",
    "account_number",
    "opened_on",
    "status",
    "balance",
    "updated_at",
)
# Current balances per customer, from which the database derives the monthly snapshots.
TOTAL_COLUMNS = ("customer_id", "first_month", "deposits_fen", "loans_fen", "wealth_fen", "trend")
RELATIONSHIP_COLUMNS = (
    "tenant_id",
    "from_customer_id",
    "to_customer_id",
    "kind",
    "note",
    "created_at",
)
ASSIGNMENT_COLUMNS = (
    "tenant_id",
    "customer_id",
    "kind",
    "previous_manager_id",
    "relationship_manager_id",
    "reason",
    "changed_by_id",
    "changed_at",
)
CONSENT_COLUMNS = (
    "tenant_id",
    "customer_id",
    "purpose",
    "channel",
    "granted",
    "source",
    "recorded_at",
)

NULL = r"\N"
CORPORATE_SHARE = 0.05

# --- names --------------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _cumulative(weights) -> list[float]:
    return list(accumulate(weights))


SURNAMES = list(PersonNames.last_names)
SURNAME_WEIGHTS = _cumulative(PersonNames.last_names.values())


def _given_name_pool(names: list[str]) -> tuple[list[str], list[str]]:
    """Single-character names as Faker has them, and the characters to build two-character ones."""
    singles = [name for name in names if len(name) == 1]
    characters = sorted({character for name in names for character in name})
    return singles, characters


MALE_SINGLES, MALE_CHARACTERS = _given_name_pool(PersonNames.first_names_male)
FEMALE_SINGLES, FEMALE_CHARACTERS = _given_name_pool(PersonNames.first_names_female)

# County-level codes only (a card is issued by a county, not by a province or city).
AREA_CODES = [code for code in ResidentIds.area_codes if not code.endswith("00")]

MOBILE_PREFIXES = words(
    "130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 158 159 166 173 "
    "175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)

OCCUPATIONS = (
    ("企业职员", 26),
    ("个体工商户", 10),
    ("专业技术人员", 9),
    ("公务员", 5),
    ("教师", 5),
    ("医护人员", 4),
    ("工人", 8),
    ("农民", 6),
    ("企业主", 3),
    ("金融从业人员", 2),
    ("自由职业", 6),
    ("退休人员", 11),
    ("学生", 3),
    ("军人", 1),
    ("无业", 1),
)
INCOME_BANDS = (
    ("lt50k", 28, 0.3),
    ("50k_150k", 42, 1.0),
    ("150k_500k", 21, 3.0),
    ("500k_1m", 6, 8.0),
    ("gt1m", 3, 20.0),
)
INDUSTRIES = (
    "制造业",
    "批发和零售业",
    "建筑业",
    "信息传输、软件和信息技术服务业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "农、林、牧、渔业",
    "居民服务、修理和其他服务业",
    "文化、体育和娱乐业",
)
COMPANY_WORDS = (
    "科技",
    "贸易",
    "建设",
    "物流",
    "食品",
    "机械",
    "医药",
    "电子",
    "实业",
    "餐饮管理",
    "文化传媒",
    "建材",
    "纺织",
    "化工",
    "汽车销售",
    "农业开发",
    "信息技术",
    "装饰工程",
)
COMPANY_SUFFIXES = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")
COMPANY_SIZES = (("micro", 50), ("small", 30), ("medium", 15), ("large", 5))
STREETS = words(
    "人民路 解放路 中山路 建设路 和平路 新华路 长江路 黄河路 文化路 胜利路 朝阳路 青年路 "
    "光明路 幸福路 滨江路 湖滨路 东风路 迎宾路 学府路 科技路 金融街 世纪大道"
)
ESTATES = words(
    "阳光花园 锦绣家园 翠湖苑 金色家园 绿城小区 丽景湾 书香门第 海棠湾 紫金城 万科城 碧桂园 "
    "御景华庭 枫林绿洲 滨江华府 星河湾 和谐家园"
)

# Extra holdings of an individual beyond the current account: how many, and of what.
EXTRA_HOLDINGS = _cumulative((25, 30, 25, 12, 8))  # 0..4 extra, so 1..5 in all
INDIVIDUAL_CATEGORIES = (
    ("deposit", 25),
    ("e_banking", 25),
    ("card", 18),
    ("wealth", 12),
    ("fund", 8),
    ("loan", 7),
    ("insurance", 5),
)
CORPORATE_CATEGORIES = (("e_banking", 45), ("loan", 30), ("deposit", 15), ("wealth", 10))
# Median balance in yuan and spread (sigma of the log) by category; loans and cards owe.
BALANCES = {
    "deposit": (20_000, 1.3),
    "wealth": (100_000, 1.0),
    "fund": (30_000, 1.1),
    "insurance": (50_000, 0.9),
    "loan": (300_000, 0.9),
    "card": (5_000, 1.0),
    "e_banking": (0, 0),
}
ASSET_CATEGORIES = frozenset({"deposit", "wealth", "fund", "insurance"})
WEALTH_CATEGORIES = frozenset({"wealth", "fund", "insurance"})
LIABILITY_CATEGORIES = frozenset({"loan", "card"})

NEW_CUSTOMER_DAYS = 60  # not rated yet


def _pick(rng: random.Random, items, cumulative: list[float]):
    return items[bisect(cumulative, rng.random() * cumulative[-1])]


def _weighted(pairs) -> tuple[list, list[float]]:
    return [pair[0] for pair in pairs], _cumulative(pair[1] for pair in pairs)


OCCUPATION_CHOICES = _weighted(OCCUPATIONS)
INCOME_CHOICES = _weighted([(band[0], band[1]) for band in INCOME_BANDS])
INCOME_SCALE = {band[0]: band[2] for band in INCOME_BANDS}
COMPANY_SIZE_CHOICES = _weighted(COMPANY_SIZES)
INDIVIDUAL_CATEGORY_CHOICES = _weighted(INDIVIDUAL_CATEGORIES)
CORPORATE_CATEGORY_CHOICES = _weighted(CORPORATE_CATEGORIES)


def person_name(rng: random.Random, gender: str) -> str:
    surname = SURNAMES[bisect(SURNAME_WEIGHTS, rng.random() * SURNAME_WEIGHTS[-1])]
    singles, characters = (
        (MALE_SINGLES, MALE_CHARACTERS) if gender == "male" else (FEMALE_SINGLES, FEMALE_CHARACTERS)
    )
    if rng.random() < 0.3:
        return surname + rng.choice(singles)
    return surname + rng.choice(characters) + rng.choice(characters)


def company_name(rng: random.Random, city: str) -> str:
    brand = rng.choice(MALE_CHARACTERS) + rng.choice(FEMALE_CHARACTERS)
    return f"{city}{brand}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_SUFFIXES)}"


# --- identity numbers ---------------------------------------------------------------------

# Unique by construction: customer n gets the n-th (county, sequence pair) of a permutation
# (the sex decides the sequence's last digit), so no two customers of one run share an ID
# number up to len(AREA_CODES) * 500 customers (about 1.5 million; beyond, rarely) and none
# share a phone number up to 100 million.
_ID_SLOTS = len(AREA_CODES) * 500
_ID_STRIDE = 1_000_003  # prime, so coprime with the number of slots
_PHONE_STRIDE = 48_271  # coprime with 10**8


def resident_id(index: int, birth: date, male: bool, *, salt: int) -> str:
    slot = (index * _ID_STRIDE + salt) % _ID_SLOTS
    area, sequence = AREA_CODES[slot // 500], (slot % 500) * 2 + (1 if male else 0)
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    # stdnum computes GB 11643's check character from the first 17 characters.
    return body + ric.calc_check_digit(body + "0")


def organisation_code_check(body: str) -> str:
    """GB 11714 check character of an 8-digit organisation code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def social_credit_code(rng: random.Random) -> str:
    """A unified social credit code (GB 32100) of a company registered with the SAMR."""
    organisation = f"{rng.randrange(10**8):08d}"
    body = "91" + rng.choice(AREA_CODES) + organisation + organisation_code_check(organisation)
    return body + uscc.calc_check_digit(body)


def mobile_number(index: int, rng: random.Random, *, salt: int) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{(index * _PHONE_STRIDE + salt) % 10**8:08d}"


# --- COPY text ------------------------------------------------------------------------------


def _bytea(value: bytes) -> str:
    return "\\\\x" + value.hex()  # COPY text: a backslash is written twice


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def _timestamp(day: date, rng: random.Random) -> str:
    return f"{day.isoformat()} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:00+08"


class _Customer:
    __slots__ = (
        "birth",
        "gender",
        "has_loan",
        "home",
        "id",
        "income",
        "index",
        "kind",
        "legal_representative",
        "manager_id",
        "name",
        "since",
        "status",
    )


def make_chunk(plan: Plan, number: int, first_index: int, ids: list[int]) -> Chunk:
    """Return the rows of customers ``first_index ...`` (one per id), all deterministic."""
    rng = random.Random(f"{plan.seed}:{number}")
    salt = random.Random(plan.seed).randrange(10**8)
    chunk = Chunk()
    tenant = str(plan.tenant_id)
    today_ordinal = plan.today.toordinal()
    individual_weights = _cumulative(home.weight for home in plan.individual_homes)
    corporate_weights = _cumulative(home.weight for home in plan.corporate_homes)
    by_category: dict[tuple[str, str], list[int]] = {}
    for product in plan.products:
        for segment in ("individual", "corporate"):
            if product.segment in (segment, "both"):
                by_category.setdefault((segment, product.category), []).append(product.id)

    people: list[_Customer] = []
    companies: list[_Customer] = []
    customers: list[_Customer] = []
    for offset, customer_id in enumerate(ids):
        index = first_index + offset
        customer = _Customer()
        customer.id, customer.index = customer_id, index
        customer.kind = "corporate" if rng.random() < CORPORATE_SHARE else "individual"
        homes, weights = (
            (plan.corporate_homes, corporate_weights)
            if customer.kind == "corporate"
            else (plan.individual_homes, individual_weights)
        )
        customer.home = _pick(rng, homes, weights)
        # Customers since up to 20 years ago, more of them recent; at the latest yesterday, so
        # that no time of the day they joined (or of anything after) lies in the future.
        customer.since = date.fromordinal(today_ordinal - 1 - int(rng.random() ** 1.6 * 7300))
        roll = rng.random()
        customer.status = "active" if roll < 0.86 else "dormant" if roll < 0.97 else "closed"
        pool_share = {"active": 0.12, "dormant": 0.4, "closed": 1.0}[customer.status]
        managers = customer.home.manager_ids
        customer.manager_id = (
            rng.choice(managers) if managers and rng.random() >= pool_share else None
        )
        customer.has_loan = False
        customer.legal_representative = ""
        customer.income = ""
        if customer.kind == "individual":
            customer.gender = "male" if rng.random() < 0.5 else "female"
            customer.name = person_name(rng, customer.gender)
            customer.income = _pick(rng, *INCOME_CHOICES)
            age = 18 + int(rng.betavariate(2, 3) * 67)
            customer.birth = date.fromordinal(today_ordinal - age * 365 - rng.randrange(365))
            people.append(customer)
        else:
            customer.gender = ""
            customer.name = company_name(rng, customer.home.city)
            customer.birth = None
            companies.append(customer)
        customers.append(customer)

    _relate(rng, plan, chunk, people, companies)

    for customer in customers:
        deposits, loans, wealth = _holdings(rng, plan, chunk, customer, by_category)
        aum = deposits + wealth
        _assignments(rng, plan, chunk, customer)
        if customer.kind == "individual":
            _consents(rng, plan, chunk, customer)
        chunk.customers.append(_customer_line(rng, plan, customer, aum, salt, tenant))
        if plan.months:
            first_month = max(
                customer.since.replace(day=1), add_months(plan.latest_month, 1 - plan.months)
            )
            # Most customers grew into their balances; some are running theirs down.
            trend = rng.gauss(0.012, 0.015)
            chunk.totals.append(
                f"{customer.id}\t{first_month}\t{deposits}\t{loans}\t{wealth}\t{trend:.5f}"
            )
    return chunk


def _customer_line(
    rng: random.Random, plan: Plan, customer: _Customer, aum: int, salt: int, tenant: str
) -> str:
    index = customer.index
    phone = mobile_number(index, rng, salt=salt)
    if customer.kind == "individual":
        if rng.random() < 0.01:
            id_type, id_number = "passport", f"E{rng.randrange(10**8):08d}"
        else:
            id_type = "resident_id"
            id_number = resident_id(index, customer.birth, customer.gender == "male", salt=salt)
        occupation = _pick(rng, *OCCUPATION_CHOICES)
        income = customer.income
        address = (
            f"{customer.home.city}市{rng.choice(STREETS)}{rng.randrange(1, 400)}号"
            f"{rng.choice(ESTATES)}{rng.randrange(1, 30)}栋"
            f"{rng.randrange(1, 30)}0{rng.randrange(1, 5)}室"
        )
        personal = {
            "gender": customer.gender,
            "birth_date": customer.birth.isoformat(),
            "occupation": occupation,
            "income_band": income,
            "address": address,
        }
        company = {"industry": "", "company_size": "", "legal_representative": ""}
    else:
        id_type, id_number = "uscc", social_credit_code(rng)
        personal = {
            "gender": "",
            "birth_date": NULL,
            "occupation": "",
            "income_band": "",
            "address": f"{customer.home.city}市{rng.choice(STREETS)}{rng.randrange(1, 999)}号",
        }
        company = {
            "industry": rng.choice(INDUSTRIES),
            "company_size": _pick(rng, *COMPANY_SIZE_CHOICES),
            "legal_representative": customer.legal_representative or person_name(rng, "male"),
        }
    risk = _risk_grade(rng, plan, customer)
    created = _timestamp(customer.since, rng)
    fields = {
        "id": str(customer.id),
        "tenant_id": tenant,
        "number": str(1_000_000_000 + index + 1),
        "kind": customer.kind,
        "name": customer.name,
        "status": customer.status,
        **personal,
        **company,
        "id_type": id_type,
        "id_number_encrypted": pii.encrypt(id_number),
        "id_number_index": _bytea(
            pii.blind_index("id_number", id_number, tenant_id=plan.tenant_id)
        ),
        "id_number_masked": pii.mask(id_number),
        "phone_encrypted": pii.encrypt(phone),
        "phone_index": _bytea(pii.blind_index("phone", phone, tenant_id=plan.tenant_id)),
        "phone_masked": pii.mask(phone, keep_start=3, keep_end=4),
        "phone_tail_index": _bytea(phone_tail_index(phone, tenant_id=plan.tenant_id)),
        "home_branch_id": str(customer.home.branch_id),
        "relationship_manager_id": str(customer.manager_id) if customer.manager_id else NULL,
        "tier": "",
        "risk_grade": risk,
        "aum_fen": str(aum),
        "created_at": created,
        "updated_at": created,
    }
    return "\t".join(fields[column] for column in CUSTOMER_COLUMNS)


def _risk_grade(rng: random.Random, plan: Plan, customer: _Customer) -> str:
    """A risk grade as a rating job would have left it (none for the newest customers).

    The tier is not drawn: the marketing step tiers the bank with the real scoring job.
    """
    if (plan.today - customer.since).days < NEW_CUSTOMER_DAYS:
        return ""
    roll = rng.random()
    if customer.kind == "corporate":
        cut = (0.4, 0.8, 0.95)
    elif customer.has_loan:
        cut = (0.5, 0.85, 0.96)
    else:
        cut = (0.65, 0.92, 0.98)
    risk = "low" if roll < cut[0] else "medium" if roll < cut[1] else "high"
    if roll >= cut[2]:
        risk = "very_high"
    return risk


def _balance_fen(rng: random.Random, category: str, scale: float) -> int:
    median, sigma = BALANCES[category]
    if not median:
        return 0
    return int(rng.lognormvariate(0, sigma) * median * scale * 100)


def _holdings(
    rng: random.Random,
    plan: Plan,
    chunk: Chunk,
    customer: _Customer,
    by_category: dict[tuple[str, str], list[int]],
) -> tuple[int, int, int]:
    """Write the customer's holdings; return current deposits, loans and wealth in fen."""
    segment = customer.kind
    if segment == "individual":
        scale = INCOME_SCALE[customer.income]
        extra = bisect(EXTRA_HOLDINGS, rng.random() * EXTRA_HOLDINGS[-1])
        categories = ["deposit"] + [_pick(rng, *INDIVIDUAL_CATEGORY_CHOICES) for _ in range(extra)]
    else:
        scale = 25.0
        extra = rng.choice((0, 1, 1, 2, 2, 3))
        categories = ["deposit"] + [_pick(rng, *CORPORATE_CATEGORY_CHOICES) for _ in range(extra)]
    deposits = loans = wealth = 0
    held: set[int] = set()
    since = customer.since.toordinal()
    span = max(plan.today.toordinal() - since, 1)
    for position, category in enumerate(categories):
        choices = by_category.get((segment, category))
        if not choices:
            continue
        product_id = choices[0] if position == 0 else rng.choice(choices)
        if category == "e_banking" and product_id in held:
            continue  # one sign-up per channel
        held.add(product_id)
        roll = rng.random()
        status = "active" if roll < 0.92 else "dormant" if roll < 0.97 else "closed"
        if customer.status == "closed":
            status = "closed"
        balance = 0 if status == "closed" else _balance_fen(rng, category, scale)
        if category in ASSET_CATEGORIES:
            if category == "deposit":
                deposits += balance
            else:
                wealth += balance
        elif category in LIABILITY_CATEGORIES:
            loans += balance
            customer.has_loan = customer.has_loan or (category == "loan" and balance > 0)
        opened = date.fromordinal(since + (0 if position == 0 else rng.randrange(span)))
        account = f"6217{customer.index:011d}{position:04d}"
        chunk.holdings.append(
            f"{plan.tenant_id}\t{customer.id}\t{product_id}\t{account}\t{opened}\t{status}\t"
            f"{_yuan(balance)}\t{_timestamp(opened, rng)}"
        )
    return deposits, loans, wealth


def _assignments(rng: random.Random, plan: Plan, chunk: Chunk, customer: _Customer) -> None:
    """The customer's relationship-manager history, ending with their current manager."""
    managers = customer.home.manager_ids
    if not managers:
        return
    tenant = plan.tenant_id
    since = customer.since
    handed_over = rng.random() < 0.08 and len(managers) > 1
    released = customer.manager_id is None and rng.random() < 0.3
    if customer.manager_id is None and not released:
        return
    first = rng.choice(managers) if (handed_over or released) else customer.manager_id
    chunk.assignments.append(
        f"{tenant}\t{customer.id}\tassign\t{NULL}\t{first}\t开户分配\t{NULL}\t"
        f"{_timestamp(since, rng)}"
    )
    later = date.fromordinal(
        since.toordinal() + rng.randrange(max(plan.today.toordinal() - since.toordinal(), 1))
    )
    if released:
        chunk.assignments.append(
            f"{tenant}\t{customer.id}\trelease\t{first}\t{NULL}\t客户经理调离，释放至公海\t{NULL}\t"
            f"{_timestamp(later, rng)}"
        )
    elif handed_over and first != customer.manager_id:
        chunk.assignments.append(
            f"{tenant}\t{customer.id}\thandover\t{first}\t{customer.manager_id}\t客户经理岗位调整\t"
            f"{NULL}\t{_timestamp(later, rng)}"
        )


def _consents(rng: random.Random, plan: Plan, chunk: Chunk, customer: _Customer) -> None:
    roll = rng.random()
    if roll >= 0.45:
        return
    recorded = _timestamp(customer.since, rng)
    source = rng.choice(("counter", "counter", "mobile_app", "online"))
    granted = "t" if rng.random() < 0.85 else "f"
    chunk.consents.append(
        f"{plan.tenant_id}\t{customer.id}\tmarketing\tsms\t{granted}\t{source}\t{recorded}"
    )
    if roll < 0.15:
        granted = "t" if rng.random() < 0.7 else "f"
        chunk.consents.append(
            f"{plan.tenant_id}\t{customer.id}\tpersonalised_offers\tany\t{granted}\t{source}\t"
            f"{recorded}"
        )


def _relate(
    rng: random.Random,
    plan: Plan,
    chunk: Chunk,
    people: list[_Customer],
    companies: list[_Customer],
) -> None:
    """Spouses, parents and guarantors among the chunk's people; people behind companies."""
    tenant = plan.tenant_id
    shuffled = people[:]
    rng.shuffle(shuffled)
    pairs = list(zip(shuffled[0::2], shuffled[1::2], strict=False))

    def write(source: _Customer, target: _Customer, kind: str) -> None:
        when = _timestamp(max(source.since, target.since), rng)
        chunk.relationships.append(f"{tenant}\t{source.id}\t{target.id}\t{kind}\t\t{when}")

    spouses = int(len(people) * 0.03)
    parents = int(len(people) * 0.02)
    guarantors = int(len(people) * 0.01)
    for position, (one, other) in enumerate(pairs):
        if position < spouses:
            write(one, other, "spouse")
            if rng.random() < 0.5:
                write(one, other, "household")
        elif position < spouses + parents:
            older, younger = sorted((one, other), key=lambda person: person.birth)
            write(older, younger, "parent")
        elif position < spouses + parents + guarantors:
            write(one, other, "guarantor")
        else:
            break
    if not people:
        return
    for company in companies:
        if rng.random() < 0.6:
            representative = rng.choice(people)
            company.legal_representative = representative.name
            write(representative, company, "legal_representative")
            if rng.random() < 0.5:
                shareholder = rng.choice(people)
                if shareholder is not representative:
                    write(shareholder, company, "shareholder")
        for employee in {rng.choice(people) for _ in range(rng.randrange(4))}:
            write(company, employee, "employer")
