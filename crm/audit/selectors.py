"""The audit trail of one tenant: changes recorded by triggers, and logins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Func, OuterRef, Subquery, Value, Window
from django.db.models.functions import Collate, JSONObject, Lag
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from crm.audit.models import FeedBatch, LoginEvent, PersonalDataAccess
from crm.tenancy.models import (
    BY_PEOPLE,
    Branch,
    PartnerApplication,
    Staff,
    StaffRole,
    Tenant,
)
from crm.tenancy.roles import Role

EVENT_LABELS = {
    "insert": _("Created"),
    "update": _("Changed"),
    "delete": _("Deleted"),
    "password_change": _("Password changed"),
    "role_granted": _("Role granted"),
    "role_revoked": _("Role revoked"),
}

# Tracked models whose history auditors read, with the fields worth showing them.
AUDITED_FIELDS: dict[type[models.Model], list[str]] = {
    Tenant: ["name", "short_name", "time_zone", "rm_scope", "is_active"],
    Branch: ["parent", "code", "name", "kind", "address", "is_active"],
    Staff: ["username", "name", "employee_number", "email", "branch", "is_active"],
    StaffRole: ["staff", "group"],
    PartnerApplication: ["name", "client_id", "scope", "is_active", "allowed_networks"],
}


# The event columns (paths from the event) that hold the customer a tracked model's row is
# about: the trail's customer filter reads them. Models absent here concern no customer.
CUSTOMER_PATHS: dict[type[models.Model], list[str]] = {}

# The relation whose row names an event in the trail (a step by its request), by model.
SUBJECT_FIELDS: dict[type[models.Model], str] = {}

# Finds the customer an auditor names in the trail's filter (customers registers it: crm
# knows no customer model). Given the auditor and what they typed; None if none matches.
CustomerLookup = Callable[[Staff, str], models.Model | None]
_customer_lookups: list[CustomerLookup] = []


def register_audited_model(
    model: type[models.Model],
    fields: list[str],
    *,
    customer: Sequence[str] = (),
    subject: str = "",
) -> None:
    """Let another app put a tracked model's changes in the auditors' trail.

    ``customer`` names the event columns that hold the customer the row is about ("pgh_obj"
    for the customer itself, "request__customer" through a relation); ``subject`` a relation
    field (one of ``fields``) whose row names the entry.
    """
    AUDITED_FIELDS[model] = fields
    if customer:
        CUSTOMER_PATHS[model] = list(customer)
    if subject:
        SUBJECT_FIELDS[model] = subject


def register_customer_lookup(lookup: CustomerLookup) -> None:
    """Let the customers app resolve the trail's customer filter."""
    _customer_lookups[:] = [lookup]


def find_customer(staff: Staff, text: str) -> models.Model | None:
    """The customer ``staff`` names with ``text`` in the trail's filter, if any."""
    for lookup in _customer_lookups:
        return lookup(staff, text)
    return None


def customer_filter_available() -> bool:
    return bool(_customer_lookups)


def record_type_choices() -> list[tuple[str, str]]:
    """The audited kinds of record, by label ("customers.customer"), for the trail's filter."""
    choices = [(m._meta.label_lower, str(m._meta.verbose_name_plural)) for m in AUDITED_FIELDS]
    return sorted(choices, key=lambda choice: choice[1])


def audited_model(label: str) -> type[models.Model] | None:
    for model in AUDITED_FIELDS:
        if model._meta.label_lower == label:
            return model
    return None


@dataclass(frozen=True)
class TrailPosition:
    """Where a page of the trail ends: its last entry's (time, table, id).

    Entries are ordered newest first by that triple: the events of one transaction share
    their time (an import of 1,440 rows), and ids of different tables may be equal, so
    neither time alone nor (time, id) is a position.
    """

    occurred_at: datetime
    table: str
    row_id: int


