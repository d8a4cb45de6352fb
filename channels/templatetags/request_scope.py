"""Whether a request's customer may be opened: a request given to someone reaches them
wherever its customer is homed, the customer's record does not."""

from django import template

from crm.tenancy.models import Staff
from customers.models import Customer

register = template.Library()


@register.filter
def customer_in_scope(customer: Customer, staff: Staff) -> bool:
    """``{% if customer|customer_in_scope:request.user %}``: link to the record or not."""
    return staff.scope.covers_customer(
        home_branch_id=customer.home_branch_id, manager_id=customer.relationship_manager_id
    )
