import factory

from crm.tenancy.context import platform_wide, tenant_context


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Create rows inside their tenant's context, as the application would."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tenant = kwargs.get("tenant")
        with tenant_context(tenant) if tenant is not None else platform_wide():
            return super()._create(model_class, *args, **kwargs)
