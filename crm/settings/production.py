"""Production settings: refuse to start rather than fall back to an unsafe default."""

import os

from django.core.exceptions import ImproperlyConfigured

# Checked before base settings are imported: with DATABASE_URL or CELERY_BROKER_URL unset,
# base.py would otherwise start the embedded development services.
if not (os.environ.get("DATABASE_URL") or os.environ.get("DATABASE_APP_URL")):
    raise ImproperlyConfigured(
        "DATABASE_URL or DATABASE_APP_URL must be set in the environment in production "
        "(the tables' owner, or the runtime role on hosts that do not migrate)."
    )
for required in (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CELERY_BROKER_URL",
    "PII_ENCRYPTION_KEYS",
    "PII_BLIND_INDEX_KEY",
):
    if not os.environ.get(required):
        raise ImproperlyConfigured(f"{required} must be set in the environment in production.")

from crm.settings.base import *  # noqa: E402, F403
from crm.settings.base import env, env_list  # noqa: E402

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
PII_ENCRYPTION_KEYS = env_list("PII_ENCRYPTION_KEYS")
PII_BLIND_INDEX_KEY = env("PII_BLIND_INDEX_KEY")

SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT", "1") == "1"
if env("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (env("SECURE_PROXY_SSL_HEADER"), "https")
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
