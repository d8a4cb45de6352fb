"""Writing notifications and marking them read."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from crm.notifications.kinds import notification_kind
from crm.notifications.models import Notification
from crm.tenancy.context import require_tenant

if TYPE_CHECKING:
    from crm.tenancy.models import Staff


@dataclass(frozen=True)
class NotificationSpec:
    recipient_id: int
    kind: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


def notifications_send(specs: Iterable[NotificationSpec]) -> None:
    """Write the notifications in one statement; a key already written is skipped.

    The unique key is the backstop against a notification written twice (a job replayed
    after a crash, two workers on the same due row): ``ON CONFLICT DO NOTHING`` waits for a
    concurrent writer of the same key and then leaves its row alone.
    """
    tenant = require_tenant()
    rows = []
    for spec in specs:
        if notification_kind(spec.kind) is None:
            raise ValueError(f"Unknown notification kind {spec.kind!r}: register it first.")
        rows.append(
            Notification(
                tenant=tenant,
                recipient_id=spec.recipient_id,
                kind=spec.kind,
                key=spec.key,
                params=spec.params,
                link=spec.link,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


def notification_send(
    *, recipient_id: int, kind: str, key: str, params: dict[str, Any] | None = None, link: str = ""
) -> None:
    notifications_send([NotificationSpec(recipient_id, kind, key, params or {}, link)])


@transaction.atomic
def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


@transaction.atomic
def notifications_mark_all_read(*, recipient: "Staff") -> int:
    return Notification.objects.for_recipient(recipient).unread().update(read_at=timezone.now())
