"""Settings shared by every environment; each value can come from the environment."""

import os
from pathlib import Path
from typing import Any, overload

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from crm.embedded import embedded_broker, embedded_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# The classes that django-stubs declares generic (ModelAdmin, ModelForm, Lookup...) take a
# type parameter at run time too, as the annotated base classes in the apps need.
django_stubs_ext.monkeypatch()


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # tenancy first: its management commands (migrate, flush, createsuperuser...) wrap
    # Django's own with the database-owner and platform-wide modes they need.
    "crm.tenancy",
    "crm.apps.CRMAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # after django.contrib.auth: audit replaces a login receiver that auth connects
    "crm.audit",
    "crm.api",
    "crm.jobs",
    "crm.notifications",
    "crm.events",
    "crm.approvals",
    "crm.business_calendar",
    "crm.shell",
    "crm.uploads",
    "crm.two_factor",
    "customers",
    "channels",
    "marketing",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    # the packages' app configurations with translatable names (crm/third_party.py), as
    # for django_celery_beat below
    "crm.third_party.OAuthToolkitConfig",
    "crm.third_party.AxesConfig",
    "pgtrigger",
    "pghistory",
    "crm.third_party.CeleryBeatConfig",
    "django_htmx",
    "template_partials",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "crm.tenancy.middleware.TenantMiddleware",
    # after the tenant is set: a staff member's devices are read under their bank's claim
    "django_otp.middleware.OTPMiddleware",
    "crm.two_factor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Answers 413 before any view reads the body (the CSRF check reads it in process_view,
    # after every middleware's request phase), late enough for the 413 page to be rendered
    # like any other page; crm.request_size.RequestSizeLimit counts what Django does not.
    "crm.request_size.RequestSizeMiddleware",
    # axes must come last so that it sees the outcome of every login attempt
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"
ASGI_APPLICATION = "crm.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "crm.shell.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# Two logins (see crm/db and the README's "Database roles"):
# - DATABASE_URL names the role that owns the tables. Only migrations, flush, test-database
#   set-up and bulk loading log in with it (crm.db.owner).
# - Web and worker processes log in as the runtime role: DATABASE_APP_URL when the database
#   administrator provides one, otherwise the role `crm_app` on the same server, which
#   migrate creates with a password derived from SECRET_KEY. It is neither superuser nor
#   BYPASSRLS, owns nothing and can switch to no role, so row-level security always applies;
#   which bank's rows it sees comes from a signed per-transaction claim (crm.db.claims).
DEFAULT_APP_ROLE = "crm_app"


def database_config(url: str) -> dict[str, Any]:
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url,
            conn_max_age=int(env("CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    )
    config["ENGINE"] = "crm.db"
    return config


def runtime_database_config(owner: dict[str, Any], app_url: str | None) -> dict[str, Any]:
    if app_url:
        return database_config(app_url)
    return {
        **owner,
        "OPTIONS": dict(owner.get("OPTIONS", {})),
        "USER": DEFAULT_APP_ROLE,
        "PASSWORD": "",
        "DERIVED_PASSWORD": True,
    }


# A web or worker host given only DATABASE_APP_URL never holds the owner's credentials.
_owner_url = env("DATABASE_URL") or (None if env("DATABASE_APP_URL") else embedded_database_url())
DATABASE_OWNER = database_config(_owner_url) if _owner_url else {}
DATABASES = {"default": runtime_database_config(DATABASE_OWNER, env("DATABASE_APP_URL"))}
DATABASE_APP_ROLE: str = DATABASES["default"]["USER"]
DATABASE_APP_PASSWORD_DERIVED = DATABASES["default"].get("DERIVED_PASSWORD", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------
AUTH_USER_MODEL = "tenancy.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "crm.tenancy.auth.StaffBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Keys stored hashed: the runtime role reads the shared sessions table (crm/tenancy/sessions.py).
SESSION_ENGINE = "crm.tenancy.sessions"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_HANDLER = "crm.tenancy.lockout.PlatformLockoutHandler"  # attempts are platform-only
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Reverse proxies in front of the application (address ranges, comma-separated): only
# they are believed about the client's address (X-Forwarded-For). Unset, the peer's address
# is the client's. Sign-in lockout, the token endpoint's throttle, partner address ranges
# and the audit trail all read the client's address through crm.addresses.client_address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "crm.addresses.client_address"

# Two-factor sign-in (crm/two_factor). Each wrong code doubles the wait before the device
# takes another (1 s, 2 s, 4 s... up to django-otp's cap): throttling is on for both kinds.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Bank CRM")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Bootstrap, ECharts and the admin set style attributes; styles cannot run code.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation -----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# Ours first: makemessages rewrites it from our code. The second holds what the third-party
# admin apps (axes, OAuth toolkit, celery-beat) lack in Chinese; makemessages leaves it alone.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_third_party"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["crm.formats"]  # amounts grouped by three in Chinese too

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / ".local" / "media")))

