"""The channels and request types every bank starts with (editable in Django admin)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from channels.models import Channel, ServiceRequestType
from crm.tenancy.models import Tenant

STANDARD_CHANNELS = [
    # code, name, kind, electronic, cost per transaction (CNY)
    ("COUNTER", _("Branch counter"), Channel.Kind.COUNTER, False, Decimal("12.00")),
    ("ATM", _("ATM and self-service"), Channel.Kind.SELF_SERVICE, True, Decimal("2.50")),
    ("POS", _("POS"), Channel.Kind.POS, True, Decimal("1.20")),
    ("PHONE", _("Phone banking / call center"), Channel.Kind.PHONE, True, Decimal("5.00")),
    ("ONLINE", _("Online banking"), Channel.Kind.ONLINE, True, Decimal("0.60")),
    ("MOBILE", _("Mobile banking"), Channel.Kind.MOBILE, True, Decimal("0.30")),
    ("WECHAT", _("WeChat banking"), Channel.Kind.WECHAT, True, Decimal("0.35")),
    ("SMS", _("SMS"), Channel.Kind.SMS, True, Decimal("0.05")),
]

STANDARD_REQUEST_TYPES = [
    # code, name, deadline in hours
    ("LOAN_APPLICATION", _("Loan application"), 120),
    ("CARD_REPLACEMENT", _("Card replacement"), 72),
    ("ADDRESS_CHANGE", _("Address change"), 24),
    ("ACCOUNT_OPENING", _("Account opening"), 48),
    ("LIMIT_INCREASE", _("Credit limit increase"), 96),
]


def ensure_standard_catalog(tenant: Tenant) -> None:
    """Create the standard channels and request types the bank does not have yet.

    Names are stored in the language active when the catalog is created (the bank's
    administrators rename them freely afterwards).
    """
    channels = set(Channel.objects.filter(tenant=tenant).values_list("code", flat=True))
    Channel.objects.bulk_create(
        Channel(
            tenant=tenant,
            code=code,
            name=str(name),
            kind=kind,
            is_electronic=electronic,
            cost_per_transaction=cost,
        )
        for code, name, kind, electronic, cost in STANDARD_CHANNELS
        if code not in channels
    )
    types = set(ServiceRequestType.objects.filter(tenant=tenant).values_list("code", flat=True))
    ServiceRequestType.objects.bulk_create(
        ServiceRequestType(tenant=tenant, code=code, name=str(name), sla_hours=hours)
        for code, name, hours in STANDARD_REQUEST_TYPES
        if code not in types
    )
