"""Demo contacts: each demo customer's history across channels, and service requests in
progress, some overdue. Deterministic; only added when the bank has no interactions yet."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels import rollup
from channels.catalog import ensure_standard_catalog
from channels.models import Channel, Interaction, Outlet, ServiceRequest, ServiceRequestType
from channels.services import contact_hold_place, service_request_move, service_request_open
from crm.shell.demo import DemoBank
from crm.tenancy.models import Branch, Staff, Tenant
from customers.models import Customer

OUTLET_MODELS = [
    Outlet.Model.COMMUNITY,
    Outlet.Model.BUSINESS_DISTRICT,
    Outlet.Model.CAMPUS,
    Outlet.Model.CONVENIENCE,
]
# What happens where: channel code → (kind, summaries).
CONTACTS = {
    "COUNTER": ("transaction", ["现金存款", "大额取现", "开立定期存单", "挂失补卡"]),
    "ATM": ("transaction", ["ATM取款", "ATM存款", "自助转账"]),
    "POS": ("transaction", ["商户消费", "超市购物"]),
    "PHONE": ("enquiry", ["咨询理财产品收益", "查询信用卡账单", "咨询贷款利率"]),
    "ONLINE": ("transaction", ["网银转账", "缴纳水电费"]),
    "MOBILE": ("transaction", ["手机银行转账", "购买理财", "信用卡还款", "扫码支付"]),
    "WECHAT": ("enquiry", ["微信银行查询余额", "预约网点取号"]),
    "SMS": ("marketing", ["理财产品到期提醒", "新客户专属存款利率活动"]),
}
# Local hours (from, until) of each channel's contacts: counters and the phone in business
# hours, self-service and electronic channels in the waking hours.
HOURS = {
    "COUNTER": (9, 17),
    "PHONE": (9, 18),
    "SMS": (9, 20),
    "ATM": (7, 23),
    "POS": (8, 22),
    "ONLINE": (7, 23),
    "MOBILE": (7, 23),
    "WECHAT": (7, 23),
}
# The system that reports a contact nobody of the bank served (no staff member to name).
CORE_SYSTEM = "核心系统"
SYSTEMS = {"PHONE": "呼叫中心", "SMS": "短信平台"}
# Mobile-first customers: most contacts are electronic, as in the source papers (>80 %).
CHANNEL_WEIGHTS = {
    "COUNTER": 10,
    "ATM": 12,
    "POS": 10,
    "PHONE": 6,
    "ONLINE": 12,
    "MOBILE": 38,
    "WECHAT": 8,
    "SMS": 4,
}


def load_channels(tenant: Tenant, bank: DemoBank) -> None:
    ensure_standard_catalog(tenant)
    if Interaction.objects.exists():
        return
    rng = random.Random(f"{bank.code}-channels")
    channels = {channel.code: channel for channel in Channel.objects.all()}
    outlets = _ensure_outlets(tenant, channels)
    staff = {s.username.split("_", 1)[1]: s for s in Staff.objects.filter(is_active=True)}
    customers = list(Customer.objects.select_related("relationship_manager").order_by("number"))
    now = timezone.now()
    local = ZoneInfo(tenant.time_zone)
    counter_staff = _counter_staff(staff)
    interactions = []
    for index, customer in enumerate(customers):
        for number in range(rng.randint(8, 30)):
            code = rng.choices(list(CHANNEL_WEIGHTS), weights=CHANNEL_WEIGHTS.values())[0]
            kind, summaries = CONTACTS[code]
            served_by, outlet, source = None, None, SYSTEMS.get(code, CORE_SYSTEM)
            if code == "COUNTER":
                # At the home sub-branch's counter, served by someone who works there; where
                # the demo has nobody there, the customer came to the teller's counter.
                served_by = counter_staff.get(customer.home_branch_id) or staff.get("teller")
                outlet = outlets["COUNTER"].get(served_by.branch_id) if served_by else None
                source = ""
            elif code == "ATM":
                outlet = rng.choice(list(outlets["ATM"].values()))
            elif code == "PHONE" and customer.relationship_manager is not None:
                served_by, source = customer.relationship_manager, ""
            opening, closing = HOURS[code]
            interactions.append(
                Interaction(
                    tenant=tenant,
                    customer=customer,
                    channel=channels[code],
                    outlet=outlet,
                    staff=served_by,
                    kind=kind,
                    direction="outbound" if code == "SMS" else "inbound",
                    summary=rng.choice(summaries),
                    outcome="已办结" if kind == "transaction" else "已答复",
                    amount=(Decimal(rng.randrange(5_000, 2_000_000)) / 100)
                    if kind == "transaction"
                    else None,
                    occurred_at=local_moment(
                        rng, now, local, rng.randint(0, 120), opening=opening, closing=closing
                    ),
                    source=source or "demo",
                    external_id=f"{bank.code}-{index}-{number}",
                )
            )
    Interaction.objects.bulk_create(interactions, batch_size=2000)
    _open_requests(rng, channels, staff, customers, now, local)
    _place_holds(customers, now)
    # The analytics pages read the daily roll-up: fill it for the demo's four months.
    yesterday = rollup.yesterday(tenant)
    for days_back in range(121, 0, -1):
        rollup.rollup_day_once(day=yesterday - timedelta(days=days_back - 1))


def _ensure_outlets(tenant, channels) -> dict[str, dict[int, Outlet]]:
    """Each sub-branch's counter and ATM, by branch id."""
    outlets: dict[str, dict[int, Outlet]] = {"COUNTER": {}, "ATM": {}}
    for position, branch in enumerate(Branch.objects.filter(kind=Branch.Kind.SUB_BRANCH)):
        counter, _created = Outlet.objects.get_or_create(
            tenant=tenant,
            code=f"{branch.code}-OUT",
            defaults={
                "channel": channels["COUNTER"],
                "branch": branch,
                "name": f"{branch.name}营业厅",
                "kind": Outlet.Kind.BRANCH_OUTLET,
                "outlet_model": OUTLET_MODELS[position % len(OUTLET_MODELS)],
                "location": branch.address,
            },
        )
        atm, _created = Outlet.objects.get_or_create(
            tenant=tenant,
            code=f"{branch.code}-ATM1",
            defaults={
                "channel": channels["ATM"],
                "branch": branch,
                "name": f"{branch.name}自助银行",
                "kind": Outlet.Kind.ATM,
                "location": branch.address,
            },
        )
        outlets["COUNTER"][branch.pk] = counter
        outlets["ATM"][branch.pk] = atm
    return outlets


