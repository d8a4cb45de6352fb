"""Reads of personal data are written down before the value is shown."""

from collections.abc import Iterable

from django.db import models, transaction

from crm.audit.models import PersonalDataAccess
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff


@transaction.atomic
def personal_data_access_record(
    *,
    subject: models.Model,
    field: str,
    reason: str,
    staff: Staff | None = None,
    partner_name: str = "",
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        tenant=require_tenant(),
        staff=staff,
        partner_name=partner_name,
        subject_type=subject._meta.label_lower,
        subject_id=subject.pk,
        subject_label=str(subject)[:200],
        field=field,
        reason=reason[:300],
    )


@transaction.atomic
def personal_data_accesses_record(
    *,
    accesses: Iterable[tuple[models.Model, str]],
    reason: str,
    staff: Staff | None = None,
    partner_name: str = "",
) -> list[PersonalDataAccess]:
    """Record many reads at once, one row per (subject, field): a page of a list in one insert."""
    tenant = require_tenant()
    return PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            tenant=tenant,
            staff=staff,
            partner_name=partner_name,
            subject_type=subject._meta.label_lower,
            subject_id=subject.pk,
            subject_label=str(subject)[:200],
            field=field,
            reason=reason[:300],
        )
        for subject, field in accesses
    )