# --- Uploaded files -------------------------------------------------------------------
# Held in memory up to this size and refused beyond it, never spooled to the web host's
# disk (crm/uploads/handlers.py); kept encrypted in PostgreSQL for the worker that reads
# them.
UPLOAD_MAX_BYTES = int(env("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = ["crm.uploads.handlers.CappedMemoryUploadHandler"]

# --- Request size (crm/request_size.py) ------------------------------------------------
# A body without files: the largest valid partner batch is 1,000 contacts with every text
# field full, ~2.6 MB of Chinese in UTF-8, ~6.3 MB as \u escapes, ~12.6 MB when every
# character lies outside the BMP (rare characters of names, sent as surrogate pairs).
# tests/security/test_request_size.py builds that batch and keeps a fifth of room above it.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(16 * 1024 * 1024)))
# The form fields and multipart framing around the largest file: a file at the cap meets
# the upload handler's form error, not this limit's 413.
UPLOAD_FORM_OVERHEAD_BYTES = 1024 * 1024
# Any request: the larger of the two. Keep the reverse proxy's limit (README) at least this.
REQUEST_MAX_BYTES = max(DATA_UPLOAD_MAX_MEMORY_SIZE, UPLOAD_MAX_BYTES + UPLOAD_FORM_OVERHEAD_BYTES)

# --- Cache (API throttling) -----------------------------------------------------------
if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
    }
else:
    # Shared by every web and worker process, so that throttle limits are not multiplied
    # by their number. `migrate` creates the table.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "crm_cache",
        }
    }

# --- API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["crm.api.authentication.PartnerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.HasRequiredScopes"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "crm.api.filters.PartnerOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.PartnerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"partner": env("API_RATE_LIMIT", "1200/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["crm.api.parsers.ApiJSONParser"],
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "crm.api.schema.PartnerAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    # 413: a body over the size limit (crm.api.schema documents it for calls with a body).
    "ALLOWED_ERROR_STATUS_CODES": [
        *("400", "401", "403", "404", "405", "406", "413", "415", "429", "500"),
    ],
    "ERROR_SCHEMAS": {"413": "crm.api.schema.ErrorResponse413Serializer"},
}
ERROR_SERIALIZERS = "drf_standardized_errors.openapi_serializers"
SPECTACULAR_SETTINGS = {
    "TITLE": "Bank CRM partner API",
    "DESCRIPTION": (
        "Partner systems (core banking, call center, mobile app, SMS gateway) of one bank. "
        "Authenticate with OAuth2 client credentials at /o/token/; every call sees only "
        "the data of the bank the partner application belongs to."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs describe the API, not any bank's data: readable without a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": f"{ERROR_SERIALIZERS}.ValidationErrorEnum.choices",
        "ClientErrorEnum": f"{ERROR_SERIALIZERS}.ClientErrorEnum.choices",
        "ServerErrorEnum": f"{ERROR_SERIALIZERS}.ServerErrorEnum.choices",
        "ErrorCode401Enum": f"{ERROR_SERIALIZERS}.ErrorCode401Enum.choices",
        "ErrorCode403Enum": f"{ERROR_SERIALIZERS}.ErrorCode403Enum.choices",
        "ErrorCode404Enum": f"{ERROR_SERIALIZERS}.ErrorCode404Enum.choices",
        "ErrorCode405Enum": f"{ERROR_SERIALIZERS}.ErrorCode405Enum.choices",
        "ErrorCode406Enum": f"{ERROR_SERIALIZERS}.ErrorCode406Enum.choices",
        "ErrorCode415Enum": f"{ERROR_SERIALIZERS}.ErrorCode415Enum.choices",
        "ErrorCode429Enum": f"{ERROR_SERIALIZERS}.ErrorCode429Enum.choices",
        "ErrorCode500Enum": f"{ERROR_SERIALIZERS}.ErrorCode500Enum.choices",
        "BranchKindEnum": "crm.tenancy.models.Branch.Kind",
        "CustomerKindEnum": "customers.models.Customer.Kind",
        "RelationshipKindEnum": "customers.models.CustomerRelationship.Kind",
        # Customers' and holdings' statuses keep the name they had before requests had one.
        "StatusEnum": "customers.models.Customer.Status",
        "ServiceRequestStatusEnum": "channels.models.ServiceRequest.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "crm.api.schema.postprocess_error_attrs",
    ],
}

