from datetime import timedelta

import factory
from django.utils import timezone, translation

from channels.catalog import ensure_standard_catalog
from channels.models import (
    Channel,
    FollowUp,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestType,
)
from crm.tenancy.context import tenant_context
from tests.factories.base import TenantOwnedFactory


def standard_catalog(tenant) -> dict:
    """Give ``tenant`` the standard channels and request types; return them by code."""
    with tenant_context(tenant), translation.override("zh-hans"):
        ensure_standard_catalog(tenant)
        channels = {c.code: c for c in Channel.objects.all()}
        request_types = {t.code: t for t in ServiceRequestType.objects.all()}
    return {"channels": channels, "request_types": request_types}


class ChannelFactory(TenantOwnedFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("tenant", "code")

    code = "COUNTER"
    name = factory.LazyAttribute(lambda o: f"渠道{o.code}")
    kind = Channel.Kind.COUNTER


class ServiceRequestTypeFactory(TenantOwnedFactory):
    class Meta:
        model = ServiceRequestType
        django_get_or_create = ("tenant", "code")

    code = "CARD_REPLACE"
    name = factory.LazyAttribute(lambda o: f"业务{o.code}")
    sla_hours = 48


class OutletFactory(TenantOwnedFactory):
    class Meta:
        model = Outlet

    tenant = factory.LazyAttribute(lambda o: o.branch.tenant)
    branch = None
    channel = factory.LazyAttribute(lambda o: ChannelFactory(tenant=o.tenant))
    code = factory.Sequence(lambda n: f"O{n:05d}")
    name = factory.Sequence(lambda n: f"营业网点{n}")
    kind = Outlet.Kind.BRANCH_OUTLET


class InteractionFactory(TenantOwnedFactory):
    """A contact with ``customer``; the channel defaults to the bank's counter."""

    class Meta:
        model = Interaction

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    channel = factory.LazyAttribute(lambda o: ChannelFactory(tenant=o.tenant))
    kind = Interaction.Kind.SERVICE
    occurred_at = factory.LazyFunction(timezone.now)
    summary = factory.Sequence(lambda n: f"联系记录{n}")


class ServiceRequestFactory(TenantOwnedFactory):
    """An open request for ``customer``, handled by its home branch, due by the type's SLA."""

    class Meta:
        model = ServiceRequest

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    number = factory.Sequence(lambda n: f"SR{n:08d}")
    request_type = factory.LazyAttribute(lambda o: ServiceRequestTypeFactory(tenant=o.tenant))
    team = factory.LazyAttribute(lambda o: o.customer.home_branch)
    opened_channel = factory.LazyAttribute(lambda o: ChannelFactory(tenant=o.tenant))
    summary = factory.Sequence(lambda n: f"服务请求{n}")
    opened_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(
        lambda o: o.opened_at + timedelta(hours=o.request_type.sla_hours)
    )


class FollowUpFactory(TenantOwnedFactory):
    """An open follow-up of ``customer`` by its relationship manager, due tomorrow."""

    class Meta:
        model = FollowUp

    tenant = factory.LazyAttribute(lambda o: o.customer.tenant)
    customer = None
    owner = factory.LazyAttribute(lambda o: o.customer.relationship_manager)
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    purpose = FollowUp.Purpose.PERIODIC_VISIT
    source = "manual"
