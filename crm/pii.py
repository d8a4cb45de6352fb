"""Personal data at rest: encryption with rotatable keys, blind indexes, masking.

Identity numbers and phone numbers are stored three times over, none of them in clear:
- encrypted with Fernet (``PII_ENCRYPTION_KEYS``, newest first; older keys still decrypt,
  ``manage.py rotate_pii_keys`` re-encrypts with the newest);
- as a keyed HMAC per tenant (``PII_BLIND_INDEX_KEY``), for exact search and duplicate
  detection without decrypting; the same number gives different hashes in two banks;
- masked (``110***********1234``, ``138****5678``) for lists, exports and the API.

Uploaded files, which may hold any of these, are encrypted with the same keys as bytes.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.PII_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return cipher().decrypt(token.encode()).decode()


def encrypt_bytes(value: bytes) -> bytes:
    """Encrypt a file's bytes; the token is ASCII, a third longer than ``value``."""
    return cipher().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    return cipher().decrypt(token)


def reencrypt(token: str) -> str:
    """Return ``token`` encrypted with the newest key (unchanged if it already is)."""
    return cipher().rotate(token.encode()).decode()


def normalise(kind: str, value: str) -> str:
    value = "".join(value.split()).upper()
    if kind == "phone":
        value = value.removeprefix("+86").removeprefix("0086")
    return value


def blind_index(kind: str, value: str, *, tenant_id: int) -> bytes:
    """A keyed hash of the normalised value, specific to the tenant and the kind of data."""
    tenant_key = hmac.new(
        settings.PII_BLIND_INDEX_KEY.encode(), f"{tenant_id}:{kind}".encode(), hashlib.sha256
    ).digest()
    return hmac.new(tenant_key, normalise(kind, value).encode(), hashlib.sha256).digest()


def mask(value: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def development_key(secret: str, purpose: str) -> str:
    """A Fernet key derived from SECRET_KEY, for development settings only."""
    digest = hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
