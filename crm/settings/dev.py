"""Settings for running on a developer's or evaluator's machine."""

from crm.settings.base import *  # noqa: F403
from crm.settings.base import env

DEBUG = env("DEBUG", "1") == "1"
# A fixed key is acceptable here only because these settings never serve real customers:
# production.py refuses to start without SECRET_KEY.
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")  # noqa: F405

# Personal-data keys derived from the development SECRET_KEY; production sets its own.
from crm.pii import development_key  # noqa: E402

PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS") or [  # noqa: F405
    development_key(SECRET_KEY, "pii-encryption")
]
PII_BLIND_INDEX_KEY = env("PII_BLIND_INDEX_KEY", development_key(SECRET_KEY, "pii-index"))

# Generators and benchmarks (generate_bank, benchmark): development tooling, never in
# production.py (the test settings inherit it from here).
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