@dataclass
class AuditEntry:
    occurred_at: datetime
    category: str  # "change", "login", "access" or "feed"
    action: str
    subject_type: str
    subject: str
    actor: str
    source: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    table: str = ""  # label of the table the entry comes from ("audit.loginevent")
    row_id: int = 0

    @property
    def position(self) -> TrailPosition:
        return TrailPosition(self.occurred_at, self.table, self.row_id)


@dataclass
class TrailFilters:
    """What the auditor narrowed the trail to; the empty filter is the default view."""

    category: str = ""
    after: datetime | None = None
    before: datetime | None = None  # exclusive bound of the date filter
    position: TrailPosition | None = None  # show what comes after this entry
    staff: Staff | None = None  # who acted
    customer: models.Model | None = None  # whom the record is about
    record_type: str = ""  # a tracked model's label
    include_system: bool = False  # jobs' rows (no person, no partner) too


def _after_position(
    table: str, position: TrailPosition | None, *, time: str, row_id: str
) -> models.Q:
    """The rows of ``table`` that come after ``position`` in the trail's order.

    Spelt so that an index on (tenant, time, id) serves it: a bound on the time, then the
    id among the rows sharing the position's time.
    """
    if position is None:
        return models.Q()
    at = position.occurred_at
    if table > position.table:  # at equal times this table's rows come before the position's
        return models.Q(**{f"{time}__lt": at})
    if table < position.table:
        return models.Q(**{f"{time}__lte": at})
    return models.Q(**{f"{time}__lte": at}) & (
        models.Q(**{f"{time}__lt": at}) | models.Q(**{f"{row_id}__lt": position.row_id})
    )


def _in_dates(filters: TrailFilters, time: str) -> models.Q:
    condition = models.Q()
    if filters.after is not None:
        condition &= models.Q(**{f"{time}__gte": filters.after})
    if filters.before is not None:
        condition &= models.Q(**{f"{time}__lt": filters.before})
    return condition


def _newest_first(entry: AuditEntry) -> tuple[datetime, str, int]:
    return entry.occurred_at, entry.table, entry.row_id


# pghistory.track() makes each tracked model's event model at run time: mypy sees no class
# for it, so events and their fields are Any here.
RelatedNames = dict[tuple[type[models.Model], Any], str]


def _event_model(tracked: type[models.Model]) -> Any:
    return tracked.pgh_event_model  # type: ignore[attr-defined]  # added by pghistory.track()


def _display(value: object, related_names: RelatedNames, field_obj: Any) -> str:
    if value is None or value == "":
        return "—"
    if field_obj.is_relation:
        return related_names.get((field_obj.related_model, value), f"#{value}")
    if field_obj.choices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


def _name_of(obj: models.Model) -> str:
    if isinstance(obj, Group) and obj._meta.label_lower == "auth.group":
        return str(Role(obj.name).label) if obj.name in Role.values else obj.name
    return str(obj)


def _related_ids(
    events: Iterable[Any], fields: list[Any], *, prefixes: Iterable[str] = ("",)
) -> dict[type[models.Model], set[Any]]:
    """The ids, by model, that the events' relation fields (read under each prefix) hold."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for event in events:
        for f in fields:
            if f.is_relation:
                for prefix in prefixes:
                    value = getattr(event, prefix + f.attname)
                    if value is not None:
                        wanted[f.related_model].add(value)
    return wanted


def _rows_for_trail(model: type[models.Model], tenant: Tenant) -> models.QuerySet[Any]:
    rows: models.QuerySet[Any] = model._default_manager.all()
    # Through the scoped manager, and pinned to the trail's bank: the events are, and an id
    # recorded in them must never name another bank's row.
    if any(f.name == "tenant" for f in model._meta.fields):
        rows = rows.filter(tenant_id=tenant.pk)
    elif model is Tenant:
        rows = rows.filter(pk=tenant.pk)
    return rows


# PostgreSQL's functions take at most 100 arguments: JSONB_BUILD_OBJECT a key and a value each.
_JSON_COLUMNS_PER_CALL = 50


def _row_as_json(model: type[models.Model]) -> tuple[list[Any], Func]:
    """The row's columns as one JSON object, and the fields it holds (binary ones left out)."""
    columns = [f for f in model._meta.concrete_fields if not isinstance(f, models.BinaryField)]
    parts = [
        JSONObject(
            **{f.attname: F(f.attname) for f in columns[start : start + _JSON_COLUMNS_PER_CALL]}
        )
        for start in range(0, len(columns), _JSON_COLUMNS_PER_CALL)
    ]
    row = Func(
        *parts, template="(%(expressions)s)", arg_joiner=" || ", output_field=models.JSONField()
    )
    return columns, row


