"""Settings, all from the environment with safe defaults.

DEBUG is off unless DJANGO_DEBUG=1. With DJANGO_PRODUCTION=1 a secret key is required and
the HTTPS hardening that `manage.py check --deploy` asks for is on.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import warnings
from pathlib import Path

import dj_database_url
import orjson
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

from model_core import paths as model_paths

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_bool("DJANGO_DEBUG")
PRODUCTION = env_bool("DJANGO_PRODUCTION")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_PRODUCTION=1")
    # The API signs nothing a client keeps (no sessions, no cookies), so an ephemeral key is safe.
    SECRET_KEY = secrets.token_urlsafe(50)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "backend.common",
    "backend.feedback",
]

MIDDLEWARE = [
    "backend.common.metrics.MetricsMiddleware",
    "backend.common.middleware.NoCookiesMiddleware",
    "backend.common.middleware.SecurityHeadersMiddleware",
    "backend.common.middleware.ReleaseHeldMiddleware",
    "backend.common.middleware.RequestSizeLimitMiddleware",
    "backend.common.watch.RequestWatchMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # DRF views are exempt; kept for anything else
    # No session, no cookie: a cross-site write is refused by its Origin, not by a CSRF token.
    "backend.common.middleware.CrossSiteWriteMiddleware",
    "backend.common.middleware.JsonErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],  # the docs pages, made to work offline
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL with synchronous=FULL: a commit is on disk before the API acknowledges it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
# The docs' assets (drf-spectacular-sidecar's Swagger UI and ReDoc) and the favicon live under
# /api/ like everything else of the API's, so every proxy that passes /api/ to Django (make
# run's nginx, compose's, the replicas') serves them with their own content types. WhiteNoise
# serves them. Once `collectstatic` has run (make run and the image do), their names carry a
# hash of their content and only those are cached for a year; without it (tests, a plain
# checkout) they come straight from the installed apps, cached for a minute.
STATIC_URL = "/api/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "backend.config.storage.HashedWhenCollected"},
}
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "staticfiles.json").is_file()
# Not collected yet is a normal state (see above), not a misconfiguration to warn about.
warnings.filterwarnings("ignore", message=f"No directory at: {re.escape(str(STATIC_ROOT))}", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Limits -----------------------------------------------------------------------------
MAX_REQUEST_BYTES = env_int("API_MAX_REQUEST_BYTES", 12 * 1024 * 1024)
MAX_IMAGE_BYTES = env_int("API_MAX_IMAGE_BYTES", 8 * 1024 * 1024)
MAX_IMAGE_PIXELS = env_int("API_MAX_IMAGE_PIXELS", 25_000_000)
# What all the images of one request (a batch) may decode to, together: two of the largest.
MAX_REQUEST_DECODE_BYTES = env_int("API_MAX_REQUEST_DECODE_BYTES", 128 << 20)
# Pixels sent as JSON numbers, in all (a batch's together): each is a Python object to parse,
# so far fewer than an image may have; a drawing needs no more than about 1,000×1,000.
MAX_PIXEL_VALUES = env_int("API_MAX_PIXEL_VALUES", 1_000_000)
MAX_BATCH_SIZE = env_int("API_MAX_BATCH_SIZE", 32)
# A batch's network time, by the model's card: the ensemble (4 ms an image) takes fewer than 32.
BATCH_BUDGET_MS = env_int("API_BATCH_BUDGET_MS", 50)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_IMAGE_BYTES

# --- The models ---------------------------------------------------------------------------
# The library's own (model_core.paths: MODEL_DIR and DEFAULT_MODEL in the environment move
# them for the server and the command line alike).
MODEL_DIR = model_paths.MODEL_DIR
DEFAULT_MODEL = model_paths.DEFAULT_MODEL
# Threads: model_core's own setting, MODEL_CORE_THREADS (model_core/nn/parallel.py; it still reads
# API_INFERENCE_THREADS, its former name here).
FEEDBACK_READ_TOKEN = os.environ.get("FEEDBACK_READ_TOKEN", "")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # GET /api/metrics/ (Prometheus) with it; off when empty
# What corrections may take: per sender a day, in all, and for how long they are kept (0: forever).
FEEDBACK_CLIENT_BYTES_PER_DAY = env_int("FEEDBACK_CLIENT_BYTES_PER_DAY", 8 * 1024 * 1024)
FEEDBACK_MAX_TOTAL_BYTES = env_int("FEEDBACK_MAX_TOTAL_BYTES", 2 * 1024**3)
FEEDBACK_RETENTION_DAYS = env_int("FEEDBACK_RETENTION_DAYS", 365)
# Corrections are untrusted: with this on, the export (what finetune learns from) holds only
# those a token holder marked reviewed.
FEEDBACK_REQUIRE_REVIEW = env_bool("FEEDBACK_REQUIRE_REVIEW")

# --- REST framework and its schema ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # orjson writes an answer's floats and lists several times faster than the json module.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    # A batch's errors are keyed by the item's index: written "0", as the json module writes it.
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_NON_STR_KEYS,),
    "DEFAULT_PARSER_CLASSES": [
        "backend.common.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": ["backend.common.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "predict": os.environ.get("API_THROTTLE_PREDICT", "1200/min"),
        "predict_text": os.environ.get("API_THROTTLE_PREDICT_TEXT", os.environ.get("API_THROTTLE_PREDICT", "1200/min")),
        "samples": os.environ.get("API_THROTTLE_SAMPLES", "600/min"),
        "feedback": os.environ.get("API_THROTTLE_FEEDBACK", "120/min"),
        # Requests with the corrections' read token: their own scope, whatever anonymous clients at
        # the same address send.
        "feedback_reads": os.environ.get("API_THROTTLE_FEEDBACK_READS", "600/min"),
        # Wrong bearer tokens: a client that has used these up is not even compared (429).
        "auth_failures": os.environ.get("API_THROTTLE_AUTH_FAILURES", "10/min"),
        "default": os.environ.get("API_THROTTLE_DEFAULT", "1200/min"),
    },
    "EXCEPTION_HANDLER": "backend.common.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# X-Forwarded-For is believed only from these addresses or networks (the reverse proxy in
# front), e.g. "10.0.0.0/8" for compose's nginx; "unix" believes whatever connects on the
# unix socket gunicorn listens on (`make run`'s nginx: only local processes allowed to open
# the socket file reach it, and they carry no address of their own).
_PROXIES = env_list("API_TRUSTED_PROXIES", "")
TRUSTED_PROXIES = [ipaddress.ip_network(item, strict=False) for item in _PROXIES if item != "unix"]
TRUSTED_UNIX_SOCKET = "unix" in _PROXIES

# Without Redis (or while it is out), one server's workers share their throttle counts in
# this SQLite file (gunicorn.conf.py sets it; empty: each process counts alone).
THROTTLE_DB = os.environ.get("THROTTLE_DB", "")
# Redis holds what workers and replicas must share (throttle counts, see throttling.py) when
# REDIS_URL is set, with short timeouts so that a Redis that is down is noticed in
# milliseconds, not seconds; the cache is there too.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SPECTACULAR_SETTINGS = {
    "TITLE": "Handwriting recognizer API",
    "DESCRIPTION": (
        "Read handwriting with NumPy networks of our own: one digit (and, with `model: characters`, one of "
        "EMNIST's 47 handwritten characters: 0-9, A-Z and a b d e f g h n q r t) with predict-digit; a "
        "whole number (read by a network that reads the line, separators passed over and kept in `written`) "
        "or words, names and codes (a network that reads them whole: spaces, hyphens, apostrophes) with "
        "predict-text, every line of a picture top first, optionally constrained to the characters, template or "
        "words a field may hold. Send a canvas drawing, a photo or raw pixels, as JSON or a multipart "
        "file; get the reading, its calibrated confidence, each character's box and probabilities and the "
        'image the network saw. Errors are JSON: `{"code": ..., "detail": ...}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/api/static/api/favicon.svg",
    "REDOC_DIST": "SIDECAR",
    "REDOC_UI_SETTINGS": {"theme": {"typography": {"fontFamily": "system-ui, sans-serif"}}},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReadinessStatusEnum": ["ok", "degraded", "busy", "not_ready"],
        # What a model reads, and the alphabet predict-text reads (one set: the name it had first).
        "ReadsEnum": "backend.reading.services.ALPHABETS",
        "NotADigitReasonEnum": ["several_characters", "not_a_digit"],
    },
    "COMPONENT_SPLIT_PATCH": False,  # a PATCH body states what it requires
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.common.schema.request_bodies_as_they_are_checked",
    ],
}

# Work is priced before any network runs, in units of one network evaluation of a 28×28 (a
# digit through the cnn: 1; through the ensemble's 15 networks: 15; a line network's column: its
# card's column_units). A request over MAX_REQUEST_PRICE is a 413 too_costly; a client (its
# address) may spend PRICE_BUDGET_PER_MINUTE in any 60 s, across workers and replicas (where the
# throttles count), then 429 price_budget with Retry-After. 0: no ceiling, no budget.
MAX_REQUEST_PRICE = int(os.environ.get("API_MAX_REQUEST_PRICE", "2000"))
PRICE_BUDGET_PER_MINUTE = int(os.environ.get("API_PRICE_BUDGET_PER_MINUTE", "20000"))

# A request's costly work stops this long after it began (nginx's proxy_read_timeout: by then
# nginx has answered 504 and nobody reads the answer), or as soon as its client leaves.
REQUEST_SECONDS = float(os.environ.get("API_REQUEST_SECONDS", "30"))

# --- CORS: the SPA's origins; no credentials, since the API sets no cookies -----------------
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080")
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = [*default_headers, "idempotency-key"]  # the app's feedback retries carry one
CORS_EXPOSE_HEADERS = ["Retry-After", "Idempotent-Replayed"]
CORS_URLS_REGEX = r"^/api/.*$"

# --- Security ---------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Health checks come from inside (a container's own healthcheck, a load balancer) over HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/health/$", r"^api/ready/$"]
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "backend": {"handlers": ["console"], "level": os.environ.get("API_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
