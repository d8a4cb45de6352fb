"""Re-encrypt personal data with the newest key of PII_ENCRYPTION_KEYS.

Rotation: put a new key first in PII_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then drop the old keys once it reports nothing left to rotate.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from crm import pii
from crm.tenancy.context import platform_wide
from customers.models import Customer

BATCH = 2000
FIELDS = ("id_number_encrypted", "phone_encrypted")


def uses_newest_key(newest: Fernet, token: str) -> bool:
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


class Command(BaseCommand):
    help = "Re-encrypt customers' ID and phone numbers with the newest PII encryption key."

    def handle(self, *args, **options):
        newest = Fernet(settings.PII_ENCRYPTION_KEYS[0])
        rotated = 0
        last_id = 0
        with platform_wide():
            while True:
                with transaction.atomic():
                    batch = list(
                        Customer.objects.filter(pk__gt=last_id)
                        .order_by("pk")
                        .only("pk", *FIELDS)
                        .select_for_update()[:BATCH]
                    )
                    if not batch:
                        break
                    last_id = batch[-1].pk
                    changed = []
                    for customer in batch:
                        dirty = False
                        for field in FIELDS:
                            token = getattr(customer, field)
                            if token and not uses_newest_key(newest, token):
                                setattr(customer, field, pii.reencrypt(token))
                                dirty = True
                        if dirty:
                            changed.append(customer)
                    Customer.objects.bulk_update(changed, FIELDS)
                    rotated += len(changed)
        self.stdout.write(f"Re-encrypted {rotated} customers with the newest key.")
