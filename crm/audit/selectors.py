"""The audit trail of one tenant: changes recorded by triggers, and logins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Func, OuterRef, Subquery, Value, Window
from django.db.models.functions import JSONObject, Lag
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from crm.audit.models import FeedBatch, LoginEvent, PersonalDataAccess
from crm.tenancy.models import Branch, PartnerApplication, Staff, StaffRole, Tenant
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
    PartnerApplication: ["name", "client_id", "scope", "is_active"],
}


def register_audited_model(model: type[models.Model], fields: list[str]) -> None:
    """Let another app put a tracked model's changes in the auditors' trail."""
    AUDITED_FIELDS[model] = fields


@dataclass
class AuditEntry:
    occurred_at: datetime
    category: str  # "change" or "login"
    action: str
    subject_type: str
    subject: str
    actor: str
    source: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)


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
    for attribute in ("name", "username", "code"):
        value = getattr(event, attribute, None)
        if value:
            return str(value)
    return f"#{event.pgh_obj_id}"


def _tenant_events(
    tracked: type[models.Model],
    tenant: Tenant,
    *,
    before: datetime | None,
    after: datetime | None,
) -> models.QuerySet[Any]:
    event_model = _event_model(tracked)
    column = "pgh_obj_id" if tracked is Tenant else "tenant_id"
    events: models.QuerySet[Any] = event_model.objects.filter(**{column: tenant.pk})
    if before is not None:
        events = events.filter(pgh_created_at__lt=before)
    if after is not None:
        events = events.filter(pgh_created_at__gte=after)
    return events


def _newest_event_ids(
    tenant: Tenant, *, limit: int, before: datetime | None, after: datetime | None
) -> dict[type[models.Model], list[int]]:
    """One query over every audited event table: the ids of the newest ``limit`` events."""
    tracked_models = list(AUDITED_FIELDS)
    # Rows written by partner feeds are left to the feed's batch record (feed_entries): a
    # nightly load must not push the staff's changes off the trail. A record's own
    # history (object_history) still shows them.
    parts = [
        _tenant_events(tracked, tenant, before=before, after=after)
        .exclude(pgh_context__has_key="feed")
        .annotate(audit_source=Value(index))
        .values_list("pgh_created_at", "pgh_id", "audit_source")
        .order_by()
        for index, tracked in enumerate(tracked_models)
    ]
    union = parts[0].union(*parts[1:], all=True).order_by("-pgh_created_at", "-pgh_id")[:limit]
    newest: dict[type[models.Model], list[int]] = defaultdict(list)
    for _created, pgh_id, source in union:
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


def _events_of(
    tracked: type[models.Model], ids: list[int] | models.QuerySet[Any, Any], *, tenant: Tenant
) -> list[AuditEntry]:
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
    fields = _audited_fields(tracked)
    related = _related_names(_related_ids([*events, *previous_by_id.values()], fields), tenant)

    def before(event: Any) -> Before:
        previous_event = previous_by_id.get(event.previous_id)
        if previous_event is None:
            return None
        return {f.attname: getattr(previous_event, f.attname) for f in fields}

    return _entries(tracked, [(event, before(event)) for event in events], fields, related)


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
    tenant: Tenant, *, limit: int, before: datetime | None = None, after: datetime | None = None
) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    newest = _newest_event_ids(tenant, limit=limit, before=before, after=after)
    for tracked, ids in newest.items():
        entries += _events_of(tracked, ids, tenant=tenant)
    return entries


def login_entries(
    tenant: Tenant, *, limit: int, before: datetime | None = None, after: datetime | None = None
) -> list[AuditEntry]:
    events = LoginEvent.objects.filter(tenant_id=tenant.pk)
    if before is not None:
        events = events.filter(occurred_at__lt=before)
    if after is not None:
        events = events.filter(occurred_at__gte=after)
    return [
        AuditEntry(
            occurred_at=event.occurred_at,
            category="login",
            action=event.get_kind_display(),
            subject_type=str(_("Login")),
            subject=event.username,
            actor=event.username,
            source=event.ip_address or "",
        )
        for event in events.order_by("-occurred_at")[:limit]
    ]


def access_entries(
    tenant: Tenant, *, limit: int, before: datetime | None = None, after: datetime | None = None
) -> list[AuditEntry]:
    accesses = PersonalDataAccess.objects.filter(tenant_id=tenant.pk).select_related("staff")
    if before is not None:
        accesses = accesses.filter(accessed_at__lt=before)
    if after is not None:
        accesses = accesses.filter(accessed_at__gte=after)
    return [
        AuditEntry(
            occurred_at=access.accessed_at,
            category="access",
            action=str(_("Viewed personal data")),
            subject_type=access.subject_label,
            subject=access.field,
            actor=access.staff.username if access.staff else access.partner_name,
            source="",
            changes=[(str(_("reason")), "", access.reason)],
        )
        for access in accesses.order_by("-accessed_at")[:limit]
    ]


def feed_entries(
    tenant: Tenant, *, limit: int, before: datetime | None = None, after: datetime | None = None
) -> list[AuditEntry]:
    batches = FeedBatch.objects.filter(tenant_id=tenant.pk)
    if before is not None:
        batches = batches.filter(received_at__lt=before)
    if after is not None:
        batches = batches.filter(received_at__gte=after)
    return [
        AuditEntry(
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
        for batch in batches.order_by("-received_at")[:limit]
    ]


def recent_audit_entries(
    *,
    tenant: Tenant,
    limit: int = 50,
    category: str = "",
    before: datetime | None = None,
    after: datetime | None = None,
) -> list[AuditEntry]:
    """Return the newest entries of the tenant's trail, newest first."""
    entries: list[AuditEntry] = []
    if category in ("", "change"):
        entries += change_entries(tenant, limit=limit, before=before, after=after)
    if category in ("", "login"):
        entries += login_entries(tenant, limit=limit, before=before, after=after)
    if category in ("", "access"):
        entries += access_entries(tenant, limit=limit, before=before, after=after)
    if category in ("", "feed"):
        entries += feed_entries(tenant, limit=limit, before=before, after=after)
    entries.sort(key=lambda entry: entry.occurred_at, reverse=True)
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
            _tenant_events(tracked, tenant, before=None, after=None).filter(pgh_obj_id=object_id),
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
