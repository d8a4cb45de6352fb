"""The audit trail of one tenant: changes recorded by triggers, and logins."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from crm.audit.models import LoginEvent
from crm.tenancy.models import Branch, PartnerApplication, Staff, StaffRole, Tenant

EVENT_LABELS = {
    "insert": _("Created"),
    "update": _("Changed"),
    "delete": _("Deleted"),
    "password_change": _("Password changed"),
    "role_granted": _("Role granted"),
    "role_revoked": _("Role revoked"),
}

# Tracked models whose history auditors read, registered by each app.
AUDITED_MODELS: list[type[models.Model]] = [Tenant, Branch, Staff, StaffRole, PartnerApplication]


def register_audited_model(model: type[models.Model]) -> None:
    if model not in AUDITED_MODELS:
        AUDITED_MODELS.append(model)


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


def _tracked_fields(event_model) -> list[models.Field]:
    return [
        f
        for f in event_model._meta.fields
        if not f.name.startswith("pgh_") and f.name not in {"id", "tenant"}
    ]


def _display(value, related_names: dict, field_obj) -> str:
    if value is None or value == "":
        return "—"
    if field_obj.is_relation:
        return related_names.get((field_obj.related_model, value), f"#{value}")
    if field_obj.choices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _related_names(events, fields) -> dict:
    wanted: dict[type, set] = defaultdict(set)
    for event in events:
        for f in fields:
            if f.is_relation:
                value = getattr(event, f.attname)
                if value is not None:
                    wanted[f.related_model].add(value)
    names = {}
    for model, ids in wanted.items():
        manager = model._base_manager
        for pk, obj in manager.in_bulk(list(ids)).items():
            names[(model, pk)] = str(obj)
    return names


def _actor(context) -> tuple[str, str]:
    context = context or {}
    if context.get("username"):
        return context["username"], context.get("url", "")
    if context.get("partner_name"):
        return str(_("Partner: %(name)s") % {"name": context["partner_name"]}), context.get(
            "url", ""
        )
    if context.get("task"):
        return str(_("Background job")), context["task"]
    return str(_("System")), ""


def change_entries(
    tenant: Tenant, *, limit: int, before: datetime | None = None, after: datetime | None = None
) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for tracked in AUDITED_MODELS:
        event_model = tracked.pgh_event_model
        column = "pgh_obj_id" if tracked is Tenant else "tenant_id"
        events = event_model.objects.filter(**{column: tenant.pk})
        if before is not None:
            events = events.filter(pgh_created_at__lt=before)
        if after is not None:
            events = events.filter(pgh_created_at__gte=after)
        previous = event_model.objects.filter(
            pgh_obj_id=OuterRef("pgh_obj_id"), pgh_id__lt=OuterRef("pgh_id")
        ).order_by("-pgh_id")
        events = list(
            events.annotate(previous_id=Subquery(previous.values("pgh_id")[:1])).order_by(
                "-pgh_created_at", "-pgh_id"
            )[:limit]
        )
        if not events:
            continue
        previous_ids = [e.previous_id for e in events if e.previous_id]
        previous_by_id = event_model.objects.in_bulk(previous_ids) if previous_ids else {}
        fields = _tracked_fields(event_model)
        related = _related_names([*events, *previous_by_id.values()], fields)
        for event in events:
            before_event = previous_by_id.get(event.previous_id)
            changes = []
            for f in fields:
                new = getattr(event, f.attname)
                old = getattr(before_event, f.attname) if before_event is not None else None
                if event.pgh_label == "insert" or (before_event is not None and old != new):
                    changes.append(
                        (
                            str(f.verbose_name),
                            _display(old, related, f) if before_event is not None else "",
                            _display(new, related, f),
                        )
                    )
            actor, source = _actor(event.pgh_context)
            entries.append(
                AuditEntry(
                    occurred_at=event.pgh_created_at,
                    category="change",
                    action=str(EVENT_LABELS.get(event.pgh_label, event.pgh_label)),
                    subject_type=str(tracked._meta.verbose_name),
                    subject=related.get((tracked, event.pgh_obj_id)) or _subject_of(event, tracked),
                    actor=actor,
                    source=source,
                    changes=changes if event.pgh_label != "delete" else [],
                )
            )
    return entries


def _subject_of(event, tracked) -> str:
    for attribute in ("name", "username", "code"):
        value = getattr(event, attribute, None)
        if value:
            return str(value)
    if tracked is StaffRole:
        return f"{event.staff_id} / {event.group_id}"
    return f"#{event.pgh_obj_id}"


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
    entries.sort(key=lambda entry: entry.occurred_at, reverse=True)
    return entries[:limit]
