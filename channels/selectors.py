"""Reads of channels for the pages: a customer's timeline and the service-request queues.

The timeline merges two sources, interactions and service-request steps, each read in
keyset order from its own index and both fetched in one query, so a customer with tens of
thousands of contacts costs the same short query per page as one with ten. Queues are
keyset pages too: no OFFSET, no COUNT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Count,
    DecimalField,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import (
    Channel,
    FollowUp,
    Interaction,
    MonthlyServiceCost,
    Outlet,
    ServiceRequest,
    ServiceRequestStep,
)
from crm.api.inputs import MAX_UTC_OFFSET
from crm.paging import InvalidCursor, decode_cursor, encode_cursor
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from crm.tenancy.roles import Role
from customers.models import Customer
from customers.selectors import MonthlyFigureSql, monthly_figure_sql

TIMELINE_PAGE_SIZE = 20
QUEUE_PAGE_SIZE = 25
# The timeline's "kind" filter: the interaction kinds, plus the steps of service requests.
REQUEST_STEPS = "request"


def _key(value) -> tuple[datetime, int]:
    """A (time, id) position from its JSON form; InvalidCursor if it is not one."""
    if not (isinstance(value, list) and len(value) == 2 and type(value[1]) is int):
        raise InvalidCursor(value)
    try:
        moment = datetime.fromisoformat(value[0])
    except (TypeError, ValueError) as error:
        raise InvalidCursor(value) from error
    offset = moment.utcoffset()
    if offset is None or abs(offset) >= MAX_UTC_OFFSET:  # not storable in PostgreSQL
        raise InvalidCursor(value)
    return moment, value[1]


def _older_than(moment: datetime, pk: int) -> Q:
    """Rows after (moment, pk) in newest-first order."""
    # The first condition is what the (…, occurred_at, id) index serves; the second settles ties.
    return Q(occurred_at__lte=moment) & (Q(occurred_at__lt=moment) | Q(id__lt=pk))


# --- the timeline ---------------------------------------------------------------------------

# Where a source's reading stopped: from the newest, after a position, or nothing left.
START, END = None, "end"
INTERACTION, STEP = "interaction", "step"

KIND_LABELS = dict(Interaction.Kind.choices)
DIRECTION_LABELS = dict(Interaction.Direction.choices)
STATUS_LABELS = dict(ServiceRequest.Status.choices)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: an interaction or a step of a service request.

    Read as plain values (see ``timeline_page``) rather than model instances: both sources
    come back in one query.
    """

    source: str
    pk: int
    occurred_at: datetime
    channel_name: str
    staff_name: str | None  # the staff member who served, or
    system_name: str  # the source system / partner when no staff member did
    summary: str
    # interactions
    kind: str = ""
    direction: str = ""
    outlet_name: str | None = None
    outcome: str = ""
    amount: Decimal | None = None
    # steps of service requests
    request_pk: int | None = None
    request_number: str = ""
    request_type_name: str = ""
    from_status: str = ""
    to_status: str = ""
    request_visible: bool = False  # whether the viewer may open the request's page

    @property
    def is_interaction(self) -> bool:
        return self.source == INTERACTION

    @property
    def dom_id(self) -> str:
        return f"{self.source}-{self.pk}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABELS.get(self.direction, self.direction)

    @property
    def status_changed(self) -> bool:
        return bool(self.from_status) and self.from_status != self.to_status

    @property
    def from_status_label(self) -> str:
        return STATUS_LABELS.get(self.from_status, self.from_status)

    @property
    def to_status_label(self) -> str:
        return STATUS_LABELS.get(self.to_status, self.to_status)

    def sort_key(self) -> tuple:
        # Steps before interactions of the same instant, then by id: any fixed order works,
        # since each source keeps its own position in the cursor.
        return (self.occurred_at, self.source == STEP, self.pk)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry] = field(default_factory=list)
    next_cursor: str | None = None


def encode_timeline_cursor(interactions, steps) -> str:
    def position(value):
        if value in (START, END):
            return value
        moment, pk = value
        return [moment.isoformat(), pk]

    return encode_cursor(["timeline", position(interactions), position(steps)])


