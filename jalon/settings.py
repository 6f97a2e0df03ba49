"""Jalon's one settings module, driven by environment variables that fail loudly.

- DATABASE_URL: ``sqlite:///path`` or ``postgres://user:pass@host:port/name``; without it,
  a SQLite file ``jalon.sqlite3`` in the data folder.
- JALON_DATA_DIR: the data folder (default ``./var``): database, secret key, static files.
- JALON_DEBUG, JALON_ALLOWED_HOSTS, JALON_SECRET_KEY.
- JALON_EMAIL_HOST (with JALON_EMAIL_PORT, JALON_EMAIL_USER, JALON_EMAIL_PASSWORD,
  JALON_EMAIL_TLS): the SMTP server for invitations and reminders; without it, e-mails
  are printed on the console. JALON_EMAIL_FROM: their sender.
- JALON_SITE_URL: the address people open Jalon at, for the links in reminders sent by
  the worker or the command line (default http://127.0.0.1:8000); its origin is trusted
  for the forms' CSRF check.

Behind a TLS proxy (see the README's deployment section):
- JALON_HTTPS: served over HTTPS only: cookies sent only over HTTPS, plain HTTP
  redirected, and HSTS for JALON_HSTS_SECONDS (default a year once JALON_HTTPS is set).
- JALON_HSTS_SUBDOMAINS, JALON_HSTS_PRELOAD: HSTS for every subdomain too, and on the
  browsers' preload list (only if every subdomain is served over HTTPS).
- JALON_PROXY_HTTPS_HEADER: the header the proxy sets to "https" for a request it
  received over TLS (X-Forwarded-Proto, say); the proxy must set or strip it always.
- JALON_PROXY_COUNT: how many proxies stand in front, each adding itself to
  X-Forwarded-For: the client's address, for throttled logins, is taken that far from
  its end (default 0: the address the connection comes from).
- JALON_CSRF_TRUSTED_ORIGINS: other origins (comma-separated) forms may be sent from.
- JALON_API_RATE (default 600/m) and JALON_API_RATE_ANONYMOUS (default 60/m): API
  requests allowed per token's owner, and per address without a valid token.
- JALON_LOGIN_FAILURES (default 5) and JALON_LOCKOUT_MINUTES (default 15): failed logins
  allowed per account and per address before they are locked out, and for how long.
"""

import contextlib
import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: bool) -> bool:
    """Return the boolean environment variable ``name``; refuse anything but a clear yes or no."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1, 0, true, false, yes, no.")


def envint(name: str, default: int) -> int:
    """Return the whole-number environment variable ``name``; refuse anything else."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number.") from None


def database_from_url(url: str, data_dir: Path) -> dict:
    """Return a Django DATABASES entry for a ``sqlite:///`` or ``postgres://`` URL."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as in the usual convention.
        path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: a SQLite URL needs a file path.")
        return sqlite_database(Path(path) if Path(path).is_absolute() else Path.cwd() / path)
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: a PostgreSQL URL needs a name.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "TEST": {"NAME": f"test_{name}"},
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r}: the scheme must be sqlite:// or postgres://, not {parts.scheme!r}."
    )


def private_file(path: Path) -> None:
    """Create ``path`` empty, readable and writable by its owner only, unless it exists; its
    folder too, if missing, open to its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def sqlite_database(path: Path) -> dict:
    """Return a SQLite entry in WAL mode, so readers never wait for the writer. The file is
    created for its owner only; SQLite gives its -wal and -shm files the same permissions."""
    private_file(path)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # WAL: readers never wait for the writer. (The large reads go through ADBC, on
            # a connection of their own: no memory-mapped database here.)
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            # A writer (a login too) waits this long, in seconds, for another's write to
            # end, an import's included, rather than failing with "database is locked".
            "timeout": 20,
        },
    }


DATA_DIR = Path(os.environ.get("JALON_DATA_DIR") or Path.cwd() / "var").resolve()

DEBUG = envbool("JALON_DEBUG", False)


