"""How large a request may be: the largest valid partner batch is taken, a larger body is a
413 in the API's error shape (a page for staff), and no body of any size, declared or
chunked, is read past the limit (crm.request_size)."""

import io
import json

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections
from django.test import override_settings
from django.utils import translation

from channels.models import Channel, Interaction, Outlet, ServiceRequest
from channels.services import service_request_open
from crm import bounds
from crm.request_size import REFUSED, RequestSizeLimit, body_limit
from crm.tenancy.roles import Role
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog

BULK = "/api/v1/interactions/bulk"
MB = 1024 * 1024
# Characters outside the BMP (CJK Extension B, found in names): two \u escapes each in JSON,
# the longest a character can be sent.
RARE = 0x20000


def rare(length: int, start: int = 0) -> str:
    return "".join(chr(RARE + start + n) for n in range(length))


def max_length(model, field: str) -> int:
    return model._meta.get_field(field).max_length


@pytest.fixture
def full_length_references(bank_a):
    """A customer, channel, outlet and service request whose codes are as long as allowed."""
    catalog = standard_catalog(bank_a.tenant)
    number = rare(32)
    with bank_a.scope():
        customer = CustomerFactory(home_branch=bank_a.sub_branch, number=number)
        channel = Channel.objects.create(
            code=rare(max_length(Channel, "code"), 100), name="全长渠道", kind=Channel.Kind.PARTNER
        )
        outlet = Outlet.objects.create(
            channel=channel,
            branch=bank_a.sub_branch,
            code=rare(max_length(Outlet, "code"), 200),
            name="全长网点",
            kind=Outlet.Kind.ATM,
        )
        request = service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=customer,
            channel=catalog["channels"]["MOBILE"],
            summary="补卡",
        )
        request_number = rare(max_length(ServiceRequest, "number"), 300)
        ServiceRequest.objects.filter(pk=request.pk).update(number=request_number)
    return {
        "customer_number": customer.number,
        "channel": channel.code,
        "outlet": outlet.code,
        "service_request": request_number,
    }


def largest_valid_batch(references: dict) -> bytes:
    """1,000 contacts, every field as long as it may be, every character sent as escapes."""
    items = [
        {
            "source": "s" * max_length(Interaction, "source"),
            "external_id": rare(max_length(Interaction, "external_id"), 1000 + 64 * n),
            "kind": "transaction",
            "direction": "outbound",
            "occurred_at": "2026-01-15T09:30:00.123456+08:00",
            "summary": rare(max_length(Interaction, "summary"), 100_000),
            "outcome": rare(max_length(Interaction, "outcome"), 110_000),
            "amount": str(bounds.MAX_AMOUNT),  # the longest amount the bounds take
            **references,
        }
        for n in range(1000)
    ]
    return json.dumps({"items": items}, indent=2).encode()  # ensure_ascii: \u escapes


def test_the_largest_valid_contact_batch_is_taken_with_room_to_spare(
    bank_a, full_length_references, partner_client
):
    body = largest_valid_batch(full_length_references)
    # Django's default limit (2.5 MB) refused it; the limit keeps a fifth of room above it.
    assert len(body) > 2.5 * MB
    assert len(body) * 1.2 <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.REQUEST_MAX_BYTES
    response = partner_client(bank_a.token()).post(BULK, body, content_type="application/json")
    assert response.status_code == 200, response.content[:2000]
    assert response.json() == {"created": 1000, "duplicates": 0}


def too_large_error(response) -> dict:
    assert response.status_code == 413, response.content[:2000]
    body = response.json()
    assert body["type"] == "client_error"
    [error] = body["errors"]
    assert (error["code"], error["attr"]) == ("request_too_large", None)
    return error


