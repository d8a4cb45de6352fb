"""Contacts across channels for a generated bank (``generate_bank --interactions-per-customer``).

A step of ``generate_bank`` (registered in ChannelsConfig.ready() through customers'
``register_generation_step``): once the customers are loaded, in the same transaction, it
gives the bank the standard channel catalog, outlets (a counter and one or two ATMs per
sub-branch), N contacts per customer over the last twelve months and a few hundred service
requests with their steps. After the commit it rolls those months up for the analytics.

The contacts are made the way the customers are: in worker processes, chunk by chunk,
deterministic for a seed, as COPY text streamed into ``channels_interaction`` while its
secondary indexes and foreign keys are off (the generator's load window), rebuilt once at
the end. What they look like, per customer:

- a channel mix by who the customer is: mobile banking first for the young, the counter
  and phone for the elderly, online banking for companies; over a typical bank about 40 %
  mobile, 17 % counter, 12 % online, then ATM, POS, phone, WeChat and SMS;
- mostly transactions with log-normal amounts (cash at the counter, 100-yuan notes at the
  ATM, small payments by POS and QR code), then enquiries, service, marketing touches
  (SMS, WeChat pushes, outbound), complaints and callbacks; hours by channel (counters in
  opening hours and quieter on Sundays, mobile into the evening);
- counter and ATM contacts at an outlet of the customer's home sub-branch (sometimes at a
  neighbouring one of the same city), counter ones served by one of its tellers;
- nothing before the customer joined, dormant customers with nothing but marketing in
  their last six months, closed ones with nothing after they left.

Source ``bankgen``, external id ``<customer id>-<n>``: unique per bank, as the API needs.
"""

from __future__ import annotations

import random
import time
import zoneinfo
from bisect import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from channels import rollup
from channels.catalog import ensure_standard_catalog
from channels.models import (
    Channel,
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestStep,
    ServiceRequestType,
)
from crm.jobs.models import JobRun
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch
from crm.tenancy.roles import Role
from customers.bankgen import GenerationContext
from customers.bankgen.steps import made_in_workers
from customers.models import Customer

SOURCE = "bankgen"
DAYS = 365  # the contacts cover the twelve months up to yesterday
ROWS_PER_CHUNK = 50_000  # contacts made and copied at a time (about 10 MB of COPY text)
MAX_REQUESTS = 500  # "a few hundred" service requests whatever the size of the bank

INTERACTION_COLUMNS = (
    "tenant_id",
    "customer_id",
    "channel_id",
    "outlet_id",
    "staff_id",
    "kind",
    "direction",
    "occurred_at",
    "summary",
    "outcome",
    "amount",
    "source",
    "external_id",
    "created_at",
)
REQUEST_COLUMNS = (
    "id",
    "tenant_id",
    "number",
    "request_type_id",
    "customer_id",
    "status",
    "summary",
    "owner_id",
    "team_id",
    "opened_channel_id",
    "opened_at",
    "due_at",
    "closed_at",
    "source",
    "external_id",
)
STEP_COLUMNS = (
    "tenant_id",
    "request_id",
    "from_status",
    "to_status",
    "channel_id",
    "staff_id",
    "partner_name",
    "note",
    "occurred_at",
)
NULL = r"\N"

# --- who uses which channel ---------------------------------------------------------------

CHANNEL_CODES = ("MOBILE", "ONLINE", "COUNTER", "ATM", "POS", "PHONE", "WECHAT", "SMS")
# Share of contacts per channel (in the order of CHANNEL_CODES) for each kind of customer.
PROFILES = {
    "young": (52, 8, 8, 6, 12, 2, 8, 4),  # under 35
    "middle": (40, 12, 16, 9, 8, 5, 6, 4),
    "senior": (14, 4, 40, 16, 4, 12, 3, 7),  # 60 and over
    "corporate": (22, 45, 22, 2, 0, 5, 1, 3),
}
CORPORATE_AMOUNTS = 8  # companies move this many times what a person does

