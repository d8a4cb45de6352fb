"""Personal data survives a key rotation: old keys decrypt, the command re-encrypts."""

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import override_settings

from crm import pii
from customers.models import Customer


def test_rotation_keeps_data_readable_and_moves_it_to_the_new_key(bank_a, settings):
    old_key = settings.PII_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    with bank_a.scope():
        before = Customer.objects.get(pk=bank_a.customer.pk)
        clear_id = before.reveal("id_number")
    with override_settings(PII_ENCRYPTION_KEYS=[new_key, old_key]):
        with bank_a.scope():
            # Old ciphertexts still decrypt while the old key is listed.
            assert Customer.objects.get(pk=bank_a.customer.pk).reveal("id_number") == clear_id
        call_command("rotate_pii_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with override_settings(PII_ENCRYPTION_KEYS=[new_key]), bank_a.scope():
        after = Customer.objects.get(pk=bank_a.customer.pk)
        assert after.id_number_encrypted != before.id_number_encrypted
        assert after.reveal("id_number") == clear_id
        assert after.reveal("phone") == "13812345678"
        # The blind index does not depend on the encryption key: search still works.
        assert Customer.objects.with_phone("13812345678", tenant_id=bank_a.tenant.pk).exists()
    pii._cipher.cache_clear()