def test_a_body_over_the_limit_is_413_in_the_error_shape(bank_a, partner_client):
    body = b'{"items": ["' + b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + b'"]}'
    response = partner_client(bank_a.token()).post(BULK, body, content_type="application/json")
    error = too_large_error(response)
    assert str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE // MB) in error["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_the_limit_holds_before_authentication(db, client):
    """An anonymous caller is refused for size before its token is even looked at."""
    response = client.post(BULK, b"{" + b" " * 1000 + b"}", content_type="application/json")
    too_large_error(response)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_staff_form_over_the_limit_is_a_translated_413_page(bank_a, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    with translation.override("zh-hans"):
        response = client.post(
            "/customers/imports/",
            "kind=customers&note=" + "x" * 1000,
            content_type="application/x-www-form-urlencoded",
        )
        expected = translation.gettext("The request is larger than %(size)d MB.") % {"size": 0}
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert expected in response.content.decode()
    assert response.headers.get("Content-Security-Policy")


def test_a_file_upload_may_be_as_large_as_a_file_may_be_and_no_larger(bank_a, client_for):
    multipart = "multipart/form-data; boundary=BoUnDaRy"
    assert body_limit(multipart) == settings.REQUEST_MAX_BYTES
    assert body_limit(multipart) >= settings.UPLOAD_MAX_BYTES + settings.UPLOAD_FORM_OVERHEAD_BYTES
    assert body_limit("application/json") == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # A larger upload is refused by its declared length, before a byte of it is read.
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        "/customers/imports/",
        b"",
        content_type=multipart,
        CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1),
    )
    assert response.status_code == 413


# --- the WSGI layer -------------------------------------------------------------------


class Unreadable(io.RawIOBase):
    def read(self, size=-1):
        raise AssertionError("the body was read")


class Chunked(io.BytesIO):
    """A chunked body as a server hands it on: no length, read until it ends."""

    def __init__(self, size: int) -> None:
        super().__init__(b"x" * size)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


class Application:
    """What the WSGI layer hands on, and the body as Django would read it."""

    def __call__(self, environ, start_response):
        self.environ = environ
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.body = environ["wsgi.input"].read(length) if length else b""
        start_response("200 OK", [])
        return [b""]


CHUNKED = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}


def call(environ: dict, limit: int = 1000) -> Application:
    application = Application()
    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/interactions/bulk"}
    list(RequestSizeLimit(application, limit=limit)({**base, **environ}, lambda *a: None))
    return application


def test_a_declared_length_over_the_limit_is_refused_unread():
    handed_on = call({"CONTENT_LENGTH": "1001", "wsgi.input": Unreadable()})
    assert handed_on.environ[REFUSED] is True
    assert handed_on.body == b""


def test_a_body_within_the_limit_is_handed_on_as_sent():
    handed_on = call({"CONTENT_LENGTH": "1000", "wsgi.input": io.BytesIO(b"x" * 1000)})
    assert REFUSED not in handed_on.environ
    assert handed_on.body == b"x" * 1000


def test_a_chunked_body_is_counted_and_handed_on_with_its_length():
    handed_on = call({"wsgi.input": Chunked(1000), **CHUNKED})
    assert REFUSED not in handed_on.environ
    assert handed_on.environ["CONTENT_LENGTH"] == "1000"
    assert handed_on.body == b"x" * 1000


def test_a_body_without_length_that_is_not_chunked_is_left_unread():
    """Django ignores a body without a length; the development server's stream never ends."""
    handed_on = call({"wsgi.input": Unreadable(), "wsgi.input_terminated": False})
    assert REFUSED not in handed_on.environ


def test_a_chunked_body_over_the_limit_is_refused_without_reading_it_all():
    chunked = Chunked(10 * MB)
    handed_on = call({"wsgi.input": chunked, **CHUNKED}, limit=MB)
    assert handed_on.environ[REFUSED] is True
    assert handed_on.body == b""
    assert chunked.bytes_read <= MB + 64 * 1024


def test_the_production_application_answers_413_before_reading(db, settings):
    """crm.wsgi.application is wrapped: a huge declared body never reaches a view."""
    from crm.wsgi import application

    settings.REQUEST_MAX_BYTES = 1000
    answered = {}
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/interactions/bulk",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": Unreadable(),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(10 * 1024 * MB),
        "HTTP_ACCEPT_LANGUAGE": "en",
    }
    # As Django's test client does: the test's database connection is not the request's.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(
            application(environ, lambda status, headers: answered.update(status=status))
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert answered["status"].startswith("413")
    assert json.loads(body)["errors"][0]["code"] == "request_too_large"