# Wrong client secrets at the token endpoint (crm.api.token_throttle): per client id and
# address, the first few are free and each further one waits twice as long as the last, up
# to the ceiling; per address, at most so many failures in a window, whatever the client id.
OAUTH_TOKEN_THROTTLE = {
    "FREE_FAILURES": 5,
    "MAX_BACKOFF_SECONDS": 15 * 60,
    "ADDRESS_FAILURES": int(env("TOKEN_FAILURES_PER_ADDRESS", "30")),
    "ADDRESS_WINDOW_SECONDS": 10 * 60,
}

OAUTH2_PROVIDER_APPLICATION_MODEL = "tenancy.PartnerApplication"
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "crm.api.scopes.PartnerScopes",
    "OAUTH2_VALIDATOR_CLASS": "crm.api.oauth.PartnerOAuth2Validator",
    "APPLICATION_ADMIN_CLASS": "crm.tenancy.admin.PartnerApplicationAdmin",
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(env("API_TOKEN_LIFETIME", "900")),
    "REFRESH_TOKEN_EXPIRE_SECONDS": 24 * 60 * 60,
    "CLEAR_EXPIRED_TOKENS_BATCH_SIZE": 10000,
    "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0,
    # OAuth 2.0 Security BCP (RFC 9700): only client credentials are used, but keep every
    # other flow in its compliant form too, and store tokens hashed.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

# --- Audit ----------------------------------------------------------------------------
# Keep each change's context (who, from where) on the event row itself: the event tables
# carry the tenant and sit under row-level security, a shared context table would not.
import pghistory  # noqa: E402

PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()

# --- Celery ---------------------------------------------------------------------------
if env("CELERY_BROKER_URL"):
    CELERY_BROKER_URL = env("CELERY_BROKER_URL")
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
else:
    CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = embedded_broker()
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "crm.jobs.beat:PlatformScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A book handover of more customers than this needs a second person's approval.
LARGE_HANDOVER_SIZE = int(env("LARGE_HANDOVER_SIZE", "200"))
# A run that beats its heart (crm.jobs.runs.heartbeat) is dead when silent this long.
JOB_HEARTBEAT_TIMEOUT = int(env("JOB_HEARTBEAT_TIMEOUT", "300"))

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "crm.tenancy.logging.RequestContextFilter"}},
    "formatters": {
        "context": {
            "format": "%(asctime)s %(levelname)s %(name)s tenant=%(tenant)s "
            "staff=%(staff)s %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            "formatter": "context",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces the handlers Django's default configuration gives this logger, which
        # printed every 403 and 404 a second time beside the root handler.
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        "pgserver": {"level": "WARNING"},
    },
}

ADMIN_SITE_HEADER = _("Bank CRM administration")