def decode_timeline_cursor(token: str) -> tuple:
    """Return the (interactions, steps) positions in ``token``; raise InvalidCursor if bad."""
    positions = decode_cursor(token, "timeline")
    if len(positions) != 2:
        raise InvalidCursor(token)
    return tuple(value if value in (START, END) else _key(value) for value in positions)


def request_is_visible(staff: Staff, row: dict, customer: Customer) -> bool:
    """Whether ``staff`` may open the request of a timeline row about ``customer``."""
    return staff.scope.covers_request(
        team_id=row["t_team"],
        owner_id=row["t_owner"],
        home_branch_id=customer.home_branch_id,
        manager_id=customer.relationship_manager_id,
    )


def _newest_first(rows: QuerySet, position, size: int) -> QuerySet:
    """Up to ``size`` rows of ``rows`` after ``position``, newest first, to join afterwards.

    The page's ids are chosen by a query on the table alone, which its index answers in
    order; only those rows are then joined to channel, outlet and staff. Joined in one
    query, the planner may start from the small channel table and read every interaction
    of a channel instead.
    """
    if position is not START:
        rows = rows.filter(_older_than(*position))
    ids = rows.order_by("-occurred_at", "-id").values("id")[:size]
    return rows.model.objects.filter(id__in=ids)


def interaction_rows(
    customer: Customer,
    *,
    kind: str = "",
    channel_ids: list[int] | None = None,
    position=START,
    size: int = TIMELINE_PAGE_SIZE + 1,
) -> QuerySet:
    """The customer's interactions for one timeline page, as the timeline's columns."""
    # Served by the (tenant, customer, -occurred_at, -id) index: the ScopedManager adds the
    # tenant, so row-level security does not stop the planner from using it.
    rows = Interaction.objects.filter(customer_id=customer.pk)
    if kind:
        rows = rows.filter(kind=kind)
    if channel_ids is not None:
        rows = rows.filter(channel_id__in=channel_ids)
    return _newest_first(rows, position, size).values(
        t_source=Value(INTERACTION),
        t_id=F("id"),
        t_at=F("occurred_at"),
        t_channel=F("channel__name"),
        t_staff=F("staff__name"),
        t_system=F("source"),
        t_summary=F("summary"),
        t_kind=F("kind"),
        t_direction=F("direction"),
        t_outlet=F("outlet__name"),
        t_outcome=F("outcome"),
        t_amount=F("amount"),
        t_request=Value(None, output_field=BigIntegerField()),
        t_number=Value("", output_field=CharField()),
        t_type=Value("", output_field=CharField()),
        t_team=Value(None, output_field=BigIntegerField()),
        t_owner=Value(None, output_field=BigIntegerField()),
        t_from=Value("", output_field=CharField()),
        t_to=Value("", output_field=CharField()),
    )


def request_step_rows(
    customer: Customer,
    *,
    channel_ids: list[int] | None = None,
    position=START,
    size: int = TIMELINE_PAGE_SIZE + 1,
) -> QuerySet:
    """The steps of the customer's service requests for one page, as the timeline's columns."""
    # The request's tenant condition lets the planner reach the customer's requests through
    # their (tenant, customer) index under row-level security.
    rows = ServiceRequestStep.objects.filter(
        request__tenant_id=customer.tenant_id, request__customer_id=customer.pk
    )
    if channel_ids is not None:
        rows = rows.filter(channel_id__in=channel_ids)
    return _newest_first(rows, position, size).values(
        t_source=Value(STEP),
        t_id=F("id"),
        t_at=F("occurred_at"),
        t_channel=F("channel__name"),
        t_staff=F("staff__name"),
        t_system=F("partner_name"),
        t_summary=F("note"),
        t_kind=Value("", output_field=CharField()),
        t_direction=Value("", output_field=CharField()),
        t_outlet=Value(None, output_field=CharField()),
        t_outcome=Value("", output_field=CharField()),
        t_amount=Value(None, output_field=DecimalField()),
        t_request=F("request_id"),
        t_number=F("request__number"),
        t_type=F("request__request_type__name"),
        t_team=F("request__team_id"),
        t_owner=F("request__owner_id"),
        t_from=F("from_status"),
        t_to=F("to_status"),
    )


