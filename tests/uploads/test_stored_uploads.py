"""Uploaded files: in memory up to the cap, refused beyond it, kept encrypted per bank."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from crm.domain import DomainError
from crm.jobs.tasks import tenant_housekeeping
from crm.tenancy.context import tenant_context
from crm.tenancy.roles import Role
from crm.uploads.models import StoredUpload
from crm.uploads.services import (
    stored_upload_content,
    stored_upload_create,
    stored_upload_delete,
)
from customers.intake.models import IMPORT_UPLOAD_PURPOSE, ImportJob
from tests.translation import zh

SECRET = "110105198506150035,王强,13900000001"


def store(bank, content: bytes, name="customers.csv", purpose="tests") -> StoredUpload:
    with bank.scope():
        return stored_upload_create(
            actor=bank[Role.BRANCH_MANAGER],
            purpose=purpose,
            uploaded_file=SimpleUploadedFile(name, content, content_type="text/csv"),
        )


def test_a_stored_file_reads_back_as_uploaded_and_is_encrypted_in_the_database(bank_a):
    upload = store(bank_a, SECRET.encode())

    with bank_a.scope():
        assert stored_upload_content(upload_id=upload.pk) == SECRET.encode()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT content_encrypted, size, name FROM uploads_storedupload WHERE id = %s",
                [upload.pk],
            )
            raw, size, name = cursor.fetchone()
    raw = bytes(raw)
    assert (size, name) == (len(SECRET.encode()), "customers.csv")
    assert SECRET.encode() not in raw and "王强".encode() not in raw
    assert b"110105198506150035" not in raw
    assert upload.uploaded_by == bank_a[Role.BRANCH_MANAGER]


def test_another_bank_cannot_see_a_stored_file_even_in_raw_sql(bank_a, bank_b):
    upload = store(bank_a, SECRET.encode())

    with tenant_context(bank_b.tenant):
        assert not StoredUpload.objects.filter(pk=upload.pk).exists()
        with pytest.raises(StoredUpload.DoesNotExist):
            stored_upload_content(upload_id=upload.pk)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM uploads_storedupload")
            assert cursor.fetchone() == (0,)  # no condition: row-level security alone
        stored_upload_delete(upload_id=upload.pk)  # a delete from bank B touches nothing
    with bank_a.scope():
        assert StoredUpload.objects.filter(pk=upload.pk).exists()


def test_a_deleted_file_is_gone(bank_a):
    upload = store(bank_a, SECRET.encode())

    with bank_a.scope():
        stored_upload_delete(upload_id=upload.pk)
        assert not StoredUpload.objects.exists()


def test_daily_housekeeping_forgets_uploads_kept_past_their_purposes_lifetime(bank_a, bank_b):
    """A file whose reading task was lost, or whose uploader walked away, is not kept until
    the next upload of the same kind: housekeeping forgets it once a draft would expire."""
    stale = timezone.now() - ImportJob.DRAFT_LIFETIME - timedelta(minutes=1)
    old_a = store(bank_a, b"a", purpose=IMPORT_UPLOAD_PURPOSE)
    fresh_a = store(bank_a, b"b", purpose=IMPORT_UPLOAD_PURPOSE)
    unregistered = store(bank_a, b"c", purpose="tests")
    old_b = store(bank_b, b"d", purpose=IMPORT_UPLOAD_PURPOSE)
    for bank, upload in [(bank_a, old_a), (bank_a, unregistered), (bank_b, old_b)]:
        with bank.scope():
            StoredUpload.objects.filter(pk=upload.pk).update(uploaded_at=stale)

    tenant_housekeeping(tenant_id=bank_a.tenant.pk, period="2026-12-05")

    with bank_a.scope():
        assert set(StoredUpload.objects.values_list("pk", flat=True)) == {
            fresh_a.pk,
            unregistered.pk,  # only its owner knows how long it is needed
        }
    with bank_b.scope():
        assert StoredUpload.objects.filter(pk=old_b.pk).exists()  # its own run, its own day


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_a_file_past_the_cap_is_not_stored(bank_a):
    with pytest.raises(DomainError) as refused:
        store(bank_a, b"x" * 1025)

    assert refused.value.field == "file"
    with bank_a.scope():
        assert not StoredUpload.objects.exists()


# The upload handler ------------------------------------------------------------------------


@pytest.fixture
def manager_client(bank_a, client_for):
    return client_for(bank_a[Role.BRANCH_MANAGER])


def post_import(client, content: bytes, name="customers.csv"):
    return client.post(
        reverse("customers:import_upload"),
        {"kind": "customers", "file": SimpleUploadedFile(name, content)},
    )


@override_settings(UPLOAD_MAX_BYTES=1024 * 1024)
def test_an_upload_past_the_cap_is_a_form_error_and_nothing_is_stored(bank_a, manager_client):
    response = post_import(manager_client, b"number,name\n" + b"x" * (1024 * 1024 + 1))

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        zh("The file is larger than %(size)d MB.", size=1)
    ]
    with bank_a.scope():
        assert not StoredUpload.objects.exists() and not ImportJob.objects.exists()


@override_settings(UPLOAD_MAX_BYTES=1024 * 1024)
def test_the_handler_stops_reading_the_request_once_a_file_passes_the_cap(rf):
    big = SimpleUploadedFile("big.csv", b"x" * (8 * 1024 * 1024))
    request = rf.post("/", {"file": big, "after": "never read"})
    body_length = int(request.META["CONTENT_LENGTH"])
    stream = request._stream

    assert "file" not in request.FILES and "after" not in request.POST
    assert request.oversized_uploads["file"].limit == 1024 * 1024
    # Not much past the cap was read of an 8 MB body.
    unread = len(stream.read())
    assert body_length - unread < 2 * 1024 * 1024


def test_an_upload_is_held_in_memory_never_on_disk(rf, settings):
    # Past Django's default 2.5 MB, which would have spooled it to a temporary file.
    content = b"y" * (3 * 1024 * 1024)
    request = rf.post("/", {"file": SimpleUploadedFile("big.csv", content)})

    uploaded = request.FILES["file"]
    assert isinstance(uploaded, InMemoryUploadedFile)
    assert not hasattr(uploaded, "temporary_file_path")
    assert uploaded.read() == content
