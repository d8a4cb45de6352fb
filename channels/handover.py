"""Open service requests follow their customer to the new relationship manager.

Registered in ChannelsConfig.ready() as a participant of customers' handovers: requests
still open that the previous manager owned pass to the new one, or to nobody (the team's
queue) when the customers go to the public pool. Requests owned by tellers or colleagues
stay where they are: only the manager's own work moves with the book.
"""

from channels.models import ServiceRequest
from channels.selectors import OPEN_STATUSES
from customers.handover import Handover


def move_open_requests(handover: Handover) -> None:
    new_owner = handover.relationship_manager
    for previous in handover.previous_manager_ids:
        ServiceRequest.objects.filter(
            customer_id__in=handover.customers_of(previous),
            owner_id=previous,
            status__in=OPEN_STATUSES,
        ).update(owner=new_owner)
