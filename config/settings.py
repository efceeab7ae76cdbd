"""Settings, read from the environment (see .env.example for every variable)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables win over the file; ENV_FILE points elsewhere (or at /dev/null to
# read no file at all, as the settings tests do).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=true for development).")
    SECRET_KEY = "development-only-secret-key-not-for-production-use-0123456789"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_tasks_db",
    # Before accounts: accounts/admin.py makes its admin pages superuser-only.
    "axes",
    "accounts",
    "dossier",
    "imports",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.RefuseNulMiddleware",
    # A write that waited out SQLite's busy timeout: a 503 page with one sentence.
    "config.middleware.BusyDatabaseMiddleware",
    # After the session and the user are known: a signed-in user's own language wins.
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last: a locked-out sign-in gets the login page with when to try again
    # (accounts.signin.locked_out), and the security headers of the middleware above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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

WSGI_APPLICATION = "config.wsgi.application"


def _database(url: str) -> dict:
    """Parse DATABASE_URL; SQLite gets WAL, IMMEDIATE transactions and a busy timeout so the
    web process and a task worker can write side by side."""
    database = environ.Env.db_url_config(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        if database["NAME"] != ":memory:":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        options = database.setdefault("OPTIONS", {})
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault(
            "init_command",
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        )
    else:
        database.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        database.setdefault("CONN_HEALTH_CHECKS", True)
    return database


DATABASES = {"default": _database(env.str("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# django-axes' backend first: it refuses a locked-out sign-in before the password is checked.
AUTHENTICATION_BACKENDS = [
    "accounts.signin.SignInBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sessions live in a signed cookie, never in the database: signing in and reading a page
# write nothing, so neither waits while an import holds SQLite's write lock (docs/security.md).
# The wizard keeps its state in ImportJob rows and the messages fit a cookie, so the session
# holds only who is signed in. Signing out ends the cookie in that browser; changing the
# password ends every session (the session hash changes); SECRET_KEY signs them.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# last_login is written only when it costs no wait (accounts.signin.record_last_login).

# Sign-in throttling (django-axes): SIGN_IN_FAILURE_LIMIT wrong passwords for one user name
# within SIGN_IN_LOCKOUT_MINUTES lock that name out for SIGN_IN_LOCKOUT_MINUTES after the last
# of them. An administrator lifts a lockout in the admin (Access attempts) or with
# `manage.py axes_reset_username NAME`. A successful sign-in writes nothing
# (accounts.signin.SignInHandler); see docs/security.md.
AXES_HANDLER = "accounts.signin.SignInHandler"
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [
    [part.strip() for part in group.split("+")] for group in env.list("SIGN_IN_LOCKOUT_BY", default=["username"])
]
AXES_LOCKOUT_CALLABLE = "accounts.signin.locked_out"
# A sign-in tried while locked out does not move the time the page gave.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="nl")
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
# locale/: our own messages (make messages writes here, so it comes first); locale-overrides/:
# Dutch for Django's and django-import-export's strings their own catalogues lack.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-overrides"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))

# Uploaded spreadsheets, attachments and generated documents: never under a public URL.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(DATA_DIR / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Upload limits: a request body (the wizard's spreadsheet plus attachment ZIP) and the
# in-memory threshold above which Django spools an upload to a temporary file.
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=5000)
# Private storage is readable by the application's user only: uploads and the folders
# Django makes for them (the files the import writes itself are made 0600 by its code).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# The dossier item import: limits on what a file may unpack to, and how long a validation
# stays good for the commit that follows it.
IMPORT_MAX_FILE_SIZE = env.int("IMPORT_MAX_FILE_SIZE", default=MAX_UPLOAD_SIZE)
IMPORT_ZIP_LIMITS = {
    "members": env.int("IMPORT_XLSX_MAX_MEMBERS", default=10_000),
    "uncompressed_bytes": env.int("IMPORT_XLSX_MAX_UNPACKED", default=2 * 1024**3),
    "ratio": env.int("IMPORT_ZIP_MAX_RATIO", default=200),
}
IMPORT_ATTACHMENT_LIMITS = {
    "members": env.int("IMPORT_ATTACHMENTS_MAX_FILES", default=20_000),
    "uncompressed_bytes": env.int("IMPORT_ATTACHMENTS_MAX_UNPACKED", default=4 * 1024**3),
    "ratio": env.int("IMPORT_ZIP_MAX_RATIO", default=200),
}
# Every attachment: a file a row names in the attachments ZIP (or a server import folder), and
# a file chosen on the record page or an item's change page: at most this many bytes (0: no
# limit), and one of these types by its extension (an empty list accepts every type). One rule,
# dossier/attachments.py; the import checks it from the ZIP's directory before storing anything.
IMPORT_ATTACHMENT_MAX_SIZE = env.int("IMPORT_ATTACHMENT_MAX_SIZE", default=100 * 1024**2)
IMPORT_ATTACHMENT_TYPES = env.list(
    "IMPORT_ATTACHMENT_TYPES",
    default=[
        "pdf", "doc", "docx", "odt", "rtf", "txt", "xls", "xlsx", "ods", "csv", "ppt", "pptx", "odp",
        "jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "heic", "eml", "msg", "xml",
    ],
)  # fmt: skip
IMPORT_VALIDATION_MAX_AGE = env.int("IMPORT_VALIDATION_MAX_AGE", default=3600)
# The most characters one cell may hold, in every format and on every path (the wizard, the
# command line, the admin's Import button): a longer cell refuses the file, naming its row
# and column. The readers stop collecting a cell's text here, so memory stays flat. Keep it
# at or above the longest item field (dossier.models.TEXT_MAX_LENGTH, 32,767), so an
# exported item reads back.
IMPORT_MAX_CELL_LENGTH = env.int("IMPORT_MAX_CELL_LENGTH", default=131_072)
# The most cells one sheet may hand to an import, in every format: each row counts as wide as
# its last value, and a row or cell an .ods repeats (number-rows-repeated,
# number-columns-repeated) as often as it is repeated, counted before it is expanded; a far
# cell (XFD1) makes an .xlsx row 16,384 wide. A sheet over it is refused with its own sentence
# as soon as the count passes it, so a small file that repeats one cell billions of times
# costs no time. 50,000,000 is 1,048,576 rows of 47 columns.
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=50_000_000)
# Retention: the reaper removes the files (upload, ZIP, staged rows) of an import never
# continued (uploaded, mapped or checked, untouched this many days; it ends cancelled)
# and of a failed or cancelled one this many days after it ended. The record stays.
IMPORT_RETENTION_DAYS = env.int("IMPORT_RETENTION_DAYS", default=30)
# The admin's Import button for master data holds a whole file in memory (django-import-export):
# at most this many rows per file (size and unpacked size: the limits above).
MASTER_DATA_IMPORT_MAX_ROWS = env.int("MASTER_DATA_IMPORT_MAX_ROWS", default=100_000)
# A master-data file of more rows is checked and imported by the task worker, with a progress
# page, not inside the web request; its preview shows at most MASTER_DATA_PREVIEW_ROWS rows.
MASTER_DATA_BACKGROUND_ROWS = env.int("MASTER_DATA_BACKGROUND_ROWS", default=1_000)
MASTER_DATA_PREVIEW_ROWS = env.int("MASTER_DATA_PREVIEW_ROWS", default=1_000)


def _server_folders(text: str) -> dict[str, str]:
    """Parse "C$/Import=/srv/import;D$/Stukken=/srv/stukken" into {share: folder}."""
    pairs = (item.split("=", 1) for item in text.split(";") if "=" in item)
    return {share.strip().replace("\\", "/"): folder.strip() for share, folder in pairs}


# UNC shares (\\client\C$\Import) mapped onto folders of this server, for attachment paths.
IMPORT_SERVER_FOLDERS = _server_folders(env.str("IMPORT_SERVER_FOLDERS", default=""))

TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Import jobs in the background: a running job writes its heartbeat every
# IMPORT_HEARTBEAT_EVERY seconds and its progress at most every IMPORT_PROGRESS_EVERY seconds;
# the reaper (manage.py reap_imports, every IMPORT_REAPER_EVERY seconds under `make run`)
# fails a job without a heartbeat for IMPORT_STALE_AFTER seconds.
IMPORT_HEARTBEAT_EVERY = env.float("IMPORT_HEARTBEAT_EVERY", default=5)
IMPORT_PROGRESS_EVERY = env.float("IMPORT_PROGRESS_EVERY", default=1)
IMPORT_STALE_AFTER = env.float("IMPORT_STALE_AFTER", default=60)
IMPORT_REAPER_EVERY = env.float("IMPORT_REAPER_EVERY", default=15)

# Security: strict by default once DEBUG is off; a reverse proxy terminates TLS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS preloading commits the whole registrable domain to HTTPS in browsers for months: the
# operator's decision, so `check --deploy` does not nag about it unless it is switched on.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# django-axes warns when sign-ins are not also counted per address. By default they are counted
# per user name only: behind the reverse proxy (or an office's NAT) every user shares one
# address, and one person's typos would lock everybody out. SIGN_IN_LOCKOUT_BY adds it.
if not any("ip_address" in group for group in AXES_LOCKOUT_PARAMETERS):
    SILENCED_SYSTEM_CHECKS.append("axes.W006")
X_FRAME_OPTIONS = "DENY"
# Django's own CSRF failure page has an inline style that the policy below blocks.
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
# Content-Security-Policy (Django's own middleware): everything from this site only, no inline
# script or style, no plugins, never framed; forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

IMPORT_EXPORT_USE_TRANSACTIONS = True

# The terminal (a command-line user, `make run`) gets one line per record, never a
# traceback; the log file keeps warnings and errors whole, tracebacks included.
LOG_FILE = env.str("LOG_FILE", default=str(DATA_DIR / "dossier.log"))
_log_handlers = {
    "console": {
        "class": "logging.StreamHandler",
        "formatter": "one_line",
    },
}
if LOG_FILE:
    Path(LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    _log_handlers["file"] = {
        "class": "logging.handlers.WatchedFileHandler",
        "filename": LOG_FILE,
        "delay": True,
        "level": "WARNING",
        "formatter": "whole",
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "one_line": {"()": "config.logging.OneLineFormatter", "details": LOG_FILE},
        "whole": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": _log_handlers,
    "root": {"handlers": list(_log_handlers), "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; its warnings (a failure, a lockout) are kept.
    "loggers": {"axes": {"level": "WARNING"}},
}
