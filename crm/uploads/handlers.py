"""Reading uploaded files: in memory, up to the size cap, and no further.

Django's default handlers spool any file over 2.5 MB to a temporary file on the web host's
disk and read a file of any size to its end. This one (the only entry of
``FILE_UPLOAD_HANDLERS``) keeps the file in memory and stops reading the request the moment
a file passes ``UPLOAD_MAX_BYTES``: memory per upload is bounded by the cap, and nothing of
an upload ever lands on the web host's disk. Whole request bodies are bounded before this,
by Content-Length, in the WSGI layer (the body-size middleware).

A refused file is not silently dropped: ``files_of(request)`` puts an ``OversizedUpload`` in
its place, which ``UploadField`` turns into a form error ("larger than N MB", status 400).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

REFUSED_ATTRIBUTE = "oversized_uploads"


class OversizedUpload(UploadedFile):
    """Stands for a file refused past the cap: its name and how much of it was seen."""

    def __init__(self, *, name: str, field_name: str, seen: int, limit: int) -> None:
        super().__init__(file=BytesIO(), name=name, content_type=None, size=seen)
        self.field_name = field_name
        self.limit = limit


class CappedMemoryUploadHandler(FileUploadHandler):
    """Hold each uploaded file in memory; stop the upload once one passes the cap."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit: int = settings.UPLOAD_MAX_BYTES
        self.buffer = BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > self.limit:
            self.buffer.close()
            if self.request is not None:
                refused = getattr(self.request, REFUSED_ATTRIBUTE, None) or {}
                refused[self.field_name] = OversizedUpload(
                    name=self.file_name or "",
                    field_name=self.field_name,
                    seen=start + len(raw_data),
                    limit=self.limit,
                )
                setattr(self.request, REFUSED_ATTRIBUTE, refused)
            # The rest of the request is not read: the answer is a refusal whatever it holds.
            raise StopUpload(connection_reset=True)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def files_of(request: HttpRequest) -> MultiValueDict[str, UploadedFile]:
    """The request's files, with an ``OversizedUpload`` for each one refused past the cap."""
    files: MultiValueDict[str, UploadedFile] = request.FILES.copy()
    for field_name, refused in (getattr(request, REFUSED_ATTRIBUTE, None) or {}).items():
        files.setlist(field_name, [refused])
    return files
