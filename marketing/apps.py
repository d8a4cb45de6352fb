from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    """Customer value (contribution, tiers, the tier service policy) and, later, campaigns.

    Builds on ``customers`` and ``channels`` through their public modules and registries;
    never imports ``risk`` (what the two share lives in ``customers`` or ``crm``).
    """

    name = "marketing"
    verbose_name = _("Marketing")
