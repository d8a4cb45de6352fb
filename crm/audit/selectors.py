"""The audit trail of one tenant: changes recorded by triggers, and logins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import OuterRef, Subquery, Value
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


def _related_names(events: Iterable[Any], fields: list[Any], tenant: Tenant) -> RelatedNames:
    """Names of the rows the events point to (a staff member, a branch, a role)."""
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for event in events:
        for f in fields:
            if f.is_relation:
                value = getattr(event, f.attname)
                if value is not None:
                    wanted[f.related_model].add(value)
    names: RelatedNames = {}
    for model, ids in wanted.items():
        rows = model._default_manager.all()
        # Through the scoped manager, and pinned to the trail's bank: the events are, and
        # an id recorded in them must never name another bank's row.
        if any(f.name == "tenant" for f in model._meta.fields):
            rows = rows.filter(tenant_id=tenant.pk)
        elif model is Tenant:
            rows = rows.filter(pk=tenant.pk)
        for pk, obj in rows.in_bulk(list(ids)).items():
            names[(model, pk)] = _name_of(obj)
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
    fields = [event_model._meta.get_field(name) for name in AUDITED_FIELDS[tracked]]
    related = _related_names([*events, *previous_by_id.values()], fields, tenant)
    entries = []
    for event in events:
        before_event = previous_by_id.get(event.previous_id)
        changes: list[tuple[str, str, str]] = []
        if event.pgh_label in ("insert", "update"):
            for f in fields:
                new = getattr(event, f.attname)
                if before_event is None or event.pgh_label == "insert":
                    if new not in (None, ""):
                        changes.append((str(f.verbose_name), "", _display(new, related, f)))
                elif getattr(before_event, f.attname) != new:
                    old = getattr(before_event, f.attname)
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
    """Return the newest audited changes of one tracked row (e.g. a customer), newest first."""
    newest = (
        _tenant_events(tracked, tenant, before=None, after=None)
        .filter(pgh_obj_id=object_id)
        .order_by("-pgh_id")
        .values("pgh_id")[:limit]
    )
    entries = _events_of(tracked, newest, tenant=tenant)  # a subquery: one round trip, not two
    entries.sort(key=lambda entry: entry.occurred_at, reverse=True)
    return entries
