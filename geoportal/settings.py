"""Geoportal settings: everything comes from the environment, with defaults that make
``make demo`` work on a developer's machine. See README.md for the list of variables."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .env import database_from_url, email_settings, env_bool, env_int, env_list, env_str, secret_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

DEMO_SECRET_KEY = "demo-insecure-secret-key-change-me"  # noqa: S105 - refused when DEBUG=0
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = secret_from_env("SECRET_KEY", DEMO_SECRET_KEY)
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
    "django.contrib.postgres",
    "corsheaders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "open311.cors.ReadOnlyCorsMiddleware",  # corsheaders, GET-only for the public read API
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DATABASES = {"default": database_from_url(DATABASE_URL, jit=env_bool("DB_JIT", False), pooler=DATABASE_POOLER)}
# Parallel developers and CI jobs may each ask for their own test database.
DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DB_NAME", "test_geoportal")}
# A streaming hot standby for reads that tolerate a few seconds of lag (geoportal.replica).
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_from_url(DATABASE_REPLICA_URL, jit=env_bool("DB_JIT", False),
                                             pooler=DATABASE_POOLER)
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

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "geoportal"),
        "TIMEOUT": 600,
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Moscow"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

AUTH_USER_MODEL = "geoportal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
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
# Media folders anyone may download (geoportal.media): metadata-free photo copies, library
# documents, project work photos and residents' control-report photos (both re-encoded without
# EXIF). Appeal originals, attachments and meeting minutes stay behind views that check access.
PUBLIC_MEDIA_PREFIXES = ("public/", "library/", "projects/photos/", "projects/control/")
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 60 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

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
        "rest_framework.authentication.TokenAuthentication",
        "open311.auth.ApiKeyAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle", "open311.auth.ApiKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE", "600/min"),
                               # comments and abuse reports per signed-in user (infocenter.api)
                               "comments": env_str("COMMENT_RATE", "10/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
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
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
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
CELERY_BEAT_SCHEDULE["appeal-deadlines"] = {"task": "issues.tasks.check_deadlines", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["appeal-auto-close"] = {"task": "issues.tasks.auto_close_answered", "schedule": 6 * 3600.0}
# Initiative projects: the need score (appeals near a project) is recounted nightly while the
# project is still in the contest, so the commission sees needs that arrived after the review.
CELERY_BEAT_SCHEDULE["projects-need-scores"] = {
    "task": "projects.tasks.refresh_need_scores", "schedule": float(env_int("PROJECTS_NEED_EVERY_S", 24 * 3600))}

# Vector tiles (tiles/): clusters at z <= TILES_CLUSTER_MAX_ZOOM, points above; the cell
# aggregates behind low-zoom clusters are rebuilt by beat (and patched per changed appeal).
TILES_MAX_ZOOM = env_int("TILES_MAX_ZOOM", 18)
TILES_CLUSTER_MAX_ZOOM = env_int("TILES_CLUSTER_MAX_ZOOM", 12)
TILES_CACHE_TTL = env_int("TILES_CACHE_TTL", 3600)
TILES_BROWSER_MAX_AGE = env_int("TILES_BROWSER_MAX_AGE", 60)
# Tile statements are server-side prepared statements (planned once per connection); turn this
# off behind a pooler in transaction mode that cannot keep named statements across clients.
TILES_PREPARED_STATEMENTS = env_bool("TILES_PREPARED_STATEMENTS", DATABASE_POOLER != "transaction")
CELERY_BEAT_SCHEDULE["tiles-appeal-aggregates"] = {
    "task": "tiles.tasks.refresh_appeal_aggregates", "schedule": float(env_int("TILES_AGGREGATES_EVERY_S", 900))}

# Router (routing/): training rows come from the appeals app by import string; decisions below the
# confidence threshold (global, or per category code) go to the operator's queue.
ROUTER_TRAINING_ROWS = env_str("ROUTER_TRAINING_ROWS", "issues.routing_data.training_rows")
ROUTER_CATEGORY_NAMES = env_str("ROUTER_CATEGORY_NAMES", "issues.routing_data.category_names")
ROUTER_CONFIDENCE_THRESHOLD = float(env_str("ROUTER_CONFIDENCE_THRESHOLD", "0.6"))
ROUTER_CATEGORY_THRESHOLDS: dict[str, float] = {}
CELERY_BEAT_SCHEDULE["router-retrain-nightly"] = {
    "task": "routing.tasks.retrain_nightly", "schedule": float(env_int("ROUTER_RETRAIN_EVERY_S", 24 * 3600))}

# Open311 GeoReport v2 (open311/) and the public read API's CORS.
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "geoportal.local")
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "Оператор портала, open311@geoportal.local")
OPEN311_ANON_RATE_PER_MINUTE = env_int("OPEN311_ANON_RATE_PER_MINUTE", 120)
CORS_URLS_REGEX = r"^/(api/v1|open311)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "x-api-key"]
CORS_EXPOSE_HEADERS = ["Retry-After"]
CELERY_BEAT_SCHEDULE["subscription-digests"] = {"task": "infocenter.tasks.send_digests", "schedule": 24 * 3600.0}