# Per channel: (kind, weight, items). A transaction's item is (summary, median in yuan); the
# others' are summaries. Within a kind, items are equally likely.
CONTACTS = {
    "COUNTER": (
        (
            "transaction",
            68,
            (
                ("现金存款", 5_000),
                ("现金取款", 3_000),
                ("跨行转账汇款", 20_000),
                ("定期存款开户", 50_000),
                ("购买理财产品", 100_000),
                ("外币兑换", 5_000),
            ),
        ),
        (
            "service",
            18,
            ("挂失补卡", "重置交易密码", "更新身份证件信息", "开立借记卡", "签约手机银行"),
        ),
        ("enquiry", 10, ("咨询大额存单利率", "咨询个人住房贷款", "咨询理财产品")),
        ("marketing", 2, ("大堂经理推荐理财产品",)),
        ("complaint", 2, ("排队等候时间过长", "对账户管理费有异议")),
    ),
    "ATM": (
        ("transaction", 94, (("ATM取款", 1_000), ("ATM存款", 2_000), ("自助转账", 3_000))),
        ("enquiry", 6, ("ATM查询余额",)),
    ),
    "POS": (
        (
            "transaction",
            100,
            (("超市购物", 150), ("餐饮消费", 120), ("加油站消费", 300), ("商场购物", 600)),
        ),
    ),
    "PHONE": (
        ("enquiry", 45, ("咨询信用卡账单", "咨询贷款利率", "查询账户余额", "咨询理财产品收益")),
        ("service", 22, ("电话挂失", "信用卡分期申请", "修改账单地址")),
        ("callback", 15, ("理财产品到期回访", "新开户客户回访", "投诉处理结果回访")),
        ("complaint", 8, ("信用卡年费争议", "转账到账延迟")),
        ("transaction", 10, (("电话银行转账", 5_000),)),
    ),
    "ONLINE": (
        (
            "transaction",
            80,
            (
                ("网银转账", 5_000),
                ("缴纳水电燃气费", 200),
                ("购买基金", 20_000),
                ("跨行汇款", 10_000),
            ),
        ),
        ("enquiry", 12, ("查询交易明细", "下载电子回单")),
        ("service", 8, ("修改网银登录密码", "设置转账限额")),
    ),
    "MOBILE": (
        (
            "transaction",
            82,
            (
                ("手机银行转账", 1_500),
                ("扫码支付", 80),
                ("信用卡还款", 3_000),
                ("购买理财", 50_000),
                ("手机充值", 100),
                ("生活缴费", 200),
            ),
        ),
        ("enquiry", 12, ("查询余额", "查看理财收益")),
        ("service", 6, ("修改登录密码", "预约网点取号", "绑定第三方支付")),
    ),
    "WECHAT": (
        ("enquiry", 55, ("微信银行查询余额", "预约网点取号", "查询网点营业时间")),
        ("marketing", 30, ("公众号推送：存款利率活动", "公众号推送：信用卡优惠")),
        ("service", 15, ("签约微信动账提醒",)),
    ),
    "SMS": (
        (
            "marketing",
            100,
            ("理财产品到期提醒", "新客户专属存款利率活动", "信用卡分期优惠", "贵宾客户生日祝福"),
        ),
    ),
}
OUTCOMES = {
    "transaction": "交易成功",
    "enquiry": "已解答",
    "service": "已办结",
    "marketing": "已送达",
    "complaint": "已受理，转投诉处理",
    "callback": "已回访",
}
OUTBOUND_KINDS = frozenset({"marketing", "callback"})
AMOUNT_SPREAD = 0.9  # sigma of the log of an amount around its median
ATM_NOTE_FEN = 100_00  # ATMs pay out and take 100-yuan notes
ATM_LIMIT_FEN = 20_000_00

# Relative busyness of each hour of the day (0-23), per channel.
HOURS = {
    "COUNTER": "0 0 0 0 0 0 0 0 0 8 10 10 7 7 9 9 6 2 0 0 0 0 0 0",
    "ATM": "0 0 0 0 0 0 1 3 5 6 6 6 7 6 6 6 6 7 8 8 6 4 2 1",
    "POS": "0 0 0 0 0 0 0 1 2 3 5 7 9 7 5 5 6 7 9 10 8 5 2 1",
    "PHONE": "0 0 0 0 0 0 0 0 4 8 9 8 6 7 8 8 7 5 3 2 1 0 0 0",
    "ONLINE": "1 0 0 0 0 0 0 1 3 7 9 9 7 7 9 9 8 6 5 5 5 4 2 1",
    "MOBILE": "2 1 0 0 0 0 1 3 5 6 6 7 8 6 6 6 6 7 8 9 10 10 7 4",
    "WECHAT": "1 0 0 0 0 0 0 2 4 6 6 6 7 6 6 6 6 6 7 8 8 7 4 2",
    "SMS": "0 0 0 0 0 0 0 0 0 6 10 8 4 4 8 8 6 2 0 0 0 0 0 0",
}
DORMANT_DAYS = 180  # a dormant customer did nothing but receive marketing in this time