def _secret_key() -> str:
    """Return the configured key, or one kept in the data folder (made once, never shared)."""
    if os.environ.get("JALON_SECRET_KEY"):
        return os.environ["JALON_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        private_file(path)  # 0600 from the first byte: never readable by others
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("JALON_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "jalon.people",  # first: its createsuperuser checks the password, Django's does not
    "django.contrib.admin",
    "axes",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "jalon.core",
    "jalon.audit",
    "jalon.organisation",
    "jalon.plans",
    "jalon.values",
    "jalon.access",
    "jalon.dashboard",
    "jalon.collection",
    "jalon.exports",
    "jalon.trail",
    "jalon.api",
    "jalon.reports",
    "ninja",  # serves its API docs page from static files (no CDN)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jalon.core.methods.AllowedMethods",  # GET, HEAD, POST: any other method is 405
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login itself
]

# Background work (long imports, reminders) through Django's task interface; the database
# backend needs no other service: `jalon worker` runs the tasks, and `jalon serve` starts
# one beside the server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

ROOT_URLCONF = "jalon.urls"
WSGI_APPLICATION = "jalon.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "string_if_invalid": "" if not DEBUG else "⚠ %s",
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"], DATA_DIR)}
else:
    DATABASES = {"default": sqlite_database(DATA_DIR / "jalon.sqlite3")}
# A connection serves a thread's requests for a minute, checked before each, rather than
# one connection per request: opening one (SQLite's file, its functions and pragmas; a
# PostgreSQL session) took half of a kept page's time. 0 opens one per request (behind
# a pooler such as PgBouncer).
DATABASES["default"]["CONN_MAX_AGE"] = envint("JALON_DB_CONNECTION_SECONDS", 60)
if DATABASES["default"]["CONN_MAX_AGE"] < 0:
    raise ImproperlyConfigured("JALON_DB_CONNECTION_SECONDS: expected 0 or more seconds.")
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first: new passwords are hashed with it, older hashes upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or address first
    "django.contrib.auth.backends.ModelBackend",
]
# Throttled logins: after a few failures for an account, or from an address, both are
# locked out for a while, whatever password comes next.
AXES_FAILURE_LIMIT = envint("JALON_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("JALON_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "jalon.people.addresses.client_address"
AXES_VERBOSE = False
PROXY_COUNT = envint("JALON_PROXY_COUNT", 0)
NINJA_NUM_PROXIES = PROXY_COUNT  # the API's throttling finds the client's address alike


def _rate(name: str, default: str) -> str:
    value = os.environ.get(name) or default
    count, _, per = value.partition("/")
    if not count.isdigit() or per not in ("s", "sec", "m", "min", "h", "hour", "d", "day"):
        raise ImproperlyConfigured(f"{name}={value!r}: expected requests/period, e.g. 600/m")
    return value


# The API's throttling: requests per token's owner, and per address without a token.
JALON_API_RATE = _rate("JALON_API_RATE", "600/m")
JALON_API_RATE_ANONYMOUS = _rate("JALON_API_RATE_ANONYMOUS", "60/m")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Evaluations as files, shared by the server's processes (jalon.values.snapshots), written
# in the background so that no request waits for them.
SNAPSHOT_DIR = DATA_DIR / "snapshots"
SNAPSHOTS_IN_BACKGROUND = True
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "jalon.dashboard.staticfinder.VegaBundleFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Invitations and password resets go by e-mail: SMTP where a server is named, else the
# console (the demo's), so that nothing is sent by surprise.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("JALON_EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("JALON_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("JALON_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("JALON_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("JALON_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("JALON_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("JALON_EMAIL_FROM", "jalon@localhost")
SITE_URL = os.environ.get("JALON_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Behind a TLS proxy (the module's docstring).
HTTPS = envbool("JALON_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = envint("JALON_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("JALON_HSTS_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("JALON_HSTS_PRELOAD", False)
if os.environ.get("JALON_PROXY_HTTPS_HEADER"):
    _header = os.environ["JALON_PROXY_HTTPS_HEADER"].strip().upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_header}", "https")
CSRF_TRUSTED_ORIGINS = [
    origin.strip().rstrip("/")
    for origin in os.environ.get("JALON_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]
_site = urlsplit(SITE_URL)
if _site.scheme in ("http", "https") and _site.netloc:
    CSRF_TRUSTED_ORIGINS.append(f"{_site.scheme}://{_site.netloc}")

# Content-Security-Policy: scripts, styles, images and fonts from Jalon alone; no inline
# script; no plug-in; no framing; forms posted to Jalon only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
