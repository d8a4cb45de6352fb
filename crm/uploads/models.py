"""Files staff upload, kept in the database until the feature that took them is done.

In PostgreSQL rather than on a disk, so that whichever web or worker host handles the next
step reads the same bytes, under row-level security like every other row of the bank.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import Staff, TenantOwned


class StoredUpload(TenantOwned):
    """One uploaded file: its bytes encrypted (they may hold personal data), and who sent it.

    Short-lived by design: the feature that stored it (an import, an attachment) deletes it
    once it has what it needs. ``purpose`` names that feature, for clean-up and audit.
    """

    purpose = models.CharField(_("purpose"), max_length=50)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_encrypted = models.BinaryField(editable=False)
    uploaded_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        indexes = [
            models.Index(fields=["tenant", "purpose", "uploaded_at"], name="stored_upload_age"),
        ]

    def __str__(self) -> str:
        return self.name
