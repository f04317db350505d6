"""Geoportal settings: everything comes from the environment, with defaults that make
``make demo`` work on a developer's machine. See README.md for the list of variables."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .api_contract import ERROR_COMPONENT as OPENAPI_ERROR
from .api_contract import ID_SCHEMA
from .api_contract import TAGS as OPENAPI_TAGS
from .clientip import parse_networks
from .env import database_from_url, email_settings, env_bool, env_int, env_list, env_str, secret_from_env
from .settings_celery import *  # noqa: F403  (Celery, the transactional outbox and the beat schedule)
from .settings_celery import REDIS_URL

BASE_DIR = Path(__file__).resolve().parent.parent

DEMO_SECRET_KEY = "demo-insecure-secret-key-change-me"  # noqa: S105 - refused when DEBUG=0
# Off unless asked for: a debug error page shows settings and the environment. `make demo`,
# scripts/serve.sh and the test run set DEBUG=1 explicitly; only then is the demo key a default.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_from_env("SECRET_KEY", DEMO_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: set SECRET_KEY or SECRET_KEY_FILE (DEBUG=1 uses the demo key, for the demo only)."
    )
if not DEBUG and SECRET_KEY == DEMO_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG=0 (production) with the demo SECRET_KEY: set SECRET_KEY or SECRET_KEY_FILE."
    )
if not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "geoportal",
    "issues",
    "projects",
    "analytics",
    "routing",
    "tiles",
    "frontend_map",
    "fixtures",
    "open311",
    "infocenter",
    "outbox",
    "inbox",
    "django.contrib.postgres",
    "corsheaders",
    "axes",
]

MIDDLEWARE = [
    # first: request id, metrics and the access log see every answer, also the refusals below
    "geoportal.observability.RequestObservabilityMiddleware",
    # before anything reads the body or the database: shed, cap, and turn a lost database into 503
    "geoportal.resilience.LoadSheddingMiddleware",
    "geoportal.resilience.BodySizeLimitMiddleware",
    "geoportal.resilience.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "open311.cors.ReadOnlyCorsMiddleware",  # corsheaders, GET-only for the public read API
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "geoportal.dbtimeout.StatementTimeoutMiddleware",  # statement_timeout per request, 503 when hit
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "geoportal.middleware.api_json_errors",  # JSON errors under /api/ even where no API view answered
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "geoportal.throttling.AnonymousRateLimitMiddleware",  # per-address limit on anonymous pages
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # the lockout answer of too many failed logins (last, as axes asks)
]

ROOT_URLCONF = "geoportal.urls"
WSGI_APPLICATION = "geoportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend_map.context.portal",
                "frontend_map.doors.doors",
            ],
        },
    },
]

DATABASE_URL = env_str(
    "DATABASE_URL", "postgis://geoportal:geoportal@127.0.0.1:5432/geoportal"
)
# Behind PgBouncer in transaction mode (DATABASE_POOLER=transaction, deploy/) a client's next
# transaction may run on another server connection: no cursor may outlive its transaction
# (Django's iterator() cursors) and no named statement a later transaction (tile statements).
DATABASE_POOLER = env_str("DATABASE_POOLER", "")
# A database host that does not answer fails the request in seconds (503), not after minutes;
# the web server sets DB_STATEMENT_TIMEOUT_MS (scripts/web.sh): no page waits on a runaway query.


def _database(url: str) -> dict[str, object]:
    return database_from_url(url, jit=env_bool("DB_JIT", False), pooler=DATABASE_POOLER,
                             connect_timeout=env_int("DB_CONNECT_TIMEOUT", 3),
                             statement_timeout_ms=env_int("DB_STATEMENT_TIMEOUT_MS", 0))


DATABASES = {"default": _database(DATABASE_URL)}
# The test database is named after the checkout: two clones testing at once on one machine never
# share one (a second clone's rows in the first one's database failed a CI run); TEST_DB_NAME overrides.
DATABASES["default"]["TEST"] = {"NAME": env_str(
    "TEST_DB_NAME", "test_geoportal_" + hashlib.sha1(str(BASE_DIR).encode(), usedforsecurity=False).hexdigest()[:10])}
# A streaming hot standby for reads that tolerate a few seconds of lag (geoportal.replica).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["geoportal.replica.PrimaryReplicaRouter"]
DATABASE_REPLICA_MAX_LAG = float(env_str("DATABASE_REPLICA_MAX_LAG", "5"))  # seconds of replay lag
DATABASE_REPLICA_CHECK_SECONDS = float(env_str("DATABASE_REPLICA_CHECK_SECONDS", "2"))
DATABASE_REPLICA_CONNECT_TIMEOUT = env_int("DATABASE_REPLICA_CONNECT_TIMEOUT", 2)
# After a write, its author reads from the primary this long (longer than the lag allowed).
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 15)
DATABASE_REPLICA_PATHS = env_list("DATABASE_REPLICA_PATHS", [
    "/tiles/", "/api/v1/stats/", "/api/v1/opendata/", "/api/v1/heatmap", "/api/v1/clusters",
    "/api/v1/choropleth", "/api/v1/map/", "/stats/", "/map/", "/search/",
])

CACHES = {
    "default": {
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "geoportal"),
        "TIMEOUT": 600,
        # Rate limits and caches fail open (a log line and a metric) when Redis is down: a citizen
        # is never refused because a counter could not be read. Short timeouts keep that fast.
        "BACKEND": "geoportal.cache.FailOpenRedisCache",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": env_int("CACHE_SOCKET_TIMEOUT_S", 1)},
    }
}


AUTH_USER_MODEL = "geoportal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password guessing (django-axes): after AXES_FAILURE_LIMIT failed logins from one address, or
# against one username, further attempts at /accounts/login/, /admin/login/ and
# /api/v1/auth/token/ get 429 until AXES_COOLOFF_TIME has passed (the failures are stored in the
# database, so every web process counts them together).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_CLIENT_IP_CALLABLE = "geoportal.clientip.client_ip_or_none"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "geoportal.auth.lockout_response"
# API tokens (/api/v1/auth/token/) stop working this many hours after they were issued; asking
# again for a token replaces an expired one.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24 * 7)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Media folders anyone may download (geoportal.media): library documents and project work
# photos. Appeal photos (originals and copies: issues.photo_views), residents' control-report
# photos (projects), attachments and meeting minutes stay behind views that check the caller.
PUBLIC_MEDIA_PREFIXES = ("library/", "projects/photos/")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Media on S3-compatible object storage (geoportal.storage; MinIO in deploy/): MEDIA_STORAGE=s3.
MEDIA_STORAGE = env_str("MEDIA_STORAGE", "filesystem")
MEDIA_SIGNED_URL_SECONDS = env_int("MEDIA_SIGNED_URL_SECONDS", 300)  # private files' signed URLs
MEDIA_PUBLIC_URL = env_str("MEDIA_PUBLIC_URL", MEDIA_URL)  # public copies: the proxy's /media/
MEDIA_S3_PUBLIC_ENDPOINT_URL = env_str("MEDIA_S3_PUBLIC_ENDPOINT_URL", "")  # what browsers reach
if MEDIA_STORAGE == "s3":
    STORAGES["default"] = {"BACKEND": "geoportal.storage.MediaStorage", "OPTIONS": {
        "bucket_name": env_str("MEDIA_S3_BUCKET", "geoportal-media"),
        "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL", "") or None,
        "region_name": env_str("MEDIA_S3_REGION", "us-east-1"),
        "access_key": secret_from_env("MEDIA_S3_ACCESS_KEY", ""),
        "secret_key": secret_from_env("MEDIA_S3_SECRET_KEY", ""),
        "addressing_style": "path", "signature_version": "s3v4",
        "file_overwrite": False,  # two uploads with one name keep both (Django's suffix)
        "default_acl": None,  # private unless the bucket policy opens a prefix
        "querystring_expire": MEDIA_SIGNED_URL_SECONDS,
    }}
elif MEDIA_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'filesystem' or 's3', got {MEDIA_STORAGE!r}")
WHITENOISE_USE_FINDERS = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Request bodies (geoportal.resilience.BodySizeLimitMiddleware refuses larger ones by their
# Content-Length, before anything reads them): JSON and forms, and multipart uploads (5 photos of
# 10 MB and the form). Django's own cap applies to what is read into memory.
MAX_JSON_BODY_BYTES = env_int("MAX_JSON_BODY_BYTES", 2 * 1024 * 1024)
MAX_UPLOAD_BODY_BYTES = env_int("MAX_UPLOAD_BODY_BYTES", 60 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_JSON_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Load shedding (geoportal.resilience.LoadSheddingMiddleware): at most WEB_MAX_INFLIGHT requests
# in the application per process, and a request that already waited WEB_MAX_QUEUE_WAIT_MS in front
# of it (nginx's X-Request-Start) is answered 503 with Retry-After instead of joining the pile.
WEB_MAX_INFLIGHT = env_int("WEB_MAX_INFLIGHT", 64)
WEB_MAX_QUEUE_WAIT_MS = env_int("WEB_MAX_QUEUE_WAIT_MS", 10_000)
RETRY_AFTER_S = env_int("RETRY_AFTER_S", 5)
# /metrics: staff, or a scrape from these addresses (behind nginx only its own address: the
# proxy refuses /metrics from elsewhere, deploy/nginx/geoportal.conf).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
READINESS_CELERY_TTL_S = env_int("READINESS_CELERY_TTL_S", 30)

vars().update(email_settings(env_str("EMAIL_URL", "console://")))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Геопортал <noreply@geoportal.local>")

BASEMAP_TILE_URL = env_str("BASEMAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
BASEMAP_ATTRIBUTION = env_str(
    "BASEMAP_ATTRIBUTION", "&copy; OpenStreetMap contributors"
)
# The territory the portal serves: appeals outside every district are refused.
MAP_DEFAULT_CENTER = (56.3269, 44.0059)  # lat, lon: the demo region
MAP_DEFAULT_ZOOM = env_int("MAP_DEFAULT_ZOOM", 11)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "geoportal.authentication.ExpiringTokenAuthentication",
    ],
    # Open311 API keys are for Open311 only (open311.views); the API's anonymous limit keys on
    # the real client address (geoportal.clientip), not on a forgeable X-Forwarded-For.
    "DEFAULT_THROTTLE_CLASSES": ["geoportal.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE", "600/min"),
                               # comments and abuse reports per signed-in user (infocenter.api)
                               "comments": env_str("COMMENT_RATE", "10/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "geoportal.openapi.GeoportalAutoSchema",
    "DEFAULT_METADATA_CLASS": "geoportal.metadata.Metadata",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "geoportal.api.LimitOffsetPagination",  # with a max_limit
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "geoportal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Geoportal API",
    "DESCRIPTION": "Citizens' appeals and participatory budgeting on a map.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: the docs work offline, no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API's contract (geoportal.openapi): one error shape, tags, links, ids as integers.
    "SERVERS": [{"url": env_str("API_SERVER_URL", "/"), "description": "this portal"}],
    "TAGS": OPENAPI_TAGS,
    "APPEND_COMPONENTS": {"schemas": {"Error": OPENAPI_ERROR}},
    "PATH_CONVERTER_OVERRIDES": {"id": ID_SCHEMA},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"NotificationKindEnum": "inbox.models.NotificationKind",
                            "AppealKindEnum": "issues.models.Kind"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "geoportal.openapi.postprocess"],
}

# The client address every limit keys on (geoportal.clientip): REMOTE_ADDR, or X-Forwarded-For
# only when REMOTE_ADDR is one of these proxies (IPs or CIDRs, comma separated). See README.
TRUSTED_PROXIES = env_list("GEOPORTAL_TRUSTED_PROXIES", [])
parse_networks(TRUSTED_PROXIES)  # a malformed entry stops the start-up with a clear message
# Anonymous page requests per client address (the API has API_ANON_RATE, Open311 its own).
ANON_PAGE_RATE = env_str("ANON_PAGE_RATE", "600/min")
# statement_timeout of the connections serving requests; staff exports get the longer one.
DB_REQUEST_TIMEOUT_MS = env_int("DB_REQUEST_TIMEOUT_MS", 15000)
DB_EXPORT_TIMEOUT_MS = env_int("DB_EXPORT_TIMEOUT_MS", 120000)
# Rows of one statistics table (pivot, its CSV/XLSX export); beyond it a 400 says how to narrow.
STATS_MAX_ROWS = env_int("STATS_MAX_ROWS", 20000)
# The appeals API counts matches up to this many (its pages stop there; "count_capped" says so).
API_COUNT_CAP = env_int("API_COUNT_CAP", 10000)
# The home page's public appeal counts from the statistics' pre-aggregated facts (a dotted path,
# so the information centre needs no import of the analytics app; empty: counted from the appeals).
HEADLINE_APPEAL_COUNTS = "analytics.headline.public_counts"
# The leadership report's heat map from the map's cell aggregates of the period's months (a dotted
# path: the analytics app does not import the tiles; empty: every appeal counted live), and the
# seconds its hotspots of a past period may take live (past them the report says so).
ANALYTICS_REPORT_HEATMAP = "tiles.stats.period_heatmap"
ANALYTICS_REPORT_HOTSPOTS_BUDGET_S = env_int("ANALYTICS_REPORT_HOTSPOTS_BUDGET_S", 45)

if not DEBUG:
    # Production sits behind a TLS-terminating proxy that sets X-Forwarded-Proto (README).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the orchestrator's probe speaks plain HTTP inside
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp), in every mode so the browser tests see the production
# policy: scripts, styles, fonts and workers only from this site; images also from the base
# map's tile server; no plugins, no framing, forms post only here.
_BASEMAP_ORIGIN = "{0.scheme}://{0.netloc}".format(urlparse(BASEMAP_TILE_URL.replace("{s}", "*")))
CONTENT_SECURITY_POLICY = {
    # Django's admin (staff only) renders the GIS map widget with an inline script of its own
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        # inline start-up scripts carry the response's nonce ({{ request.csp_nonce }})
        "script-src": [SELF, NONCE],
        # Leaflet and the map's markers set style attributes (divIcon HTML); styles cannot run code
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", _BASEMAP_ORIGIN],
        "connect-src": [SELF],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# error reports (the debug page, mailed reports) hide connection strings as well as keys
DEFAULT_EXCEPTION_REPORTER_FILTER = "geoportal.errors.ExceptionReporterFilter"

# Structured logs: one JSON object a line with the request id (LOG_FORMAT=text for a terminal).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "geoportal.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "geoportal.observability.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": env_str("LOG_FORMAT", "json")}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Debian 12 ships GDAL 3.6; we never open user-supplied spatial references over the network.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Appeals (issues/): deadlines and behaviour; see DOMAIN.md for the law behind each figure.
APPEAL_REGISTRATION_DAYS = env_int("APPEAL_REGISTRATION_DAYS", 3)  # 59-FZ art. 8 p. 2
APPEAL_REDIRECT_DAYS = env_int("APPEAL_REDIRECT_DAYS", 7)  # 59-FZ art. 8 p. 3
APPEAL_MAX_EXTENSION_DAYS = 30  # 59-FZ art. 12 p. 2
APPEAL_DUE_SOON_WORKING_DAYS = env_int("APPEAL_DUE_SOON_WORKING_DAYS", 2)
APPEAL_AUTO_CLOSE_DAYS = env_int("APPEAL_AUTO_CLOSE_DAYS", 15)
APPEAL_DUPLICATE_WINDOW_DAYS = env_int("APPEAL_DUPLICATE_WINDOW_DAYS", 60)
APPEAL_MAX_PHOTOS = 5
APPEAL_MAX_PHOTO_BYTES = 10 * 1024 * 1024
APPEAL_REOPEN_SCORE = 2  # a rating at or below this on an unsolved problem reopens the appeal
# Vector tiles (tiles/): clusters at z <= TILES_CLUSTER_MAX_ZOOM, points above; the cell
# aggregates behind low-zoom clusters are rebuilt by beat (and patched per changed appeal).
TILES_MAX_ZOOM = env_int("TILES_MAX_ZOOM", 18)
TILES_CLUSTER_MAX_ZOOM = env_int("TILES_CLUSTER_MAX_ZOOM", 12)
# Above the cluster zooms the public map draws a viewport's appeals one by one only up to this many
# (one page of the appeals API, at most 1,000); a denser viewport stays as clusters.
TILES_MAP_POINTS_MAX = env_int("TILES_MAP_POINTS_MAX", 1000)
TILES_CACHE_TTL = env_int("TILES_CACHE_TTL", 3600)
TILES_BROWSER_MAX_AGE = env_int("TILES_BROWSER_MAX_AGE", 60)
# Tile renders (cache misses) per client address; hits are not counted (they cost no SQL).
TILES_RENDER_RATE = env_str("TILES_RENDER_RATE", "600/min")
# A point tile that would hold more points is served as grid clusters (bytes on a phone).
TILES_POINT_TILE_MAX_POINTS = env_int("TILES_POINT_TILE_MAX_POINTS", 3000)
# Finest level of the per-status cells behind the heatmap at every zoom (tiles.cells).
TILES_STATUS_CELLS_FINEST_LEVEL = env_int("TILES_STATUS_CELLS_FINEST_LEVEL", 17)
# After each rebuild of the tile tables, the unfiltered appeal tiles up to this zoom are cached.
TILES_PRESEED_MAX_ZOOM = env_int("TILES_PRESEED_MAX_ZOOM", 12)
# Tile statements are server-side prepared statements (planned once per connection); turn this
# off behind a pooler in transaction mode that cannot keep named statements across clients.
TILES_PREPARED_STATEMENTS = env_bool("TILES_PREPARED_STATEMENTS", DATABASE_POOLER != "transaction")

# Router (routing/): training rows come from the appeals app by import string; decisions below the
# confidence threshold (global, or per category code) go to the operator's queue.
ROUTER_TRAINING_ROWS = env_str("ROUTER_TRAINING_ROWS", "issues.routing_data.training_rows")
ROUTER_CATEGORY_NAMES = env_str("ROUTER_CATEGORY_NAMES", "issues.routing_data.category_names")
ROUTER_CONFIDENCE_THRESHOLD = float(env_str("ROUTER_CONFIDENCE_THRESHOLD", "0.6"))
ROUTER_CATEGORY_THRESHOLDS: dict[str, float] = {}

# Loaded in a background thread when a web server or worker process starts (geoportal/warmup.py),
# not by manage.py: the URLconf with its views and the active router version (seconds the first
# request or routed appeal would wait). WARM_UP=none turns it off.
WARM_UP = [path for path in env_list("WARM_UP", ["geoportal.warmup.load_urls", "routing.registry.warm_up"])
           if path != "none"]

# Open311 GeoReport v2 (open311/) and the public read API's CORS.
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "geoportal.local")
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "Оператор портала, open311@geoportal.local")
OPEN311_ANON_RATE_PER_MINUTE = env_int("OPEN311_ANON_RATE_PER_MINUTE", 120)
CORS_URLS_REGEX = r"^/(api/v1|open311)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "x-api-key"]
CORS_EXPOSE_HEADERS = ["Retry-After"]