def _related_names(wanted: dict[type[models.Model], set[Any]], tenant: Tenant) -> RelatedNames:
    """Names of the rows the events point to (a staff member, a branch, a role).

    One query whatever the number of models: each model's rows come as JSON objects in a
    UNION ALL, and are made instances again for their own ``__str__``.
    """
    if not wanted:
        return {}
    models_wanted = list(wanted)
    fields_of: list[list[Any]] = []
    parts: list[models.QuerySet[Any, Any]] = []
    for index, model in enumerate(models_wanted):
        columns, row = _row_as_json(model)
        fields_of.append(columns)
        parts.append(
            _rows_for_trail(model, tenant)
            .filter(pk__in=list(wanted[model]))
            .order_by()
            .values_list(Value(index), row)
        )
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    names: RelatedNames = {}
    for index, values in rows:
        model, columns = models_wanted[index], fields_of[index]
        obj = model.from_db(
            rows.db,
            [f.attname for f in columns],
            [f.to_python(values[f.attname]) for f in columns],
        )
        names[(model, obj.pk)] = _name_of(obj)
    return names


def _actor(context: dict[str, Any] | None) -> tuple[str, str]:
    context = context or {}
    if context.get("username"):
        return context["username"], context.get("url", "")
    if context.get("partner_name"):
        partner = str(_("Partner: %(name)s") % {"name": context["partner_name"]})
        return partner, context.get("url", "")
    if context.get("task"):
        return str(_("Background job")), context["task"]
    return str(_("System")), ""


def _subject(event: Any, tracked: type[models.Model], related: RelatedNames) -> str:
    if tracked is StaffRole:
        staff = related.get((Staff, event.staff_id), f"#{event.staff_id}")
        role = related.get((event._meta.get_field("group").related_model, event.group_id), "")
        return f"{staff} – {role}"
    if tracked in SUBJECT_FIELDS:
        relation = event._meta.get_field(SUBJECT_FIELDS[tracked])
        value = getattr(event, relation.attname)
        return related.get((relation.related_model, value), f"#{value}")
    for attribute in ("name", "username", "number", "code"):
        value = getattr(event, attribute, None)
        if value:
            return str(value)
    return f"#{event.pgh_obj_id}"


def _tenant_events(tracked: type[models.Model], tenant: Tenant) -> models.QuerySet[Any]:
    event_model = _event_model(tracked)
    column = "pgh_obj_id" if tracked is Tenant else "tenant_id"
    events: models.QuerySet[Any] = event_model.objects.filter(**{column: tenant.pk})
    return events


def _trail_events(
    tracked: type[models.Model], tenant: Tenant, filters: TrailFilters
) -> models.QuerySet[Any] | None:
    """The events of ``tracked`` that the filters keep; None if they keep none of its rows."""
    table = _event_model(tracked)._meta.label_lower
    events = _tenant_events(tracked, tenant).filter(
        _after_position(table, filters.position, time="pgh_created_at", row_id="pgh_id"),
        _in_dates(filters, "pgh_created_at"),
    )
    if filters.customer is not None:
        paths = CUSTOMER_PATHS.get(tracked)
        if not paths:
            return None
        about = models.Q()
        for path in paths:
            about |= models.Q(**{path: filters.customer.pk})
        events = events.filter(about)
    if filters.staff is not None or not filters.include_system:
        # Word for word the predicate of the event tables' partial index (event_indexes).
        events = events.filter(BY_PEOPLE)
    if filters.staff is not None:
        events = events.filter(pgh_context__staff_id=filters.staff.pk)
    return events


