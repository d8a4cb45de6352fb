import secrets
from datetime import timedelta

import factory
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from crm.api.scopes import SCOPES
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.services import staff_set_roles
from tests.factories.base import TenantOwnedFactory

TEST_PASSWORD = "correct-horse-battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    code = factory.Sequence(lambda n: f"bank{n}")
    name = factory.Sequence(lambda n: f"测试银行{n}号股份有限公司")
    short_name = factory.Sequence(lambda n: f"测试银行{n}")
    # Tests' banks ask no second factor of any role, so that every test may sign staff in
    # with a password; tests of two-factor sign-in choose the roles (tests/two_factor).
    two_factor_roles = factory.LazyFunction(list)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with platform_wide():
            return super()._create(model_class, *args, **kwargs)


class BranchFactory(TenantOwnedFactory):
    class Meta:
        model = Branch

    tenant = factory.SubFactory(TenantFactory)
    parent = None
    code = factory.Sequence(lambda n: f"BR{n:04d}")
    name = factory.Sequence(lambda n: f"分支机构{n}")
    kind = factory.LazyAttribute(
        lambda o: Branch.Kind.HEAD_OFFICE if o.parent is None else Branch.Kind.BRANCH
    )


class StaffFactory(TenantOwnedFactory):
    class Meta:
        model = Staff
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    tenant = factory.LazyAttribute(lambda o: o.branch.tenant)
    branch = factory.SubFactory(BranchFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            with tenant_context(self.tenant):
                staff_set_roles(staff=self, roles=extracted)


class PlatformAdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    username = factory.Sequence(lambda n: f"platform{n}")
    name = "平台管理员"
    is_superuser = True
    password = factory.django.Password(TEST_PASSWORD)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with platform_wide():
            return super()._create(model_class, *args, **kwargs)


class PartnerApplicationFactory(TenantOwnedFactory):
    class Meta:
        model = PartnerApplication

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"合作系统{n}")
    client_id = factory.Sequence(lambda n: f"partner-{n}")
    client_secret = "partner-secret"
    client_type = PartnerApplication.CLIENT_CONFIDENTIAL
    authorization_grant_type = PartnerApplication.GRANT_CLIENT_CREDENTIALS
    scope = " ".join(sorted(SCOPES))


def access_token_for(application: PartnerApplication, scope: str | None = None) -> str:
    """Issue a bearer token to ``application`` directly (the token endpoint has its own tests)."""
    token = secrets.token_urlsafe(24)
    with platform_wide():
        get_access_token_model().objects.create(
            application=application,
            token=token,
            expires=timezone.now() + timedelta(minutes=15),
            scope=application.scope if scope is None else scope,
        )
    return token
