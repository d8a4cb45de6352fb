"""The customers app's home-page widget: a relationship manager's own book.

CustomersConfig.ready() registers it. One aggregate over the manager's customers, read
through the (tenant, relationship manager) index: a book is hundreds of customers, never
the bank.
"""

from django.db.models import Count, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.shell.widgets import Widget, register_widget
from crm.tenancy.roles import Role
from customers.models import Customer, from_fen


def my_book(request: HttpRequest) -> dict:
    staff = request.user
    figures = Customer.objects.filter(relationship_manager=staff).aggregate(
        customers=Count("pk"), aum_fen=Sum("aum_fen")
    )
    return {
        "customers": figures["customers"],
        "aum": from_fen(figures["aum_fen"] or 0),
        "list_url": f"{reverse('customers:list')}?{urlencode({'relationship_manager': staff.pk})}",
        "can_claim": staff.has_perm("customers.claim_from_pool"),
    }


def register() -> None:
    register_widget(
        Widget(
            key="my_book",
            title=_("My customers"),
            template="customers/widgets/my_book.html",
            context=my_book,
            order=30,
            width="col-md-6 col-lg-4",
            permission="customers.view_customer",
            roles=frozenset({Role.RELATIONSHIP_MANAGER}),
        )
    )