def _newest_event_ids(
    tenant: Tenant, filters: TrailFilters, *, limit: int
) -> dict[type[models.Model], list[int]]:
    """One query over every audited event table: the ids of the newest ``limit`` events."""
    tracked_models = [
        tracked
        for tracked in AUDITED_FIELDS
        if not filters.record_type or tracked._meta.label_lower == filters.record_type
    ]
    # Rows written by partner feeds are left to the feed's batch record (feed_entries): a
    # nightly load must not push the staff's changes off the trail. A record's own
    # history (object_history) still shows them.
    parts = []
    for index, tracked in enumerate(tracked_models):
        events = _trail_events(tracked, tenant, filters)
        if events is None:
            continue
        parts.append(
            events.exclude(pgh_context__has_key="feed")
            .annotate(
                audit_source=Value(index),
                # Byte order, as Python compares the labels when it merges the sources:
                # a locale's collation (which may skip the dots) would order ties otherwise.
                audit_table=Collate(Value(_event_model(tracked)._meta.label_lower), "C"),
            )
            .values_list("pgh_created_at", "audit_table", "pgh_id", "audit_source")
            .order_by()
        )
    if not parts:
        return {}
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    newest: dict[type[models.Model], list[int]] = defaultdict(list)
    for _created, _table, pgh_id, source in union.order_by(
        "-pgh_created_at", "-audit_table", "-pgh_id"
    )[:limit]:
        newest[tracked_models[source]].append(pgh_id)
    return newest


# An event's values before it: its predecessor's (None for a row's first event).
Before = dict[str, Any] | None


def _audited_fields(tracked: type[models.Model]) -> list[Any]:
    event_model = _event_model(tracked)
    return [event_model._meta.get_field(name) for name in AUDITED_FIELDS[tracked]]


def _entries(
    tracked: type[models.Model],
    events: list[tuple[Any, Before]],
    fields: list[Any],
    related: RelatedNames,
) -> list[AuditEntry]:
    """The trail's entries for ``events``: each with what changed since the values before it."""
    entries = []
    for event, before in events:
        changes: list[tuple[str, str, str]] = []
        if event.pgh_label in ("insert", "update"):
            for f in fields:
                new = getattr(event, f.attname)
                if before is None or event.pgh_label == "insert":
                    if new not in (None, ""):
                        changes.append((str(f.verbose_name), "", _display(new, related, f)))
                elif before[f.attname] != new:
                    old = before[f.attname]
                    changes.append(
                        (str(f.verbose_name), _display(old, related, f), _display(new, related, f))
                    )
            if event.pgh_label == "update" and not changes:
                continue  # only internal columns changed
        actor, source = _actor(event.pgh_context)
        entries.append(
            AuditEntry(
                table=event._meta.label_lower,
                row_id=event.pgh_id,
                occurred_at=event.pgh_created_at,
                category="change",
                action=str(EVENT_LABELS.get(event.pgh_label, event.pgh_label)),
                subject_type=str(tracked._meta.verbose_name),
                subject=_subject(event, tracked, related),
                actor=actor,
                source=source,
                changes=changes,
            )
        )
    return entries


def _events_with_previous(tracked: type[models.Model], ids: list[int]) -> tuple[list[Any], Any]:
    """The events ``ids`` of ``tracked`` and, by id, the event before each (two queries)."""
    event_model = _event_model(tracked)
    previous = event_model.objects.filter(
        pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id")
    ).order_by("-pgh_id")
    events = list(
        event_model.objects.filter(pgh_id__in=ids).annotate(
            previous_id=Subquery(previous.values("pgh_id")[:1])
        )
    )
    previous_ids = [e.previous_id for e in events if e.previous_id]
    previous_by_id = event_model.objects.in_bulk(previous_ids) if previous_ids else {}
    return events, previous_by_id


