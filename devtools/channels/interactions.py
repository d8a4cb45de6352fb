"""The contacts of a generated bank, made the way the customers are.

In worker processes, chunk by chunk, deterministic for a seed, as COPY text streamed into
``channels_interaction`` while its secondary indexes and foreign keys are off (the
generator's load window). Per customer:

- a channel mix by who the customer is (``profiles.PROFILES``): mobile banking first for
  the young, the counter and phone for the elderly, online banking for companies;
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
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate

from django.utils import timezone

from channels.models import Channel, Interaction, Outlet
from crm.tenancy.roles import Role
from customers.models import Customer
from devtools.channels.outlets import branches_with_outlets
from devtools.channels.profiles import (
    AMOUNT_SPREAD,
    ATM_LIMIT_FEN,
    ATM_NOTE_FEN,
    CHANNEL_CODES,
    CONTACTS,
    CORPORATE_AMOUNTS,
    DORMANT_DAYS,
    HOME_OUTLET_SHARE,
    HOURS,
    NULL,
    OUTBOUND_KINDS,
    OUTCOMES,
    PROFILES,
    SOURCE,
)
from devtools.customers.generation import organisation_of
from devtools.generation import GenerationContext
from devtools.workers import made_in_workers

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


def make_plan(context: GenerationContext, channels: dict[str, Channel], outlets) -> Plan:
    tenant = context.tenant
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    # Up to yesterday in the bank's time zone: the last day the nightly roll-up covers.
    yesterday = timezone.localdate(timezone=zone) - timedelta(days=1)
    first_day = yesterday - timedelta(days=DAYS - 1)
    days = [first_day + timedelta(days=number) for number in range(DAYS)]

    def offset(day: date) -> str:
        # At noon: a bank in a zone with summer time changes its offset at night.
        text = datetime(day.year, day.month, day.day, 12, tzinfo=zone).strftime("%z")
        return f"{text[:3]}:{text[3:]}"

    branches = branches_with_outlets(context)
    with_outlets = {branch.pk for branch in branches}
    children = defaultdict(list)
    for branch in branches:
        children[branch.parent_id].append(branch.pk)
    organisation = organisation_of(context)
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
        per_customer=context.options["interactions_per_customer"],
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


def load_interactions(context: GenerationContext, plan: Plan) -> list[int]:
    """COPY the contacts in; return the customers picked for service requests."""
    total = context.rows["customers"] * plan.per_customer
    size = max(1, ROWS_PER_CHUNK // plan.per_customer)
    chunks = -(-context.rows["customers"] // size)
    requests = _Reservoir(min(MAX_REQUESTS, max(10, context.rows["customers"] // 200)), plan.seed)
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