OUTLET_MODELS = (
    (Outlet.Model.COMMUNITY, 40),
    (Outlet.Model.BUSINESS_DISTRICT, 30),
    (Outlet.Model.CONVENIENCE, 20),
    (Outlet.Model.CAMPUS, 10),
)
OFF_SITE_ATM_PLACES = {
    Outlet.Model.COMMUNITY: "社区便民服务中心",
    Outlet.Model.BUSINESS_DISTRICT: "商务中心大厦",
    Outlet.Model.CONVENIENCE: "购物广场",
    Outlet.Model.CAMPUS: "大学城",
}
HOME_OUTLET_SHARE = 0.85  # counter and ATM contacts at the home sub-branch, the rest nearby


@dataclass(frozen=True)
class Template:
    """One sort of contact in a channel, pre-formatted for COPY."""

    kind: str
    columns: str  # "kind\tdirection"
    text: str  # "summary\toutcome"
    median_fen: int  # 0: no amount


@dataclass(frozen=True)
class ChannelPlan:
    code: str
    id: int
    templates: tuple[Template, ...]
    weights: tuple[float, ...]  # cumulative
    hours: tuple[str, ...]  # "HH:" strings, each as often as that hour is busy


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to make the contacts of any chunk of customers."""

    tenant_id: int
    seed: int
    per_customer: int
    days: tuple[str, ...]  # "YYYY-MM-DD " of each day, oldest first
    offsets: tuple[str, ...]  # the bank's UTC offset on each day, "+08:00"
    sundays: frozenset[int]  # indexes of the days that are Sundays
    channels: dict[str, ChannelPlan]
    profiles: dict[str, tuple[tuple[str, ...], tuple[float, ...]]]  # codes, cumulative
    outlet_branches: dict[int, tuple[int, ...]]  # home branch -> branches with outlets
    neighbours: dict[int, tuple[int, ...]]  # outlet branch -> others of the same city
    counters: dict[int, int]  # outlet branch -> its counter outlet
    atms: dict[int, tuple[int, ...]]  # outlet branch -> its ATMs
    tellers: dict[int, tuple[int, ...]]  # outlet branch -> its tellers' staff ids


def generate_channels(context: GenerationContext) -> None:
    """The generation step: catalog, outlets, contacts and requests of the new bank."""
    per_customer = context.spec.interactions_per_customer
    if per_customer <= 0:
        return
    clock = time.perf_counter()
    tenant = context.tenant
    with translation.override(settings.LANGUAGE_CODE):
        ensure_standard_catalog(tenant)
    channels = {channel.code: channel for channel in Channel.objects.filter(tenant=tenant)}
    outlets = _create_outlets(context, channels)
    context.rows["outlets"] = len(outlets)
    plan = _plan(context, channels, outlets)
    context.seconds["channels: catalog and outlets"] = time.perf_counter() - clock

    with context.load_window(
        (Interaction, ServiceRequest, ServiceRequestStep), label="interactions"
    ):
        clock = time.perf_counter()
        requested = _load_interactions(context, plan)
        context.seconds["interactions"] = time.perf_counter() - clock
        clock = time.perf_counter()
        _load_service_requests(context, plan, channels, requested)
        context.seconds["service requests"] = time.perf_counter() - clock

    first_day = date.fromisoformat(plan.days[0].strip())
    context.after_commit("channel roll-up", lambda: _roll_up(context, first_day))


# --- outlets --------------------------------------------------------------------------------


def _outlet_branches(context: GenerationContext) -> list[Branch]:
    """Where the outlets are: every sub-branch, or the branches of a bank without any."""
    organisation = context.organisation
    return organisation.sub_branches or organisation.branches or [organisation.head_office]


def _create_outlets(context: GenerationContext, channels: dict[str, Channel]) -> list[Outlet]:
    rng = random.Random(f"{context.spec.seed}:outlets")
    models, weights = zip(*OUTLET_MODELS, strict=True)
    outlets = []
    for branch in _outlet_branches(context):
        model = rng.choices(models, weights)[0]
        outlets.append(
            Outlet(
                tenant=context.tenant,
                channel=channels["COUNTER"],
                branch=branch,
                code=f"{branch.code}-OUT",
                name=f"{branch.name}营业厅",
                kind=Outlet.Kind.BRANCH_OUTLET,
                outlet_model=model,
                location=branch.address,
            )
        )
        outlets.append(
            Outlet(
                tenant=context.tenant,
                channel=channels["ATM"],
                branch=branch,
                code=f"{branch.code}-ATM1",
                name=f"{branch.name}自助银行",
                kind=Outlet.Kind.ATM,
                outlet_model=model,
                location=branch.address,
            )
        )
        if rng.random() < 0.5:  # an off-site ATM where the outlet's customers are
            place = OFF_SITE_ATM_PLACES[rng.choices(models, weights)[0]]
            city = branch.name.removesuffix("支行")[:2]
            outlets.append(
                Outlet(
                    tenant=context.tenant,
                    channel=channels["ATM"],
                    branch=branch,
                    code=f"{branch.code}-ATM2",
                    name=f"{branch.name}离行式自助银行（{place}）",
                    kind=Outlet.Kind.ATM,
                    outlet_model=model,
                    location=f"{city}市{place}一层",
                )
            )
    return Outlet.objects.bulk_create(outlets)


# --- the plan -------------------------------------------------------------------------------


def _channel_plan(code: str, channel: Channel) -> ChannelPlan:
    templates, weights = [], []
    for kind, weight, items in CONTACTS[code]:
        direction = "outbound" if kind in OUTBOUND_KINDS else "inbound"
        for item in items:
            summary, median = item if isinstance(item, tuple) else (item, 0)
            templates.append(
                Template(
                    kind=kind,
                    columns=f"{kind}\t{direction}",
                    text=f"{summary}\t{OUTCOMES[kind]}",
                    median_fen=median * 100,
                )
            )
            weights.append(weight / len(items))
    hours = tuple(
        f"{hour:02d}:"
        for hour, busy in enumerate(int(value) for value in HOURS[code].split())
        for _ in range(busy)
    )
    return ChannelPlan(
        code=code,
        id=channel.pk,
        templates=tuple(templates),
        weights=tuple(accumulate(weights)),
        hours=hours,
    )


def _plan(context: GenerationContext, channels: dict[str, Channel], outlets) -> Plan:
    tenant = context.tenant
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    first_day = rollup.yesterday(tenant) - timedelta(days=DAYS - 1)
    days = [first_day + timedelta(days=number) for number in range(DAYS)]

    def offset(day: date) -> str:
        # At noon: a bank in a zone with summer time changes its offset at night.
        text = datetime(day.year, day.month, day.day, 12, tzinfo=zone).strftime("%z")
        return f"{text[:3]}:{text[3:]}"

    branches = _outlet_branches(context)
    with_outlets = {branch.pk for branch in branches}
    children = defaultdict(list)
    for branch in branches:
        children[branch.parent_id].append(branch.pk)
    organisation = context.organisation
    outlet_branches = {}
    for branch in [organisation.head_office, *organisation.branches, *organisation.sub_branches]:
        if branch.pk in with_outlets:
            outlet_branches[branch.pk] = (branch.pk,)
        elif children.get(branch.pk):  # a branch's companies use its sub-branches' outlets
            outlet_branches[branch.pk] = tuple(children[branch.pk])
    neighbours = {
        branch.pk: tuple(children[branch.parent_id]) or (branch.pk,) for branch in branches
    }
    tellers = defaultdict(list)
    for member in organisation.staff:
        if organisation.roles.get(member.pk) == Role.TELLER and member.branch_id in with_outlets:
            tellers[member.branch_id].append(member.pk)
    counters, atms = {}, defaultdict(list)
    for outlet in outlets:
        if outlet.kind == Outlet.Kind.BRANCH_OUTLET:
            counters[outlet.branch_id] = outlet.pk
        else:
            atms[outlet.branch_id].append(outlet.pk)
    return Plan(
        tenant_id=tenant.pk,
        seed=context.spec.seed,
        per_customer=context.spec.interactions_per_customer,
        days=tuple(f"{day.isoformat()} " for day in days),
        offsets=tuple(offset(day) for day in days),
        sundays=frozenset(number for number, day in enumerate(days) if day.weekday() == 6),
        channels={code: _channel_plan(code, channels[code]) for code in CHANNEL_CODES},
        profiles={
            name: (CHANNEL_CODES, tuple(accumulate(weights))) for name, weights in PROFILES.items()
        },
        outlet_branches=outlet_branches,
        neighbours=neighbours,
        counters=counters,
        atms={branch: tuple(ids) for branch, ids in atms.items()},
        tellers={branch: tuple(ids) for branch, ids in tellers.items()},
    )


# --- the contacts ---------------------------------------------------------------------------

# One customer as the workers get it: id, home branch, is a company, status, age (None for
# companies) and the index of the first day they could have had a contact.
CustomerRow = tuple[int, int, bool, str, int | None, int]

_MINUTES_SECONDS = tuple(
    f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60)
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def make_interactions(plan: Plan, number: int, customers: list[CustomerRow]) -> tuple[int, bytes]:
    """The COPY text of the contacts of ``customers`` (chunk ``number``): deterministic."""
    rng = random.Random(f"{plan.seed}:interactions:{number}")
    draw, between, log_normal, choose = rng.random, rng.randint, rng.lognormvariate, rng.choice
    days, offsets, sundays = plan.days, plan.offsets, plan.sundays
    last_day = len(days) - 1
    channels = plan.channels
    sms = channels["SMS"]
    everywhere = tuple(plan.counters)
    per_customer = plan.per_customer
    lines = []
    write = lines.append
    for customer_id, home, corporate, status, age, since in customers:
        if corporate:
            codes, weights = plan.profiles["corporate"]
        elif age is not None and age < 35:
            codes, weights = plan.profiles["young"]
        elif age is not None and age >= 60:
            codes, weights = plan.profiles["senior"]
        else:
            codes, weights = plan.profiles["middle"]
        total = weights[-1]
        scale = CORPORATE_AMOUNTS if corporate else 1
        first = min(since, last_day)
        last = last_day
        if status == Customer.Status.CLOSED:
            last = first + int((last_day - first) * draw())
        # Dormant customers' own contacts stopped half a year ago; marketing goes on.
        active_last = last - DORMANT_DAYS if status == Customer.Status.DORMANT else last
        usual = plan.outlet_branches.get(home) or everywhere
        home_outlets = usual[customer_id % len(usual)]
        head = f"{plan.tenant_id}\t{customer_id}\t"
        for sequence in range(per_customer):
            channel = channels[codes[bisect(weights, draw() * total)]]
            template = channel.templates[bisect(channel.weights, draw() * channel.weights[-1])]
            if template.kind != "marketing" and active_last < first:
                channel = sms  # nothing of their own in the window: only the bank wrote
                template = sms.templates[bisect(sms.weights, draw() * sms.weights[-1])]
            newest = last if template.kind == "marketing" else active_last
            day = between(first, newest)
            outlet = staff = NULL
            code = channel.code
            if code == "COUNTER" or code == "ATM":
                branch = home_outlets
                if draw() >= HOME_OUTLET_SHARE:
                    branch = choose(plan.neighbours[branch])
                if code == "COUNTER":
                    if day in sundays and draw() < 0.6:  # fewer counters open on Sundays
                        day = between(first, newest)
                    outlet = plan.counters[branch]
                    tellers = plan.tellers.get(branch)
                    if tellers:
                        staff = choose(tellers)
                else:
                    outlet = choose(plan.atms[branch])
            amount = NULL
            if template.median_fen:
                fen = int(template.median_fen * scale * log_normal(0, AMOUNT_SPREAD))
                if code == "ATM":
                    fen = min(max(round(fen / ATM_NOTE_FEN), 1) * ATM_NOTE_FEN, ATM_LIMIT_FEN)
                amount = _yuan(max(fen, 100))
            when = f"{days[day]}{choose(channel.hours)}{choose(_MINUTES_SECONDS)}{offsets[day]}"
            write(
                f"{head}{channel.id}\t{outlet}\t{staff}\t{template.columns}\t{when}\t"
                f"{template.text}\t{amount}\t{SOURCE}\t{customer_id}-{sequence}\t{when}\n"
            )
    return len(lines), "".join(lines).encode()


def _customer_batches(context: GenerationContext, plan: Plan, size: int, sample):
    """The bank's customers in id order, ``size`` at a time, as the workers need them."""
    cursor = context.cursor
    table = Customer._meta.db_table
    first_day = date.fromisoformat(plan.days[0].strip())
    cursor.execute(f"SELECT min(id) FROM {table} WHERE tenant_id = %s", [plan.tenant_id])  # noqa: S608
    after = (cursor.fetchone()[0] or 1) - 1
    number = 0
    while True:
        cursor.execute(
            f"""
            SELECT id, home_branch_id, kind = %(corporate)s, status,
                   extract(year FROM age(%(today)s, birth_date))::int,
                   greatest(0, (created_at AT TIME ZONE %(zone)s)::date - %(first)s)
              FROM {table}
             WHERE tenant_id = %(tenant)s AND id > %(after)s
             ORDER BY id
             LIMIT %(size)s
            """,  # noqa: S608 (the table name is ours)
            {
                "corporate": Customer.Kind.CORPORATE.value,
                "today": context.today,
                "zone": context.tenant.time_zone,
                "first": first_day,
                "tenant": plan.tenant_id,
                "after": after,
                "size": size,
            },
        )
        rows = cursor.fetchall()
        if not rows:
            return
        sample(rows)
        yield number, rows
        number += 1
        after = rows[-1][0]


