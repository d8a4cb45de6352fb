from __future__ import annotations

from typing import Any

from django import forms
from django.core.files import File

from crm.uploads.handlers import OversizedUpload
from crm.uploads.services import max_upload_bytes, too_large_message


class UploadField(forms.FileField):
    """A file field that refuses a file past the cap with a clear message.

    Bind the form to ``crm.uploads.handlers.files_of(request)``, not ``request.FILES``, so
    that a file the upload handler stopped reading shows as too large, not as missing.
    ``max_bytes`` may lower the site's cap for this field.
    """

    def __init__(self, *args: Any, max_bytes: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    @property
    def limit(self) -> int:
        return min(self.max_bytes or max_upload_bytes(), max_upload_bytes())

    def to_python(self, data: Any) -> File[Any] | None:
        if isinstance(data, OversizedUpload):
            raise forms.ValidationError(too_large_message(self.limit), code="too_large")
        file = super().to_python(data)
        if file is not None and (file.size or 0) > self.limit:
            raise forms.ValidationError(too_large_message(self.limit), code="too_large")
        return file