def _counter_staff(staff: dict[str, Staff]) -> dict[int, Staff]:
    """Who serves at each sub-branch's counter: its teller, else another of its staff."""
    serving: dict[int, Staff] = {}
    for suffix in ("teller", "rm", "rm2"):
        member = staff.get(suffix)
        if member is not None and member.branch_id is not None:
            serving.setdefault(member.branch_id, member)
    return serving


def local_moment(
    rng: random.Random,
    now: datetime,
    zone: ZoneInfo,
    days_back: int,
    *,
    opening: int,
    closing: int,
) -> datetime:
    """A moment ``days_back`` days ago between ``opening`` and ``closing`` o'clock in the
    bank's time zone (business hours where people serve), never after ``now``."""
    day = now.astimezone(zone).date() - timedelta(days=days_back)
    minute = rng.randrange(opening * 60, closing * 60)
    moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    while moment > now:
        moment -= timedelta(days=1)
    return moment


def _open_requests(rng, channels, staff, customers, now, local) -> None:
    types = {t.code: t for t in ServiceRequestType.objects.all()}
    plan = [
        # type, opened in, days ago, moves (status, channel)
        ("LOAN_APPLICATION", "MOBILE", 2, [("accepted", "PHONE"), ("in_progress", "COUNTER")]),
        ("LOAN_APPLICATION", "PHONE", 9, [("accepted", "COUNTER")]),  # overdue
        ("CARD_REPLACEMENT", "COUNTER", 1, []),
        ("CARD_REPLACEMENT", "WECHAT", 6, [("accepted", "COUNTER")]),  # overdue
        ("ADDRESS_CHANGE", "ONLINE", 0, []),
        (
            "ACCOUNT_OPENING",
            "MOBILE",
            5,
            [("accepted", "COUNTER"), ("in_progress", "COUNTER"), ("completed", "COUNTER")],
        ),
        (
            "LIMIT_INCREASE",
            "PHONE",
            3,
            [("accepted", "PHONE"), ("in_progress", "PHONE"), ("waiting_customer", "PHONE")],
        ),
    ]
    teller = staff.get("teller")
    for position, (type_code, opened_in, days_ago, moves) in enumerate(plan):
        customer = customers[(position * 7) % len(customers)]
        request = service_request_open(
            request_type=types[type_code],
            customer=customer,
            channel=channels[opened_in],
            summary=f"{types[type_code].name}：{customer.name}",
            partner_name="" if opened_in == "COUNTER" else channels[opened_in].name,
            actor=teller if opened_in == "COUNTER" else None,
            # Opened in business hours, so that deadlines (whole days) fall in them too.
            opened_at=local_moment(rng, now, local, days_ago, opening=9, closing=16),
        )
        for status, channel_code in moves:
            request = service_request_move(
                request=request,
                to_status=status,
                channel=channels[channel_code],
                # At the counter the teller; by phone the customer's own manager.
                actor=teller
                if channel_code == "COUNTER"
                else customer.relationship_manager or staff.get("rm"),
                note="",
            )
    assert ServiceRequest.objects.overdue().exists()


def _place_holds(customers, now) -> None:
    """A few customers held back from marketing, as risk and complaints will hold them."""
    for customer, reason, days in zip(
        customers[5:8],
        ["客户投诉处理中，暂停营销", "贷款逾期预警，暂停营销", "客户要求冷静期内不再推销"],
        [15, 30, 7],
        strict=False,
    ):
        contact_hold_place(
            customer=customer, reason=reason, source="demo", until=now + timedelta(days=days)
        )
