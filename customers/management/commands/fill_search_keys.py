from django.core.management.base import BaseCommand

from crm.tenancy.context import platform_wide
from customers.models import Customer
from customers.search_keys import fill_phone_tails


class Command(BaseCommand):
    help = (
        "Give every customer with a phone number the keyed hash of its last four digits "
        "(the 尾号 search), where it is missing. Safe to run again; migration 0009 runs it "
        "once. The given name needs nothing: the database derives it from the name."
    )

    def handle(self, *args, **options):
        with platform_wide():
            filled = fill_phone_tails(
                Customer, progress=lambda count: self.stdout.write(f"  {count:,} so far")
            )
        self.stdout.write(f"Filled the phone-tail search key of {filled:,} customers.")
