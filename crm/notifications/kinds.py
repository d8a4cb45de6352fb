"""The kinds of notification: each app declares its own in ``AppConfig.ready()``.

A notification stores its kind and parameters, not text: the subject and body are
rendered when shown, in the reader's language, so a message written by a night job reads
in Chinese for one reader and in English for another.
"""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class NotificationKind:
    key: str
    subject: str | Promise  # a translatable template with %(name)s parameters
    body: str | Promise = ""


_kinds: dict[str, NotificationKind] = {}


def register_notification_kind(kind: NotificationKind) -> NotificationKind:
    existing = _kinds.get(kind.key)
    if existing is not None and existing != kind:
        raise ValueError(f"Notification kind {kind.key!r} is declared twice.")
    _kinds[kind.key] = kind
    return kind


def notification_kind(key: str) -> NotificationKind | None:
    return _kinds.get(key)