def _entry(row: dict, staff: Staff, customer: Customer) -> TimelineEntry:
    return TimelineEntry(
        source=row["t_source"],
        pk=row["t_id"],
        occurred_at=row["t_at"],
        channel_name=row["t_channel"],
        staff_name=row["t_staff"],
        system_name=row["t_system"],
        summary=row["t_summary"],
        kind=row["t_kind"],
        direction=row["t_direction"],
        outlet_name=row["t_outlet"],
        outcome=row["t_outcome"],
        amount=row["t_amount"],
        request_pk=row["t_request"],
        request_number=row["t_number"],
        request_type_name=row["t_type"],
        from_status=row["t_from"],
        to_status=row["t_to"],
        request_visible=row["t_source"] == STEP and request_is_visible(staff, row, customer),
    )


def timeline_page(
    staff: Staff,
    customer: Customer,
    *,
    channel_kind: str = "",
    kind: str = "",
    after: str = "",
    size: int = TIMELINE_PAGE_SIZE,
) -> TimelinePage:
    """One page of the customer's contacts from every channel, newest first.

    Each source, interactions and request steps, gives at most ``size + 1`` rows in keyset
    order from its own index; both come back in one UNION ALL query, are merged here, and
    ``size`` are kept. The cursor remembers where each source stopped, so no entry is shown
    twice or skipped. ``channel_kind`` is a ``Channel.Kind``; ``kind`` an
    ``Interaction.Kind`` or ``REQUEST_STEPS``; ``after`` a cursor the form has checked.
    """
    interactions_at, steps_at = decode_timeline_cursor(after) if after else (START, START)
    if kind == REQUEST_STEPS:
        interactions_at = END
    elif kind:
        steps_at = END
    # The bank's few channels of that kind, as ids: a plain condition on each source's rows.
    channel_ids = None
    if channel_kind:
        channel_ids = list(Channel.objects.filter(kind=channel_kind).values_list("id", flat=True))

    sources = []
    if interactions_at != END:
        sources.append(
            interaction_rows(
                customer,
                kind=kind,
                channel_ids=channel_ids,
                position=interactions_at,
                size=size + 1,
            )
        )
    if steps_at != END:
        sources.append(
            request_step_rows(customer, channel_ids=channel_ids, position=steps_at, size=size + 1)
        )
    rows = []
    if sources:
        query = sources[0].union(*sources[1:], all=True) if len(sources) > 1 else sources[0]
        rows = list(query)
    merged = sorted(
        (_entry(row, staff, customer) for row in rows), key=TimelineEntry.sort_key, reverse=True
    )
    shown = merged[:size]

    def position_after(previous, source: str):
        if previous == END:
            return END
        fetched = sum(1 for entry in merged if entry.source == source)
        consumed = [entry for entry in shown if entry.source == source]
        # Everything read was shown: more exist only if the read was cut at size + 1.
        if len(consumed) == fetched and fetched <= size:
            return END
        if not consumed:
            return previous
        return (consumed[-1].occurred_at, consumed[-1].pk)

    next_interactions = position_after(interactions_at, INTERACTION)
    next_steps = position_after(steps_at, STEP)
    page = TimelinePage(entries=shown)
    if next_interactions != END or next_steps != END:
        page.next_cursor = encode_timeline_cursor(next_interactions, next_steps)
    return page


# --- service requests -----------------------------------------------------------------------


