"""Settings for the test suite: the development settings with faster password hashing."""

import os

from crm.settings.dev import *  # noqa: F403

DEBUG = False
# Argon2 is the production hasher (see base.py and tests/security); tests create many
# staff members and do not need its cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_FAILURE_LIMIT = 5
ALLOWED_HOSTS = ["*"]  # the live server and the test client use several host names

# A database of its own per test process, so that parallel runs on one server (several
# developers' checkouts, CI and a local run) never drop each other's test database.
DATABASES["default"]["TEST"] = {"NAME": f"test_crm_{os.getpid()}"}  # noqa: F405

# Each test process counts its own throttles; a shared table would outlive flushed tests.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
