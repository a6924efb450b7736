"""CrowdLabel settings: one module, driven by environment variables with safe defaults.

With no variables set CrowdLabel runs on the embedded default: a SQLite file and a Celery broker that
needs no server (kombu's filesystem transport), so `make run` works on a bare laptop. Set DATABASE_URL and
CELERY_BROKER_URL to run on PostgreSQL and Redis. Every variable is listed in README.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import DEFAULT_LOGGING

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CROWDLABEL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)

# A development key is only acceptable while DEBUG is on: a production deploy must bring its own.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for local development only)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "django_celery_beat",
    "csp",
    "core",
    "accounts",
    "tasks",
    "annotations",
    "quality",
    "training",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but for the above: it sees what any view raises (crowdlabel/errors.py).
    "crowdlabel.errors.ApiErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF, whose process_view is the first to read a form body: a body too large is refused unread.
    "core.edge.EdgeChecks",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.csp.CSPMiddleware",  # django-csp's, its site-wide headers built once (core/csp.py)
    "allauth.account.middleware.AccountMiddleware",
]

# Content-Security-Policy on every page: scripts, images, media and connections from this site only, no plugins,
# no framing. Styles may be inline (the admin's templates carry <style> blocks); scripts may not. The workspace
# widens img/media to the items' own URLs (annotations/views.py), the API docs allow their inline start-up script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "crowdlabel.urls"
WSGI_APPLICATION = "crowdlabel.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        # Long-lived connections (their health is checked before reuse): each new one costs PostgreSQL a
        # process and the hot path's statements a fresh PREPARE and planning.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web server, worker and beat share one SQLite file: wait for a lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
# The hot path's statements are prepared once per connection on PostgreSQL (core/rawsql.py). Set 0
# behind a pooler that hands one server session to many clients in turn (PgBouncer in transaction mode).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each prepared statement keeps one generic plan. By default PostgreSQL plans the first five runs
    # afresh, and again after every change to a table's statistics: each vacuum of the item table (every
    # 20 to 60 s under load) set every server process re-planning the claim, a burst of CPU that queued
    # requests for seconds on a busy machine. The statements are written for their one plan (rawsql).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CrowdLabel] "
# Failed log-ins, on the annotator pages and /admin/login/ alike (accounts/ratelimits.py), counted in the shared
# cache: an account locks after LOGIN_FAILURES_PER_ACCOUNT failures, an address after LOGIN_FAILURES_PER_ADDRESS,
# for LOGIN_LOCKOUT_SECONDS; a locked attempt answers 429 with Retry-After.
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))
LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "20"))
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{LOGIN_FAILURES_PER_ADDRESS}/{LOGIN_LOCKOUT_SECONDS}s/ip,"
                    f"{LOGIN_FAILURES_PER_ACCOUNT}/{LOGIN_LOCKOUT_SECONDS}s/key",
    "login": "30/m/ip",
    "signup": "10/h/ip",
    "reset_password": "10/h/ip,3/h/key",
    "reset_password_from_key": "20/h/ip",
    "change_password": "5/m/user",
}
# Verification documents: what an annotator may upload, and how large.
VERIFICATION_DOCUMENT_MAX_BYTES = int(os.environ.get("VERIFICATION_DOCUMENT_MAX_BYTES", 10 * 1024 * 1024))
VERIFICATION_DOCUMENT_EXTENSIONS = ["pdf", "png", "jpg", "jpeg"]

# --- Email: console by default, SMTP when EMAIL_HOST is set ---------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CrowdLabel <noreply@localhost>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Static and uploaded files --------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are private (identity documents): MEDIA is never served as a public URL, only
# through views that check permissions.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A body that is not a multipart upload (JSON, a form) is read into memory: at most this much.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# A multipart upload streams to disk; a view may declare a smaller bound (core.edge.upload_limit).
FILE_UPLOAD_MAX_BYTES = int(os.environ.get("FILE_UPLOAD_MAX_BYTES", 1024 * 1024 * 1024))
# Imports within one request (the API's items/import/, the admin's preview): at most this much. A larger file
# goes to a background import job (POST /api/projects/{id}/imports/; the admin sends it there itself), since a
# request that imports for longer than the web server's worker timeout is killed with nothing stored.
IMPORT_SYNC_MAX_BYTES = int(os.environ.get("IMPORT_SYNC_MAX_BYTES", 10 * 1024 * 1024))
# Uploads are private (identity documents, item media): readable by the server's user alone.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsIntegrator"],
    # JSON bodies are bounded in size and depth before parsing, and NUL or lone surrogates refused (400).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every API request counts per token (or session user) and per address, in the shared cache; past the rate
    # DRF answers 429 with Retry-After. An annotator's page asks for work every few seconds: far below the rates.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle", "accounts.throttles.TokenRateThrottle",
        "accounts.throttles.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_RATE_PER_TOKEN", "600/min"),
        # The feedback API takes batches from a live shop: its own, higher rate (batches of 500: 25,000 events/s).
        "feedback": os.environ.get("API_RATE_FEEDBACK", "3000/min"),
        "address": os.environ.get("API_RATE_PER_ADDRESS", "1200/min"),
        # Minting API tokens, per user: a service rotating its credentials mints a few a day.
        "token_mint": os.environ.get("API_RATE_TOKEN_MINT", "30/hour"),
        "anon": os.environ.get("API_RATE_ANONYMOUS", "60/min"),
    },
    # Every error body has `detail` and `code`; 503 with Retry-After while the database is away.
    "EXCEPTION_HANDLER": "crowdlabel.errors.api_exception_handler",
}
# What a 503 (the database or the cache away) tells clients to wait before trying again, in seconds.
API_RETRY_AFTER_SECONDS = int(os.environ.get("API_RETRY_AFTER_SECONDS", "5"))
SPECTACULAR_SETTINGS = {
    "TITLE": "CrowdLabel API",
    "DESCRIPTION": "Projects, items, assignments, annotations, quality and models. "
    "Authenticate with `Authorization: Token <key>`. Span offsets (answers, gold, predictions, exports) count "
    "Unicode code points of the item's normalised text, end exclusive: an emoji is one, whatever UTF-16 or UTF-8 "
    "take for it. A token acts inside its user's organisations (and, when limited, on one project and only "
    "reading): anything of another organisation, or outside the token's project, answers 404, never 403, so "
    "its existence is not revealed; lists and searches never hold it. Workers are named by a stable pseudonym "
    "(`w-...`), never by username or e-mail.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description of the API is public; every endpoint it describes checks its own permissions.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "state" field; name the assignment's choices rather than leave a hash suffix.
    "ENUM_NAME_OVERRIDES": {"AssignmentStateEnum": "tasks.models.AssignmentState"},
    # Every error status an operation can answer, with the one error shape (crowdlabel/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums", "crowdlabel.openapi.error_responses_document",
    ],
}

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_celery_dir = VAR_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker: messages are files in a folder shared by the web server, worker and beat.
    for folder in ("queue", "processed", "results", "control"):
        (_celery_dir / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", f"file://{_celery_dir / 'results'}")
else:
    CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
    # A task taken by a worker that dies unacknowledged goes back to the queue after this long. It must outlast
    # the longest acks-late task (pre-annotating a large project: minutes; an evaluation takes seconds) or a
    # task still running is handed to a second worker. Fine-tuning runs are acknowledged on receipt (training.run).
    # A lost evaluation does not wait for it: the periodic re-evaluation below takes it up within a minute.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800"))}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died under it (killed, out of memory) is put back, not acknowledged as failed: the
# acks-late tasks are idempotent (an evaluation re-decides from the stored answers).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# On a lost broker connection the tasks in hand cannot be acknowledged any more: they are cancelled, and the
# broker hands them out again, rather than run to an acknowledgement that fails.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Keep reconnecting to a broker that is away (a restart), at start-up too, however long it takes.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Fine-tuning runs go to their own queue so a GPU machine can serve it with its own worker. Only the runs:
# the check that marks a dead worker's run failed must not wait on that same worker.
CELERY_TASK_ROUTES = {"training.run": {"queue": "training"}}
# --- Feedback from the live system (training/feedback.py) ------------------------------------------
FEEDBACK_MAX_BATCH = int(os.environ.get("FEEDBACK_MAX_BATCH", "1000"))

# --- Webhooks (webhooks/services.py) ----------------------------------------------------------------
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_BACKOFF_SECONDS = int(os.environ.get("WEBHOOK_BACKOFF_SECONDS", "10"))  # doubled after each failure
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_STALE_SECONDS = int(os.environ.get("WEBHOOK_STALE_SECONDS", "3600"))
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Save each job's last run (and run count) as soon as it is sent, so the admin shows it at once.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_RESULT_EXPIRES = 3600

# --- Cache ----------------------------------------------------------------------------------------
# One cache shared by every process (web servers, workers, beat): the evaluation debounce ("one evaluation per
# project at a time") and the assignment caches hold across processes only if the cache does. Redis when Redis
# is configured (CACHE_URL, else the broker's Redis), the database otherwise (its table is made by `migrate`).
# Redis through core.cache.RedisCache: Django's, keeping one client object instead of building one per command.
_REDIS_SCHEMES = ("redis://", "rediss://")
DATABASE_CACHE_TABLE = "crowdlabel_cache"
CACHE_URL = os.environ.get("CACHE_URL") or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(_REDIS_SCHEMES) else "")
if CACHE_URL.startswith(_REDIS_SCHEMES):
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "crowdlabel",
            # A Redis that is away makes a request wait a second, not hang (the API answers 503 meanwhile).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
elif CACHE_URL in ("", "db://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": DATABASE_CACHE_TABLE}
    }
else:
    raise ImproperlyConfigured(f"CACHE_URL must be redis://..., rediss://... or db://, not {CACHE_URL!r}")

# Periodic jobs are declared by each app (its AppConfig's `periodic_tasks`) and installed into
# django-celery-beat's tables by `python manage.py setup_periodic_tasks` (core/periodic.py).

# Submissions trigger an evaluation of their project's answers at most once per this many seconds.
QUALITY_EVALUATION_DEBOUNCE_SECONDS = int(os.environ.get("QUALITY_EVALUATION_DEBOUNCE_SECONDS", "5"))

# A worker's own gold accuracy is shown over whole batches of this many checks, answered before today (UTC).
GOLD_FEEDBACK_BATCH = int(os.environ.get("GOLD_FEEDBACK_BATCH", "10"))

# Worker scores Q and weights W_i are computed over this many trailing days.
QUALITY_WINDOW_DAYS = int(os.environ.get("QUALITY_WINDOW_DAYS", "30"))

# Where dataset snapshots and trained models are written.
TRAINING_DIR = Path(os.environ.get("TRAINING_DIR", VAR_DIR / "training"))
# A running fine-tuning run whose worker has not reported for this long is marked failed.
TRAINING_STALL_SECONDS = int(os.environ.get("TRAINING_STALL_SECONDS", "300"))
# A finished run is exported to ONNX for fast CPU predictions (PyTorch serves when there is no export);
# TRAINING_ONNX_INT8 adds a dynamically int8-quantised copy, served first, whose unsure texts the fp32 copy
# answers again (training.ml.predict.Int8Cascade): 2x PyTorch's texts per CPU second with the same labels on
# PriceRunner titles (bench/results/predict_cpu.md); 0 serves the fp32 copy alone.
TRAINING_EXPORT_ONNX = os.environ.get("TRAINING_EXPORT_ONNX", "1") == "1"
TRAINING_ONNX_INT8 = os.environ.get("TRAINING_ONNX_INT8", "1") == "1"
# Activating a model version whose headline figure (macro-F1, entity F1) is below this asks for confirmation.
TRAINING_ACTIVATION_FLOOR = float(os.environ.get("TRAINING_ACTIVATION_FLOOR", "0.5"))

# Where `setup_demo` (run by `make run`) reads the real data for the demo projects.
DEMO_DATASETS_DIR = Path(os.environ.get("DEMO_DATASETS_DIR", BASE_DIR.parent / "shared" / "datasets"))

# How long the assignment hot path caches who competes for a project (their weights and recent pace) and its free slots.
ASSIGNMENT_COMPETITION_CACHE_SECONDS = int(os.environ.get("ASSIGNMENT_COMPETITION_CACHE_SECONDS", "5"))
# How often (seconds, per project: the cache is shared) a request for work also returns expired leases to the pool.
ASSIGNMENT_LEASE_SWEEP_SECONDS = int(os.environ.get("ASSIGNMENT_LEASE_SWEEP_SECONDS", "1"))
# The periodic vacuum job (PostgreSQL) vacuums the item or assignment table once this many of its rows are dead.
ASSIGNMENT_VACUUM_DEAD_ROWS = int(os.environ.get("ASSIGNMENT_VACUUM_DEAD_ROWS", "5000"))

# Periodic jobs and evaluations that did nothing say nothing: Celery's own lines about them are dropped
# (crowdlabel/logfilters.py) and each logs what it did, if anything.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "quiet_periodic_jobs": {
            "()": "crowdlabel.logfilters.QuietPeriodicJobs",
        },
        "refusals_without_traceback": {"()": "crowdlabel.logfilters.RefusalsWithoutTraceback"},
    },
    "formatters": {"django.server": DEFAULT_LOGGING["formatters"]["django.server"]},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": DEFAULT_LOGGING["handlers"]["django.server"],
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler on "django" printed each of its lines twice, once more through the root's.
        # Configuring "django" resets its children: runserver's request lines get their own handler back.
        "django": {"handlers": []},
        "django.server": DEFAULT_LOGGING["loggers"]["django.server"],
        "django.request": {"filters": ["refusals_without_traceback"]},
        "django.db.backends": {"level": "WARNING"},
        **{
            name: {"filters": ["quiet_periodic_jobs"]}
            for name in ("celery.beat", "celery.app.trace", "celery.worker.strategy")
        },
    },
}
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker has no host; kombu warned so on every new connection (each worker, each ping).
    LOGGING["loggers"]["kombu.connection"] = {"level": "ERROR"}
