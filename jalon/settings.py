"""Jalon's one settings module, driven by environment variables that fail loudly.

- DATABASE_URL: ``sqlite:///path`` or ``postgres://user:pass@host:port/name``; without it,
  a SQLite file ``jalon.sqlite3`` in the data folder.
- JALON_DATA_DIR: the data folder (default ``./var``): database, secret key, static files.
- JALON_DEBUG, JALON_ALLOWED_HOSTS, JALON_SECRET_KEY.
- JALON_EMAIL_HOST (with JALON_EMAIL_PORT, JALON_EMAIL_USER, JALON_EMAIL_PASSWORD,
  JALON_EMAIL_TLS): the SMTP server for invitations and reminders; without it, e-mails
  are printed on the console. JALON_EMAIL_FROM: their sender.
- JALON_SITE_URL: the address people open Jalon at, for the links in reminders sent by
  the worker or the command line (default http://127.0.0.1:8000).
"""

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


def sqlite_database(path: Path) -> dict:
    """Return a SQLite entry in WAL mode, so readers never wait for the writer."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # WAL: readers never wait for the writer. (The large reads go through ADBC, on
            # a connection of their own: no memory-mapped database here.)
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
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
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("JALON_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "jalon.people",
    "jalon.collection",
    "jalon.exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