def _events_of(newest: dict[type[models.Model], list[int]], *, tenant: Tenant) -> list[AuditEntry]:
    """The entries of the events ``newest`` names, by model.

    Two queries per model on the page, and one for the names of every row they point to
    (staff, branches, customers, requests), whatever the models.
    """
    read = {tracked: _events_with_previous(tracked, ids) for tracked, ids in newest.items()}
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for tracked, (events, previous_by_id) in read.items():
        found = _related_ids([*events, *previous_by_id.values()], _audited_fields(tracked))
        for model, ids in found.items():
            wanted[model] |= ids
    related = _related_names(wanted, tenant)
    entries: list[AuditEntry] = []
    for tracked, (events, previous_by_id) in read.items():
        fields = _audited_fields(tracked)

        def before(
            event: Any, previous_by_id: Any = previous_by_id, fields: Any = fields
        ) -> Before:
            previous_event = previous_by_id.get(event.previous_id)
            if previous_event is None:
                return None
            return {f.attname: getattr(previous_event, f.attname) for f in fields}

        entries += _entries(tracked, [(event, before(event)) for event in events], fields, related)
    return entries


# Annotations that carry an event's predecessor into the event's own row.
_PREVIOUS_ID = "pgh_previous_id"
_BEFORE = "pgh_before_"


def _with_predecessors(events: models.QuerySet[Any], fields: list[Any]) -> models.QuerySet[Any]:
    """Annotate each event with its predecessor's id and values (LAG over the row's events).

    The window sees only the rows that the WHERE clause keeps: ``events`` must keep all the
    events of the rows it reads. A slice is applied after the window and may cut freely.
    """

    def lag(column: str) -> Window:
        return Window(Lag(column), partition_by=[F("pgh_obj_id")], order_by=F("pgh_id").asc())

    annotated: models.QuerySet[Any] = events.annotate(
        **{_PREVIOUS_ID: lag("pgh_id")},
        **{_BEFORE + f.attname: lag(f.attname) for f in fields},
    )
    return annotated


def change_entries(
    tenant: Tenant, filters: TrailFilters | None = None, *, limit: int
) -> list[AuditEntry]:
    filters = filters or TrailFilters()
    return _events_of(_newest_event_ids(tenant, filters, limit=limit), tenant=tenant)


def login_entries(
    tenant: Tenant, filters: TrailFilters | None = None, *, limit: int
) -> list[AuditEntry]:
    filters = filters or TrailFilters()
    if filters.customer is not None or filters.record_type:
        return []
    table = LoginEvent._meta.label_lower
    events = LoginEvent.objects.filter(
        _after_position(table, filters.position, time="occurred_at", row_id="id"),
        _in_dates(filters, "occurred_at"),
        tenant_id=tenant.pk,
    )
    if filters.staff is not None:
        events = events.filter(staff_id=filters.staff.pk)
    return [
        AuditEntry(
            table=table,
            row_id=event.pk,
            occurred_at=event.occurred_at,
            category="login",
            action=event.get_kind_display(),
            subject_type=str(
                _("Partner system") if event.kind in LoginEvent.PARTNER_KINDS else _("Login")
            ),
            subject=event.username,
            actor=event.actor_username or event.username,
            source=event.ip_address or "",
            changes=[(str(_("reason")), "", event.reason)] if event.reason else [],
        )
        for event in events.order_by("-occurred_at", "-id")[:limit]
    ]


