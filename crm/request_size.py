"""How large a request may be, and the 413 answer beyond it.

Two limits (crm/settings/base.py):
- ``DATA_UPLOAD_MAX_MEMORY_SIZE``: a body without files (the API's JSON, a page's form),
  sized for the largest valid partner batch with room to spare.
- ``REQUEST_MAX_BYTES``: any request, a file upload with its form included; the larger one.

Django checks the first only when something reads the body, and then raises
RequestDataTooBig (a 500 inside the API, a 400 on pages); it never counts files, and
gunicorn counts nothing. So:
- ``RequestSizeLimit`` wraps the WSGI application (crm/wsgi.py): it refuses a declared
  Content-Length over ``REQUEST_MAX_BYTES`` before anything reads the body, and reads a
  chunked body (which declares no length) only up to that limit. Django itself ignores a
  body without a Content-Length, so a chunked body it lets through is handed on with one.
- ``RequestSizeMiddleware`` answers 413, in the API's error shape or as a page in the
  visitor's language, for what the WSGI layer refused and for a body over the limit for its
  kind, before any view or CSRF check reads it.

The reverse proxy in front is the first limit in production (README, "Production").
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Set in the WSGI environment on a request whose body was refused unread.
REFUSED = "crm.request_too_large"
CHUNK_BYTES = 64 * 1024
# A chunked body is kept in memory up to this size, on disk beyond it.
SPOOL_BYTES = 1024 * 1024


def declared_length(meta: dict[str, Any]) -> int:
    """The body's Content-Length; 0 when missing or unreadable, as Django takes it."""
    try:
        return max(0, int(meta.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def body_limit(content_type: str | None) -> int:
    """The largest body allowed for a request of this content type."""
    if (content_type or "").startswith("multipart/"):
        return int(settings.REQUEST_MAX_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def request_too_large(request: HttpRequest) -> HttpResponse:
    """413: JSON in the API's error shape under /api/ and /o/, a page elsewhere."""
    limit = body_limit(request.content_type) // (1024 * 1024)
    detail = _("The request is larger than %(size)d MB.") % {"size": limit}
    if request.path.startswith(("/api/", "/o/")):
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [{"code": "request_too_large", "detail": detail, "attr": None}],
            },
            status=413,
        )
    return render(request, "413.html", {"detail": detail}, status=413)


class RequestSizeMiddleware:
    """Answer 413 for a body over its limit, before a view or the CSRF check reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get(REFUSED) or declared_length(request.META) > body_limit(
            request.content_type
        ):
            return request_too_large(request)
        return self.get_response(request)


class RequestSizeLimit:
    """WSGI middleware: no request body over ``REQUEST_MAX_BYTES`` reaches Django.

    A refused request goes on without its body (marked ``REFUSED``), so that Django's
    middleware answers the 413 with the page or error shape every other answer has.
    """

    def __init__(self, application: WSGIApplication, limit: int | None = None) -> None:
        self.application = application
        self.limit = limit

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        limit = self.limit if self.limit is not None else int(settings.REQUEST_MAX_BYTES)
        if declared_length(environ) > limit:
            self._refuse(environ)
        elif _is_chunked(environ):
            body = _read_at_most(environ["wsgi.input"], limit)
            if body is None:
                self._refuse(environ)
            else:
                environ["wsgi.input"] = body
                environ["CONTENT_LENGTH"] = str(body.seek(0, io.SEEK_END))
                body.seek(0)
        return self.application(environ, start_response)

    @staticmethod
    def _refuse(environ: WSGIEnvironment) -> None:
        environ[REFUSED] = True
        environ["wsgi.input"] = io.BytesIO()
        environ["CONTENT_LENGTH"] = "0"


def _is_chunked(environ: WSGIEnvironment) -> bool:
    """A chunked body, which declares no length; read only where the server ends the stream
    where the body ends (gunicorn does; Django's development server would wait for more)."""
    return (
        not environ.get("CONTENT_LENGTH")
        and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        and bool(environ.get("wsgi.input_terminated"))
    )


def _read_at_most(stream: IO[bytes], limit: int) -> IO[bytes] | None:
    """The stream's content, or None as soon as it proves longer than ``limit``."""
    body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            body.close()
            return None
        body.write(chunk)
    body.seek(0)
    return body
