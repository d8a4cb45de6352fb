"""Signed, per-transaction claims that tell row-level security whose rows a transaction sees.

PostgreSQL lets any role set any custom setting (``set_config('app.x', ...)``) whatever is
granted, so a policy that trusted a bare ``app.tenant_id`` would let one injected statement
pick another bank. Instead the backend sets ``app.claim`` to a claim signed with HMAC-SHA256:

    t<tenant id>.<expiry, unix seconds>.<hex signature>   a tenant's rows
    platform.<expiry>.<hex signature>                     every tenant's rows (platform code)

and the policies call ``app_current_tenant()`` / ``app_platform_access()``, ``SECURITY
DEFINER`` functions owned by the tables' owner that verify the signature with a key kept in a
table only the owner can read (a forged claim raises). The application holds the key in
memory, derived from ``SECRET_KEY``; ``migrate`` writes it into the database.

The HMAC is computed in SQL with the built-in ``sha256()`` (pgcrypto may be missing, e.g.
on the embedded server): with a 64-byte key, HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)),
so the database stores the two padded keys and needs no XOR at verification time.
"""

import hashlib
import hmac
import time

from django.conf import settings
from django.db.backends.utils import CursorWrapper

# A claim outlives its transaction's first statement by this much. Policies compare it with
# the transaction's start time (now()), so long transactions keep their claim; the margin
# also absorbs clock skew between application and database hosts.
CLAIM_LIFETIME_SECONDS = 15 * 60
PLATFORM_SUBJECT = "platform"
_BLOCK_SIZE = 64  # SHA-256's block size; HMAC uses a key of exactly this length unpadded


def claim_key() -> bytes:
    """The 64-byte HMAC key, derived from SECRET_KEY (rotating SECRET_KEY rotates it)."""
    return hashlib.sha512(b"crm.db.claims\x00" + settings.SECRET_KEY.encode()).digest()


def padded_keys(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer HMAC pads of ``key``, as the database stores them."""
    assert len(key) == _BLOCK_SIZE
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _sign(subject: str, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + CLAIM_LIFETIME_SECONDS)
    message = f"{subject}.{expires}"
    signature = hmac.new(claim_key(), message.encode(), hashlib.sha256).hexdigest()
    return f"{message}.{signature}"


def tenant_claim(tenant_id: int, now: float | None = None) -> str:
    return _sign(f"t{int(tenant_id)}", now)


def platform_claim(now: float | None = None) -> str:
    return _sign(PLATFORM_SUBJECT, now)


# --- SQL, run by migrations as the owner --------------------------------------------------

KEY_TABLE = "crm_claim_key"

CREATE_KEY_TABLE_SQL = f"""
CREATE TABLE IF NOT EXISTS {KEY_TABLE} (
    id smallint PRIMARY KEY CHECK (id = 1),
    inner_pad bytea NOT NULL CHECK (length(inner_pad) = {_BLOCK_SIZE}),
    outer_pad bytea NOT NULL CHECK (length(outer_pad) = {_BLOCK_SIZE})
)
"""

# The verified subject of the transaction's claim, or NULL when none is set. search_path is
# pinned so that no role can shadow sha256() or the key table with objects of its own.
VERIFIED_SUBJECT_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION app_verified_claim_subject() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
    claim text := current_setting('app.claim', true);
    subject text;
    expires text;
    pads record;
BEGIN
    IF claim IS NULL OR claim = '' THEN
        RETURN NULL;
    END IF;
    subject := split_part(claim, '.', 1);
    expires := split_part(claim, '.', 2);
    SELECT inner_pad, outer_pad INTO pads FROM crm_claim_key WHERE id = 1;
    IF pads IS NULL OR split_part(claim, '.', 3) IS DISTINCT FROM encode(
        sha256(pads.outer_pad || sha256(pads.inner_pad
            || convert_to(subject || '.' || expires, 'UTF8'))), 'hex')
    THEN
        RAISE EXCEPTION 'invalid row-level security claim'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF expires !~ '^[0-9]{1,12}$' OR to_timestamp(expires::bigint) < now() THEN
        RAISE EXCEPTION 'expired row-level security claim'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN subject;
END
$$
"""

# Each policy of a table is its own initplan: a claim of the other kind is told apart by its
# first characters and not verified again, so a statement verifies each table's claim once.
CURRENT_TENANT_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION app_current_tenant() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT CASE WHEN subject ~ '^t[0-9]{1,18}$' THEN substr(subject, 2)::bigint END
    FROM (
        SELECT CASE WHEN current_setting('app.claim', true) ^@ 't'
            THEN app_verified_claim_subject() END AS subject
    ) AS claim
$$
"""

PLATFORM_ACCESS_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION app_platform_access() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
    SELECT CASE WHEN current_setting('app.claim', true) ^@ '{PLATFORM_SUBJECT}.'
        THEN coalesce(app_verified_claim_subject() = '{PLATFORM_SUBJECT}', false)
        ELSE false END
$$
"""

STORE_KEY_SQL = """
INSERT INTO crm_claim_key (id, inner_pad, outer_pad) VALUES (1, %s, %s)
ON CONFLICT (id) DO UPDATE SET inner_pad = EXCLUDED.inner_pad, outer_pad = EXCLUDED.outer_pad
WHERE (crm_claim_key.inner_pad, crm_claim_key.outer_pad)
    IS DISTINCT FROM (EXCLUDED.inner_pad, EXCLUDED.outer_pad)
"""


def store_key(cursor: CursorWrapper) -> None:
    """Write the application's claim key into the database (as the owner)."""
    cursor.execute(STORE_KEY_SQL, padded_keys(claim_key()))