def access_entries(
    tenant: Tenant, filters: TrailFilters | None = None, *, limit: int
) -> list[AuditEntry]:
    filters = filters or TrailFilters()
    table = PersonalDataAccess._meta.label_lower
    accesses = PersonalDataAccess.objects.filter(
        _after_position(table, filters.position, time="accessed_at", row_id="id"),
        _in_dates(filters, "accessed_at"),
        tenant_id=tenant.pk,
    ).select_related("staff")
    if filters.staff is not None:
        accesses = accesses.filter(staff_id=filters.staff.pk)
    if filters.customer is not None:
        accesses = accesses.filter(
            subject_type=filters.customer._meta.label_lower, subject_id=filters.customer.pk
        )
    if filters.record_type:
        accesses = accesses.filter(subject_type=filters.record_type)
    return [
        AuditEntry(
            table=table,
            row_id=access.pk,
            occurred_at=access.accessed_at,
            category="access",
            action=str(_("Viewed personal data")),
            subject_type=access.subject_label,
            subject=access.field,
            actor=access.staff.username if access.staff else access.partner_name,
            source="",
            changes=[(str(_("reason")), "", access.reason)],
        )
        for access in accesses.order_by("-accessed_at", "-id")[:limit]
    ]


def feed_entries(
    tenant: Tenant, filters: TrailFilters | None = None, *, limit: int
) -> list[AuditEntry]:
    filters = filters or TrailFilters()
    if filters.staff is not None or filters.customer is not None or filters.record_type:
        return []  # a batch is a partner's, about many customers
    table = FeedBatch._meta.label_lower
    batches = FeedBatch.objects.filter(
        _after_position(table, filters.position, time="received_at", row_id="id"),
        _in_dates(filters, "received_at"),
        tenant_id=tenant.pk,
    )
    return [
        AuditEntry(
            table=table,
            row_id=batch.pk,
            occurred_at=batch.received_at,
            category="feed",
            action=str(
                _("Loaded a batch")
                if batch.outcome == FeedBatch.Outcome.ACCEPTED
                else _("Refused a batch")
            ),
            subject_type=str(_("Partner feed")),
            subject=batch.feed,
            actor=str(_("Partner: %(name)s") % {"name": batch.partner_name}),
            changes=[
                (str(_("items")), "", str(batch.items)),
                (str(_("created")), "", str(batch.created)),
                (str(_("updated")), "", str(batch.updated)),
                (str(_("unchanged or known")), "", str(batch.unchanged)),
                (str(_("items at fault")), "", str(batch.refused)),
            ],
        )
        for batch in batches.order_by("-received_at", "-id")[:limit]
    ]


_SOURCES = {
    "change": change_entries,
    "login": login_entries,
    "access": access_entries,
    "feed": feed_entries,
}


def recent_audit_entries(
    *, tenant: Tenant, limit: int = 50, filters: TrailFilters | None = None
) -> list[AuditEntry]:
    """Return the newest entries of the tenant's trail that the filters keep, newest first.

    Each source gives its ``limit`` newest after the filters' position; merged, the first
    ``limit`` of them are the trail's next page.
    """
    filters = filters or TrailFilters()
    entries: list[AuditEntry] = []
    for category, source in _SOURCES.items():
        if filters.category in ("", category):
            entries += source(tenant, filters, limit=limit)
    entries.sort(key=_newest_first, reverse=True)
    return entries[:limit]


def object_history(
    tracked: type[models.Model], object_id: int, *, tenant: Tenant, limit: int = 20
) -> list[AuditEntry]:
    """Return the newest audited changes of one tracked row (e.g. a customer), newest first.

    At most two queries whatever the row's history: its events, each with its predecessor's
    values alongside (a window over the row's events), then the names of the rows they name.
    """
    fields = _audited_fields(tracked)
    events = list(
        _with_predecessors(
            _tenant_events(tracked, tenant).filter(pgh_obj_id=object_id),
            fields,
        ).order_by("-pgh_id")[:limit]
    )
    related = _related_names(_related_ids(events, fields, prefixes=("", _BEFORE)), tenant)

    def before(event: Any) -> Before:
        if getattr(event, _PREVIOUS_ID) is None:
            return None
        return {f.attname: getattr(event, _BEFORE + f.attname) for f in fields}

    entries = _entries(tracked, [(event, before(event)) for event in events], fields, related)
    # Stable: events recorded in one transaction share their time and stay newest first.
    entries.sort(key=lambda entry: entry.occurred_at, reverse=True)
    return entries
