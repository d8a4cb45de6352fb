"""Files that take customer data out of the system: the customer list, a personal-data copy.

The list is masked like the page it comes from. The personal-data copy is the customer's
own data in clear (PIPL right of access), written to the access log before it is built.
Both are built in memory: the tenant context ends with the request, so nothing streams.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from crm import pii
from crm.audit.services import personal_data_access_record
from crm.domain import DomainError
from crm.sheets import build_file, build_workbook
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from customers.intake.models import CustomerExport
from customers.models import (
    Customer,
)
from customers.personal_data import copy_sections

MAX_EXPORT_ROWS = 50_000
# A search term of six digits or more may be a phone or ID number: the audit keeps it masked.
LONG_NUMBER = re.compile(r"\d{6,}")
PERSONAL_DATA_COPY = "personal_data_copy"

LIST_FIELDS = (
    "number",
    "name",
    "kind",
    "status",
    "id_type",
    "id_number_masked",
    "phone_masked",
    "home_branch__code",
    "home_branch__name",
    "relationship_manager__name",
    "tier",
    "risk_grade",
    "aum_fen",
    "created_at",
)


def _local(moment: datetime | None, tz) -> str:
    return timezone.localtime(moment, tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _tenant_zone():
    return zoneinfo.ZoneInfo(require_tenant().time_zone)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _list_headers() -> list[str]:
    return [
        _("Customer number"),
        _("Name"),
        _("Type"),
        _("Status"),
        _("ID type"),
        _("ID number"),
        _("Mobile phone"),
        _("Home branch code"),
        _("Home branch"),
        _("Relationship manager"),
        _("Tier"),
        _("Risk grade"),
        _("AUM (CNY)"),
        _("Created at"),
    ]


def _list_rows(values: Iterable[tuple], tz) -> Iterable[list]:
    kinds, statuses = _labels(Customer.Kind), _labels(Customer.Status)
    id_types, tiers = _labels(Customer.IdType), _labels(Customer.Tier)
    grades = _labels(Customer.RiskGrade)
    for (
        number,
        name,
        kind,
        status,
        id_type,
        id_masked,
        phone_masked,
        branch_code,
        branch_name,
        manager,
        tier,
        grade,
        aum_fen,
        created_at,
    ) in values:
        yield [
            number,
            name,
            kinds.get(kind, kind),
            statuses.get(status, status),
            id_types.get(id_type, id_type),
            id_masked,
            phone_masked,
            branch_code,
            branch_name,
            manager or "",
            tiers.get(tier, tier),
            grades.get(grade, grade),
            (Decimal(aum_fen) / 100).quantize(Decimal("0.01")),
            _local(created_at, tz),
        ]


def audit_filters(query: dict[str, list[str]]) -> str:
    """The list filters of an export as the audit keeps them: long numbers masked."""
    parts = []
    for key, values in sorted(query.items()):
        for value in values:
            if value:
                parts.append(f"{key}={LONG_NUMBER.sub(lambda m: pii.mask(m.group()), value)}")
    return "&".join(parts)[:500]


@transaction.atomic
def customer_list_export(
    *, actor: Staff, customers: QuerySet, file_format: str, filters: str = ""
) -> tuple[str, bytes]:
    """Build the file of a filtered customer list (masked) and record who took it."""
    if not customers.query.order_by:
        customers = customers.order_by("pk")
    values = list(customers.values_list(*LIST_FIELDS)[: MAX_EXPORT_ROWS + 1])
    if len(values) > MAX_EXPORT_ROWS:
        raise DomainError(
            _("The list has more than %(limit)s customers. Narrow it down with filters first.")
            % {"limit": f"{MAX_EXPORT_ROWS:,}"}
        )
    tz = _tenant_zone()
    name = f"customers-{timezone.localtime(timezone.now(), tz):%Y%m%d-%H%M%S}.{file_format}"
    content = build_file(
        _list_headers(), _list_rows(values, tz), file_format=file_format, title=_("Customers")
    )
    CustomerExport.objects.create(
        tenant=require_tenant(),
        name=name,
        file_format=file_format,
        filters=filters,
        rows=len(values),
        exported_by=actor,
    )
    return name, content


# The personal-data copy -------------------------------------------------------------------


def _plain(value, tz):
    if isinstance(value, datetime):
        return _local(value, tz)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, time):  # a time of day, as staff read contact hours
        return value.strftime("%H:%M")
    if value is None:
        return ""
    if isinstance(value, Promise):  # a choice's label, from any app's section
        return str(value)
    return value


def personal_data_sections(customer: Customer) -> list[tuple[str, str, list[str], list[list]]]:
    """The customer's data as ``(key, title, headers, rows)`` sections, identity in clear.

    The sections come from every app's declarations (``customers.personal_data``).
    """
    tz = _tenant_zone()
    return [
        (
            section.key,
            str(section.title),
            [str(header) for header in section.headers],
            [[_plain(value, tz) for value in row] for row in section.rows(customer)],
        )
        for section in copy_sections()
    ]


@transaction.atomic
def personal_data_copy(
    *, customer: Customer, actor: Staff, reason: str, file_format: str
) -> tuple[str, bytes]:
    """Log the access, then build the customer's own copy of their data (JSON or XLSX)."""
    if not reason.strip():
        raise DomainError(_("Give the reason for this copy."), field="reason")
    personal_data_access_record(
        subject=customer, field=PERSONAL_DATA_COPY, reason=reason.strip(), actor=actor
    )
    sections = personal_data_sections(customer)
    stamp = f"{timezone.localtime(timezone.now(), _tenant_zone()):%Y%m%d}"
    name = f"personal-data-{customer.number}-{stamp}.{file_format}"
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    if file_format == "xlsx":
        return name, build_workbook(
            [(title, headers, rows) for _k, title, headers, rows in sections]
        )
    document = {
        "generated_at": _local(timezone.now(), _tenant_zone()),
        "bank": require_tenant().name,
    }
    for key, title, headers, rows in sections:
        if key == "profile":
            document[key] = {"title": title, "fields": {label: value for label, value in rows}}
        else:
            document[key] = {
                "title": title,
                "rows": [dict(zip(headers, row, strict=True)) for row in rows],
            }
    return name, json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
