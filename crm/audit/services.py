"""Reads of personal data are written down before the value is shown; partner batches,
refused partner sign-ins and staff's sign-in steps are recorded for the bank's auditors."""

from collections.abc import Iterable

from django.db import models, transaction
from django.http import HttpRequest

from crm.audit.models import FeedBatch, LoginEvent, PersonalDataAccess
from crm.audit.signals import record
from crm.tenancy.context import platform_wide, require_tenant
from crm.tenancy.models import PartnerApplication, Staff


@transaction.atomic
def personal_data_access_record(
    *,
    subject: models.Model,
    field: str,
    reason: str,
    actor: Staff | None = None,
    partner_name: str = "",
) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        tenant=require_tenant(),
        staff=actor,
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
    actor: Staff | None = None,
    partner_name: str = "",
) -> list[PersonalDataAccess]:
    """Record many reads at once, one row per (subject, field): a page of a list in one insert."""
    tenant = require_tenant()
    return PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(
            tenant=tenant,
            staff=actor,
            partner_name=partner_name,
            subject_type=subject._meta.label_lower,
            subject_id=subject.pk,
            subject_label=str(subject)[:200],
            field=field,
            reason=reason[:300],
        )
        for subject, field in accesses
    )


def feed_batch_record(
    *,
    partner: PartnerApplication,
    feed: str,
    items: int,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    refused: int | None = None,
) -> FeedBatch:
    """Record a partner batch, in the transaction that wrote its rows.

    ``refused`` (how many items were at fault) marks a refused batch: the caller has rolled
    back what the batch wrote and records only that it came and why it was turned away.
    """
    return FeedBatch.objects.create(
        tenant=require_tenant(),
        partner=partner,
        partner_name=partner.name,
        feed=feed,
        items=items,
        created=created,
        updated=updated,
        unchanged=unchanged,
        outcome=FeedBatch.Outcome.ACCEPTED if refused is None else FeedBatch.Outcome.REFUSED,
        refused=refused or 0,
    )


def partner_sign_in_refusal_record(
    *,
    kind: str,
    client_id: str,
    application: PartnerApplication | None,
    address: str | None,
    user_agent: str = "",
) -> LoginEvent:
    """Record a refused token request for the auditors of the application's bank.

    An unknown client id belongs to no bank: only platform administrators see it. Written
    platform-wide because the token endpoint runs before any bank is known.
    """
    with platform_wide():
        return LoginEvent.objects.create(
            tenant_id=application.tenant_id if application is not None else None,
            kind=kind,
            username=client_id[:150],
            ip_address=address,
            user_agent=user_agent[:300],
        )


def login_event_record(
    *,
    kind: str,
    staff: Staff,
    request: HttpRequest | None,
    actor: Staff | None = None,
    reason: str = "",
) -> None:
    """Record a step of signing in (or of its set-up) by or about ``staff``, in their bank."""
    record(
        kind,
        staff=staff,
        username=staff.get_username(),
        request=request,
        actor=actor,
        reason=reason,
    )
