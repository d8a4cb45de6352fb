"""Reading an import file on a real Celery worker: hostile files fail their job, not the worker.

The upload only stores the file; a worker reads it in a bounded child process. The bounds
are lowered here so that a small file can exceed them: the files are the real attack
(thousands of tiny shared strings a workbook never uses cost far more memory to read than
the archive's size suggests), only scaled down.
"""

import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from crm import sheets
from crm.bounded import Bounds
from crm.tenancy.roles import Role
from crm.uploads.models import StoredUpload
from customers.intake.models import ImportJob
from tests.celery_worker import wait_for
from tests.customers.test_imports import customers_csv, good_customer_rows
from tests.translation import zh

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


SHARED_STRINGS_PART = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def shared_strings_bomb(count: int) -> bytes:
    """A valid workbook of one row whose shared-string table holds ``count`` unused strings.

    A reader loads the whole table before the first row (the cells themselves are inline
    strings): each string costs some seventy bytes of memory for forty of XML, which
    compresses to next to nothing.
    """
    book = Workbook()
    book.active.append(["number", "kind", "name", "home_branch"])
    book.active.append(["N1", "individual", "王强", "AAA-SUB"])
    plain = BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(BytesIO(plain.getvalue()))
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SHARED_STRINGS_PART + b"</Types>")
            target.writestr(member.filename, data)
        with target.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for _ in range(count // 10_000):
                strings.write(b"<si><t>aaaaaaaaaaaaaaaaaaaaaaaa</t></si>" * 10_000)
            strings.write(b"</sst>")
    return bomb.getvalue()


def job_ended(pk: int, bank):
    def ended():
        with bank.scope():
            job = ImportJob.objects.get(pk=pk)
        return job if job.status != ImportJob.Status.READING else None

    return ended


def upload(client, content: bytes, name: str) -> int:
    response = client.post(
        reverse("customers:import_upload"),
        {"kind": "customers", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(response.url.rstrip("/").split("/")[-1])


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        (
            Bounds(memory_bytes=64 * 1024 * 1024, cpu_seconds=600, wall_seconds=600),
            "Reading the file needs more memory than allowed. Split it into smaller files.",
        ),
        (
            Bounds(memory_bytes=1024 * 1024 * 1024, cpu_seconds=1, wall_seconds=60),
            "Reading the file takes longer than allowed. Split it into smaller files.",
        ),
    ],
    ids=["memory", "time"],
)
def test_a_hostile_file_fails_its_job_with_a_message_and_the_worker_reads_the_next(
    bank_a, client_for, monkeypatch, task_log, worker, bounds, message
):
    monkeypatch.setattr(sheets, "READ_BOUNDS", bounds)
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    bomb = shared_strings_bomb(1_000_000)
    assert len(bomb) < 1024 * 1024  # a small upload, far below every size limit

    hostile = wait_for(job_ended(upload(client, bomb, "bomb.xlsx"), bank_a), "the bomb", task_log)

    assert (hostile.status, hostile.failure) == (
        ImportJob.Status.FAILED,
        ImportJob.Failure.UNREADABLE,
    )
    assert hostile.failure_message == zh(message)
    page = client.get(reverse("customers:import_preview", args=[hostile.pk])).content.decode()
    assert zh(message) in page
    # The same worker, still there, reads the next file.
    good = customers_csv(*good_customer_rows(bank_a))
    after = wait_for(job_ended(upload(client, good, "good.csv"), bank_a), "a good file", task_log)
    assert (after.status, after.total) == (ImportJob.Status.DRAFT, 3)
    with bank_a.scope():
        assert not StoredUpload.objects.exists()  # both files deleted once read