class _Reservoir:
    """A uniform, seeded sample of the active customers, taken as they stream past."""

    def __init__(self, size: int, seed: int):
        self.size, self.seen, self.ids = size, 0, []
        self.rng = random.Random(f"{seed}:requests")

    def __call__(self, rows: list[CustomerRow]) -> None:
        for row in rows:
            if row[3] != Customer.Status.ACTIVE:
                continue
            self.seen += 1
            if len(self.ids) < self.size:
                self.ids.append(row[0])
            else:
                slot = self.rng.randrange(self.seen)
                if slot < self.size:
                    self.ids[slot] = row[0]


def _load_interactions(context: GenerationContext, plan: Plan) -> list[int]:
    """COPY the contacts in; return the customers picked for service requests."""
    total = context.spec.customers * plan.per_customer
    size = max(1, ROWS_PER_CHUNK // plan.per_customer)
    chunks = -(-context.spec.customers // size)
    requests = _Reservoir(min(MAX_REQUESTS, max(10, context.spec.customers // 200)), plan.seed)
    batches = _customer_batches(context, plan, size, requests)
    made = made_in_workers(make_interactions, plan, batches, context.workers_for(chunks))
    started = time.perf_counter()
    done = 0
    report_every = max(1, chunks // 10)
    table = Interaction._meta.db_table
    context.progress(f"interactions: {plan.per_customer} per customer, {total:,} in all")
    for number, (count, data) in enumerate(made):
        context.copy(table, INTERACTION_COLUMNS, data)
        done += count
        if (number + 1) % report_every == 0:
            elapsed = time.perf_counter() - started
            context.progress(
                f"interactions: {done:,} of {total:,} ({done / max(total, 1):.0%}), "
                f"{elapsed:.0f} s, {done / max(elapsed, 1e-9):,.0f}/s"
            )
    context.rows["interactions"] = done
    return requests.ids


# --- service requests -----------------------------------------------------------------------

# The statuses a request went through to reach where it is, with the share of requests there.
PATHS = (
    (("submitted",), 18),
    (("submitted", "accepted"), 20),
    (("submitted", "accepted", "in_progress"), 24),
    (("submitted", "accepted", "in_progress", "waiting_customer"), 10),
    (("submitted", "accepted", "in_progress", "completed"), 14),
    (("submitted", "accepted", "in_progress", "waiting_customer", "in_progress", "completed"), 6),
    (("submitted", "accepted", "rejected"), 4),
    (("submitted", "cancelled"), 4),
)
NOTES = {
    "accepted": "已受理",
    "in_progress": "资料审核中",
    "waiting_customer": "请客户补充收入证明",
    "completed": "已办结",
    "rejected": "资料不全，不符合办理条件",
    "cancelled": "客户撤回申请",
}
OPENED_IN = (("MOBILE", 35), ("COUNTER", 30), ("PHONE", 15), ("ONLINE", 10), ("WECHAT", 10))
OVERDUE_EVERY = 3  # one open request in three is past its deadline


def _load_service_requests(
    context: GenerationContext, plan: Plan, channels: dict[str, Channel], customer_ids: list[int]
) -> None:
    """A few hundred requests in every status, some open past their deadline, with steps."""
    if not customer_ids:
        return
    rng = random.Random(f"{plan.seed}:service-requests")
    cursor = context.cursor
    cursor.execute(
        f"SELECT id, name, home_branch_id, relationship_manager_id "  # noqa: S608
        f"FROM {Customer._meta.db_table} WHERE id = ANY(%s) ORDER BY id",
        [sorted(customer_ids)],
    )
    customers = cursor.fetchall()
    types = list(ServiceRequestType.objects.filter(tenant=context.tenant).order_by("code"))
    paths, path_weights = zip(*PATHS, strict=True)
    opened_codes, opened_weights = zip(*OPENED_IN, strict=True)
    zone = zoneinfo.ZoneInfo(context.tenant.time_zone)
    now = timezone.now().astimezone(zone).replace(microsecond=0)
    ids = context.reserve_ids(ServiceRequest, len(customers))
    requests, steps = [], []
    still_open = 0
    for request_id, (customer_id, name, home, manager) in zip(ids, customers, strict=True):
        request_type = rng.choice(types)
        sla = timedelta(hours=request_type.sla_hours)
        path = rng.choices(paths, path_weights)[0]
        status = path[-1]
        closed = status in ServiceRequest.CLOSED_STATUSES
        # finished_at: when the request got where it is (closed, or its latest move).
        if closed:
            opened_at = now - timedelta(days=rng.uniform(2, 60))
            finished_at = opened_at + sla * rng.uniform(0.2, 1.0)
        else:
            still_open += 1
            if still_open % OVERDUE_EVERY == 1:
                opened_at = now - sla - timedelta(hours=rng.uniform(2, 240))
            else:
                opened_at = now - sla * rng.uniform(0.05, 0.9)
            finished_at = now - (now - opened_at) * rng.uniform(0.0, 0.5)
        opened_at = opened_at.replace(microsecond=0)
        finished_at = min(max(finished_at, opened_at + timedelta(minutes=5)), now)
        usual = plan.outlet_branches.get(home) or tuple(plan.counters)
        tellers = plan.tellers.get(usual[customer_id % len(usual)], ())
        teller = tellers[0] if tellers else None
        owner = manager or teller
        opened_in = channels[rng.choices(opened_codes, opened_weights)[0]]
        summary = f"{request_type.name}：{name}"
        requests.append(
            "\t".join(
                str(value) if value is not None else NULL
                for value in (
                    request_id,
                    plan.tenant_id,
                    f"SR{opened_at:%Y%m%d}{request_id:06d}",
                    request_type.pk,
                    customer_id,
                    status,
                    summary,
                    owner if status != "submitted" else None,
                    home,
                    opened_in.pk,
                    opened_at.isoformat(),
                    (opened_at + sla).isoformat(),
                    finished_at.replace(microsecond=0).isoformat() if closed else None,
                    SOURCE,
                    f"SR-{request_id}",
                )
            )
        )
        moments = sorted(
            opened_at + (finished_at - opened_at) * rng.uniform(0.05, 1.0)
            for _ in range(len(path) - 2)
        )
        if len(path) > 1:
            moments.append(finished_at)
        previous = ""
        for position, to_status in enumerate(path):
            if position == 0:
                channel, note, at = opened_in, summary, opened_at
            else:
                at = moments[position - 1]
                note = NOTES[to_status]
                if previous == "waiting_customer":  # the customer sent what was missing
                    channel, note = channels[rng.choice(("MOBILE", "ONLINE"))], "客户已补充资料"
                elif to_status == "cancelled":
                    channel = opened_in
                else:
                    channel = channels[rng.choice(("COUNTER", "COUNTER", "PHONE"))]
            by_staff = channel.code in ("COUNTER", "PHONE") and (position > 0 or owner)
            staff = (teller if channel.code == "COUNTER" else owner) if by_staff else None
            steps.append(
                "\t".join(
                    (
                        str(plan.tenant_id),
                        str(request_id),
                        previous,
                        to_status,
                        str(channel.pk),
                        str(staff) if staff else NULL,
                        "" if staff else channel.name,
                        note,
                        at.replace(microsecond=0).isoformat(),
                    )
                )
            )
            previous = to_status
    context.copy(
        ServiceRequest._meta.db_table, REQUEST_COLUMNS, "".join(f"{r}\n" for r in requests).encode()
    )
    context.copy(
        ServiceRequestStep._meta.db_table,
        STEP_COLUMNS,
        "".join(f"{s}\n" for s in steps).encode(),
    )
    context.rows["service requests"] = len(requests)
    context.rows["service request steps"] = len(steps)


# --- after the commit -----------------------------------------------------------------------

# The daily roll-up of a whole range of days in one pass, for a bank whose range has no
# figures yet. Row for row what channels.rollup's statements write for each day (the tests
# check it: rolling a generated day up again changes nothing); the nightly job's statements
# would take a second or more per day at a million customers, each day joining them all.
BACKFILL_CHANNELS_SQL = """
INSERT INTO {rollup}
       (tenant_id, day, channel_id, branch_id, tier,
        interactions, transactions, amount, customers)
SELECT %(tenant)s, (i.occurred_at AT TIME ZONE %(zone)s)::date, i.channel_id,
       COALESCE(o.branch_id, c.home_branch_id), c.tier,
       count(*),
       count(*) FILTER (WHERE i.kind = %(transaction)s),
       COALESCE(sum(i.amount) FILTER (WHERE i.kind = %(transaction)s), 0),
       count(DISTINCT i.customer_id)
  FROM {interaction} i
  JOIN {customer} c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
  LEFT JOIN {outlet} o ON o.tenant_id = i.tenant_id AND o.id = i.outlet_id
 WHERE i.tenant_id = %(tenant)s AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s
 GROUP BY 2, 3, 4, 5
"""
BACKFILL_OUTLETS_SQL = """
INSERT INTO {outlet_rollup} (tenant_id, day, outlet_id, interactions, transactions, amount)
SELECT %(tenant)s, (i.occurred_at AT TIME ZONE %(zone)s)::date, i.outlet_id,
       count(*),
       count(*) FILTER (WHERE i.kind = %(transaction)s),
       COALESCE(sum(i.amount) FILTER (WHERE i.kind = %(transaction)s), 0)
  FROM {interaction} i
 WHERE i.tenant_id = %(tenant)s AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s
   AND i.outlet_id IS NOT NULL
 GROUP BY 2, 3
"""
# Customers are counted with the status and tier they have now, as the roll-up does.
BACKFILL_POPULATION_SQL = """
INSERT INTO {population} (tenant_id, day, branch_id, tier, customers)
SELECT %(tenant)s, d.day::date, f.branch_id, f.tier, f.customers
  FROM (SELECT c.home_branch_id AS branch_id, c.tier, count(*) AS customers
          FROM {customer} c
         WHERE c.tenant_id = %(tenant)s AND c.status = %(active)s
         GROUP BY 1, 2) AS f
 CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d(day)
"""
# What an INSERT above wrote, per day (each day's run records its rows).
COUNT_BY_DAY_SQL = """
WITH written AS ({insert} RETURNING day)
SELECT day, count(*) FROM written GROUP BY day
"""

# Each day recorded as done in the job-run table, so the nightly job and rollup_channels
# skip it as they skip a day they rolled up themselves.
BACKFILL_RUNS_SQL = """
INSERT INTO {runs} AS r
       (job, tenant_id, period, status, started_at, finished_at, rows_touched, error,
        attempts, claimed_by)
SELECT %(job)s, %(tenant)s, to_char(d.day, 'YYYY-MM-DD'), %(succeeded)s, %(started)s, now(),
       COALESCE(w.rows, 0), '', 1, ''
  FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d(day)
  LEFT JOIN unnest(%(days)s::date[], %(rows)s::bigint[]) AS w(day, rows) ON w.day = d.day
ON CONFLICT ON CONSTRAINT job_run_once_per_period DO UPDATE
   SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
       finished_at = EXCLUDED.finished_at, rows_touched = EXCLUDED.rows_touched, error = '',
       attempts = r.attempts + 1
"""


def backfill_rollup(*, first_day: date, last_day: date) -> int:
    """Roll up the current bank's days ``first_day`` to ``last_day`` at once; return the rows.

    Replaces whatever figures those days had. One transaction, as the application role.
    """
    tenant = require_tenant()
    start, _ = rollup.day_bounds(tenant, first_day)
    _, end = rollup.day_bounds(tenant, last_day)
    params = {
        "tenant": tenant.pk,
        "zone": tenant.time_zone,
        "start": start,
        "end": end,
        "first": first_day,
        "last": last_day,
        "transaction": Interaction.Kind.TRANSACTION.value,
        "active": Customer.Status.ACTIVE.value,
        "job": rollup.JOB,
        "succeeded": JobRun.Status.SUCCEEDED.value,
        "started": timezone.now(),
    }
    tables = {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in (
            ("interaction", Interaction),
            ("customer", Customer),
            ("outlet", Outlet),
            ("rollup", DailyChannelRollup),
            ("outlet_rollup", DailyOutletRollup),
            ("population", DailyTierPopulation),
            ("runs", JobRun),
        )
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # The distinct customers of a year of contacts are counted by sorting them.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for name in ("rollup", "outlet_rollup", "population"):
            cursor.execute(
                f"DELETE FROM {tables[name]} "  # noqa: S608 (table names are ours)
                "WHERE tenant_id = %(tenant)s AND day BETWEEN %(first)s AND %(last)s",
                params,
            )
        per_day = Counter()
        for statement in (BACKFILL_CHANNELS_SQL, BACKFILL_OUTLETS_SQL, BACKFILL_POPULATION_SQL):
            cursor.execute(COUNT_BY_DAY_SQL.format(insert=statement.format(**tables)), params)
            per_day.update(dict(cursor.fetchall()))
        days = sorted(per_day)
        cursor.execute(
            BACKFILL_RUNS_SQL.format(**tables),
            {**params, "days": days, "rows": [per_day[day] for day in days]},
        )
    return sum(per_day.values())


def _roll_up(context: GenerationContext, first_day: date) -> None:
    """Fill the analytics' daily roll-up for the generated days."""
    last_day = rollup.yesterday(context.tenant)
    context.progress(f"channel roll-up: {first_day} to {last_day}")
    context.rows["channel roll-up rows"] = backfill_rollup(first_day=first_day, last_day=last_day)
