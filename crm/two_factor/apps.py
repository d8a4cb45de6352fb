from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "crm.two_factor"
    label = "two_factor"
    verbose_name = _("Two-factor sign-in")

    def ready(self) -> None:
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # django-otp registers its devices in the admin, where deleting one would bypass the
        # audited reset (crm.two_factor.services.two_factor_reset): take them out.
        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
