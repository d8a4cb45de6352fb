"""Store an uploaded file, read it back, forget it: the one way features keep uploads."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import pii
from crm.domain import DomainError
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from crm.uploads.models import StoredUpload


def max_upload_bytes() -> int:
    """The largest file anyone may upload (``UPLOAD_MAX_BYTES``)."""
    limit: int = settings.UPLOAD_MAX_BYTES
    return limit


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(size)d MB.") % {"size": max(limit // 2**20, 1)}


@transaction.atomic
def stored_upload_create(
    *,
    actor: Staff,
    purpose: str,
    uploaded_file: UploadedFile,
    max_bytes: int | None = None,
) -> StoredUpload:
    """Keep ``uploaded_file`` encrypted for the current tenant; refuse it past the size cap.

    ``max_bytes`` may only lower the site's cap (``UPLOAD_MAX_BYTES``), never raise it.
    """
    limit = min(max_bytes or max_upload_bytes(), max_upload_bytes())
    # The size the upload handler counted, checked before a byte is read or encrypted.
    if uploaded_file.size is None or uploaded_file.size > limit:
        raise DomainError(too_large_message(limit), field="file")
    content = uploaded_file.read(limit + 1)
    if len(content) > limit:  # a file object whose size lied
        raise DomainError(too_large_message(limit), field="file")
    return StoredUpload.objects.create(
        tenant=require_tenant(),
        purpose=purpose,
        name=(uploaded_file.name or "")[:255],
        content_type=(uploaded_file.content_type or "")[:200],
        size=len(content),
        content_encrypted=pii.encrypt_bytes(content),
        uploaded_by=actor,
    )


def stored_upload_content(*, upload_id: int) -> bytes:
    """The bytes of a stored upload of the current tenant, decrypted."""
    token = (
        StoredUpload.objects.filter(pk=upload_id).values_list("content_encrypted", flat=True).get()
    )
    return pii.decrypt_bytes(bytes(token))


def stored_upload_delete(*, upload_id: int | None) -> None:
    """Forget a stored upload once its owner is done with it (nothing if already gone)."""
    if upload_id is not None:
        StoredUpload.objects.filter(pk=upload_id).delete()


def stored_uploads_delete_older(*, purpose: str, before: datetime) -> int:
    """Forget the tenant's uploads for ``purpose`` stored before ``before`` (left behind
    by a lost task or an abandoned step); return how many."""
    deleted, _per_model = StoredUpload.objects.filter(
        purpose=purpose, uploaded_at__lt=before
    ).delete()
    return deleted


# How long an upload of each purpose may outlive its owner's step: the owning app says,
# when it registers (an app's ready()); housekeeping forgets what is older. An upload of a
# purpose nobody registered is kept: only its owner knows whether it is still needed.
UPLOAD_LIFETIMES: dict[str, timedelta] = {}


def register_upload_lifetime(purpose: str, lifetime: timedelta) -> None:
    UPLOAD_LIFETIMES[purpose] = lifetime


def stored_uploads_expire(*, now: datetime | None = None) -> int:
    """Forget the tenant's uploads kept past their purpose's lifetime; return how many.

    Run daily by housekeeping, so that a file whose task was lost, or whose uploader walked
    away, is not kept until the next upload of the same kind in the bank."""
    now = now or timezone.now()
    return sum(
        stored_uploads_delete_older(purpose=purpose, before=now - lifetime)
        for purpose, lifetime in UPLOAD_LIFETIMES.items()
    )