def get_request_or_404(staff: Staff, pk: int) -> ServiceRequest:
    """The request with ``pk`` if ``staff`` may see it and its customer; 404 otherwise."""
    request = (
        ServiceRequest.objects.in_scope(staff)
        .select_related("request_type", "customer", "owner", "team", "opened_channel")
        .defer(
            "customer__id_number_encrypted",
            "customer__phone_encrypted",
            "customer__id_number_index",
            "customer__phone_index",
        )
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


def request_history(request: ServiceRequest) -> list[ServiceRequestStep]:
    """Every step of the request, oldest first, with the channel it happened in."""
    return list(request.steps.select_related("channel", "staff").order_by("occurred_at", "id"))


OPEN_STATUSES = [
    status
    for status in ServiceRequest.Status.values
    if status not in ServiceRequest.CLOSED_STATUSES
]


class Queue:
    MINE = "mine"
    TEAM = "team"
    OVERDUE = "overdue"
    CLOSED = "closed"

    LABELS = {
        MINE: _("My requests"),
        TEAM: _("My team's"),
        OVERDUE: _("Overdue"),
        CLOSED: _("Closed"),
    }


# Roles whose holders work requests themselves: they start from their own.
REQUEST_HANDLERS = frozenset({Role.RELATIONSHIP_MANAGER, Role.TELLER, Role.COMPLAINT_HANDLER})


def default_queue(staff: Staff) -> str:
    """The tab a staff member lands on.

    Those who handle requests start from their own; a branch manager, and everyone who
    oversees rather than handles (auditors, risk, administrators), from the open requests
    of their branches, where an empty "my requests" tab would tell them nothing.
    """
    if staff.role_codes & REQUEST_HANDLERS and not staff.has_role(Role.BRANCH_MANAGER):
        return Queue.MINE
    return Queue.TEAM


def request_queue(staff: Staff, queue: str, *, now: datetime | None = None) -> QuerySet:
    """Requests of one queue: open ones (mine, my team's, overdue), or the closed ones."""
    requests = ServiceRequest.objects.in_scope(staff)
    if queue == Queue.CLOSED:
        # closed_at is set exactly when a request closes: the condition lets the planner use
        # the partial (tenant, closed_at, id) index, already in the order of the tab.
        requests = requests.filter(
            status__in=ServiceRequest.CLOSED_STATUSES, closed_at__isnull=False
        )
    else:
        # The open statuses by name rather than "not closed": the planner can then read each
        # status's range of the (tenant, status, due_at) index already in due order.
        requests = requests.filter(status__in=OPEN_STATUSES)
    if queue == Queue.MINE:
        requests = requests.filter(owner=staff)
    elif queue == Queue.OVERDUE:
        requests = requests.filter(due_at__lt=now or timezone.now())
    elif queue not in (Queue.TEAM, Queue.CLOSED):
        raise ValueError(queue)
    return _for_the_list(requests)


def _for_the_list(requests: QuerySet) -> QuerySet:
    return requests.select_related(
        "request_type", "customer", "owner", "team", "opened_channel"
    ).defer(
        "customer__id_number_encrypted",
        "customer__phone_encrypted",
        "customer__id_number_index",
        "customer__phone_index",
    )


def normalize_request_number(text: str) -> str:
    """A request number as staff type or read it: any case and spacing, the SR optional."""
    number = "".join(text.split()).upper()
    return f"SR{number}" if number.isdigit() else number


def requests_numbered(staff: Staff, number: str) -> list[ServiceRequest]:
    """The request with this exact number if ``staff`` may see it, whatever its status.

    Exact, not a prefix: the (tenant, number) unique index answers it under row-level
    security, where a LIKE could not use an index.
    """
    return list(_for_the_list(ServiceRequest.objects.in_scope(staff).filter(number=number)))


@dataclass
class QueuePage:
    requests: list[ServiceRequest]
    next_cursor: str | None = None


def _queue_position(queue: str, request: ServiceRequest) -> datetime:
    # Open queues: the most urgent (earliest due) first; closed: the latest closed first.
    return request.closed_at if queue == Queue.CLOSED else request.due_at


def encode_queue_cursor(queue: str, request: ServiceRequest) -> str:
    return encode_cursor([queue, _queue_position(queue, request).isoformat(), request.pk])


def decode_queue_cursor(queue: str, token: str) -> tuple[datetime, int]:
    position = decode_cursor(token, queue)
    if len(position) != 2:
        raise InvalidCursor(token)
    return _key(position)


def queue_page(
    queryset: QuerySet, queue: str, *, after: str = "", size: int = QUEUE_PAGE_SIZE
) -> QueuePage:
    """One page of a queue: open ones the earliest due first, closed ones the latest first."""
    if queue == Queue.CLOSED:
        if after:
            closed_at, pk = decode_queue_cursor(queue, after)
            queryset = queryset.filter(
                Q(closed_at__lte=closed_at) & (Q(closed_at__lt=closed_at) | Q(id__lt=pk))
            )
        queryset = queryset.order_by("-closed_at", "-id")
    else:
        if after:
            due_at, pk = decode_queue_cursor(queue, after)
            queryset = queryset.filter(
                Q(due_at__gte=due_at) & (Q(due_at__gt=due_at) | Q(id__gt=pk))
            )
        queryset = queryset.order_by("due_at", "id")
    rows = list(queryset[: size + 1])
    page = QueuePage(requests=rows[:size])
    if len(rows) > size:
        page.next_cursor = encode_queue_cursor(queue, rows[size - 1])
    return page


# --- choices --------------------------------------------------------------------------------


def active_channels() -> QuerySet:
    """The bank's active channels, counter and phone first (the usual ones at a branch)."""
    usual_first = Case(
        When(kind=Channel.Kind.COUNTER, then=Value(0)),
        When(kind=Channel.Kind.PHONE, then=Value(1)),
        default=Value(2),
    )
    return Channel.objects.filter(is_active=True).order_by(usual_first, "code")


def channel_of_kind(channels: list[Channel], kind: str) -> Channel | None:
    return next((channel for channel in channels if channel.kind == kind), None)


@dataclass(frozen=True)
class Workplace:
    """Where a staff member serves customers: a kind of channel, and the outlet if any."""

    channel_kind: str
    outlet_id: int | None = None


def workplace_of(staff: Staff) -> Workplace:
    """Where ``staff`` serves customers, as the bank has placed them.

    Tellers serve at the counter. Otherwise a staffed outlet (not an ATM, terminal or POS)
    at the staff member's own branch says it: a branch's counter, or a call center the bank
    runs as an outlet of its phone channel. Without one, staff of a branch or sub-branch
    serve at the counter, and the head office's (complaint handlers, back office) by phone.
    """
    outlets: list[tuple[int, str]] = []
    if staff.branch_id is not None:
        outlets = list(
            Outlet.objects.filter(
                branch_id=staff.branch_id,
                kind=Outlet.Kind.BRANCH_OUTLET,
                is_active=True,
                channel__is_active=True,
            )
            .order_by("code")
            .values_list("id", "channel__kind")
        )
    if staff.has_role(Role.TELLER):
        kind = Channel.Kind.COUNTER
    elif outlets:
        kind = outlets[0][1]
    elif staff.branch is not None and not staff.branch.is_head_office:
        kind = Channel.Kind.COUNTER
    else:
        kind = Channel.Kind.PHONE
    outlet_id = next((pk for pk, outlet_kind in outlets if outlet_kind == kind), None)
    return Workplace(channel_kind=kind, outlet_id=outlet_id)


def default_channel(workplace: Workplace, channels: list[Channel]) -> Channel | None:
    """The channel a staff member acts in by default: the one of their workplace."""
    return channel_of_kind(channels, workplace.channel_kind) or (channels[0] if channels else None)


# --- cost to serve, for value scoring -----------------------------------------------------


def monthly_service_costs(month: date) -> QuerySet[MonthlyServiceCost]:
    """The current bank's costs to serve of ``month`` (its first day), one row per customer
    with a contact that month; a customer without a row cost nothing to serve.

    Complete once the roll-up of the month's last day has run (``channels.rollup``).
    """
    return MonthlyServiceCost.objects.filter(tenant_id=require_tenant().pk, month=month)


def monthly_service_cost_sql(
    month: date, *, alias: str = "c", name: str = "service_cost"
) -> MonthlyFigureSql:
    """Each customer's cost to serve of ``month`` (0 without a contact) as parts of a
    set-based statement over customers ``alias``, e.g. value scoring's::

        figure = monthly_service_cost_sql(month)
        INSERT INTO scores (...)
        SELECT c.id, ..., {figure.value} AS cost_to_serve
          FROM customers_customer c {figure.join}
         WHERE c.tenant_id = %(tenant)s AND c.id BETWEEN %(low)s AND %(high)s

    executed with ``{**params, **figure.params}``. Each customer is one probe of the unique
    index (tenant, month, customer), so a pass over a range of ids reads only its rows.
    """
    return monthly_figure_sql(MonthlyServiceCost, "cost", month, alias=alias, name=name)


# --- follow-ups --------------------------------------------------------------------------------

MY_FOLLOW_UPS = 300  # open follow-ups one page lists: a busy manager's quarter
TEAM_OVERDUE = 100
COMPLETION_DAYS = 30


def get_follow_up_or_404(staff: Staff, pk: int) -> FollowUp:
    """The follow-up with ``pk`` if ``staff`` may see it (its customer, or it is theirs); 404
    otherwise, never 403."""
    follow_up = (
        FollowUp.objects.in_scope(staff)
        .select_related("customer", "owner", "preferred_channel", "interaction")
        .filter(pk=pk)
        .first()
    )
    if follow_up is None:
        raise Http404
    return follow_up


@dataclass
class MyFollowUps:
    overdue: list[FollowUp]
    today: list[FollowUp]
    upcoming: list[FollowUp]


def my_follow_ups(staff: Staff, *, now: datetime | None = None) -> MyFollowUps:
    """The staff member's open follow-ups, overdue, due today (in the bank's time zone, the
    one active for the request) and later: one query on the owner's open index."""
    now = now or timezone.now()
    rows = list(
        FollowUp.objects.in_scope(staff)
        .open()
        .filter(owner=staff)
        .select_related("customer", "preferred_channel")
        .order_by("due_at", "id")[:MY_FOLLOW_UPS]
    )
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    end_of_today = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    return MyFollowUps(
        overdue=[row for row in rows if row.due_at < now],
        today=[row for row in rows if now <= row.due_at < end_of_today],
        upcoming=[row for row in rows if row.due_at >= end_of_today],
    )


def customer_follow_ups(staff: Staff, customer: Customer, *, size: int = 20) -> list[FollowUp]:
    """The customer's follow-ups the viewer may see, latest due first (the panel's one query)."""
    return list(
        FollowUp.objects.in_scope(staff)
        .filter(customer=customer)
        .select_related("owner")
        .order_by("-due_at", "-id")[:size]
    )


@dataclass
class TeamMember:
    owner_id: int
    name: str
    open: int
    overdue: int
    due: int  # due in the last COMPLETION_DAYS days, not cancelled
    done: int  # of those, done

    @property
    def completion_rate(self) -> float | None:
        return self.done / self.due if self.due else None


def team_follow_ups(staff: Staff, *, now: datetime | None = None) -> list[TeamMember]:
    """Per owner in the manager's scope: open and overdue follow-ups, and how many of those
    due in the last 30 days were done (one grouped query)."""
    now = now or timezone.now()
    since = now - timedelta(days=COMPLETION_DAYS)
    is_open = Q(status=FollowUp.Status.OPEN)
    recent = Q(due_at__gte=since, due_at__lt=now) & ~Q(status=FollowUp.Status.CANCELLED)
    rows = (
        FollowUp.objects.in_scope(staff)
        .filter(is_open | Q(due_at__gte=since, due_at__lt=now))
        .values("owner_id", "owner__name")
        .annotate(
            open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=is_open & Q(due_at__lt=now)),
            due=Count("pk", filter=recent),
            done=Count("pk", filter=recent & Q(status=FollowUp.Status.DONE)),
        )
        .order_by("owner__name", "owner_id")
    )
    return [
        TeamMember(
            owner_id=row["owner_id"],
            name=row["owner__name"],
            open=row["open"],
            overdue=row["overdue"],
            due=row["due"],
            done=row["done"],
        )
        for row in rows
    ]


def team_overdue(staff: Staff, *, now: datetime | None = None) -> list[FollowUp]:
    """The scope's overdue follow-ups, the longest overdue first: what a manager reassigns."""
    return list(
        FollowUp.objects.in_scope(staff)
        .overdue(now)
        .select_related("customer", "owner")
        .order_by("due_at", "id")[:TEAM_OVERDUE]
    )
