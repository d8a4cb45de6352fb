"""A few hundred service requests of a generated bank, in every status, with their steps."""

from __future__ import annotations

import random
import zoneinfo
from datetime import datetime, timedelta

from django.utils import timezone

from channels.models import Channel, ServiceRequest, ServiceRequestStep, ServiceRequestType
from customers.models import Customer
from devtools.channels.interactions import Plan
from devtools.channels.profiles import NULL, SOURCE
from devtools.generation import GenerationContext

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


def load_service_requests(
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
        opened_at = _in_business_hours(opened_at, rng).replace(microsecond=0)
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


def _in_business_hours(moment: datetime, rng: random.Random) -> datetime:
    """The latest time in business hours (09:00–16:00, the moment's own zone) not after
    ``moment``: requests are opened while branches are open, and their deadlines (whole
    days) fall in business hours too. Never later, so an overdue request stays overdue."""
    if 9 <= moment.hour < 16:
        return moment
    day = moment.date() if moment.hour >= 16 else moment.date() - timedelta(days=1)
    minute = rng.randrange(9 * 60, 16 * 60)
    return moment.replace(
        year=day.year, month=day.month, day=day.day, hour=minute // 60, minute=minute % 60
    )
