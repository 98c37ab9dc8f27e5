"""Settings shared by every environment. Values come from the environment (12-factor)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GUANXI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("GUANXI_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("GUANXI_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("GUANXI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the bundled Swagger UI files for /api/docs (no CDN)
    "guanxi.core",
    "guanxi.governance",
    "guanxi.customers",
    "guanxi.sales",
    "guanxi.support",
    "guanxi.analytics",
    "guanxi.api",
    "guanxi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guanxi.governance.middleware.ActiveEmployeeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guanxi.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'guanxi.sqlite3'}"),
        conn_max_age=int(os.environ.get("GUANXI_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work at once; IMMEDIATE avoids "database is locked"
        # when two writers upgrade read transactions at the same moment.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("GUANXI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded ticket attachments: outside any served directory, handed out only through a permission-checked view.
GUANXI_PRIVATE_ROOT = Path(os.environ.get("GUANXI_PRIVATE_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

TASKS = {
    "default": {
        "BACKEND": os.environ.get("GUANXI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

EMAIL_BACKEND = os.environ.get("GUANXI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("GUANXI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("GUANXI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("GUANXI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GUANXI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("GUANXI_EMAIL_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("GUANXI_FROM_EMAIL", "guanxi@localhost")
# Service desk e-mail (guanxi/support/services/mail*.py). Replies go out From/Reply-To the support address.
GUANXI_SUPPORT_EMAIL = os.environ.get("GUANXI_SUPPORT_EMAIL", "")  # empty: DEFAULT_FROM_EMAIL
GUANXI_MAIL_LANGUAGE = os.environ.get("GUANXI_MAIL_LANGUAGE", "")  # reply footer and log reasons; empty: LANGUAGE_CODE
# Who files e-mails and web-form requests (a username; its rights apply). Empty: the system (audit shows "System").
GUANXI_MAIL_ACTOR_USERNAME = os.environ.get("GUANXI_MAIL_ACTOR_USERNAME", "")
# POST /api/support/inbound-email with header X-Guanxi-Inbound-Token: <this>; empty: the endpoint is off (404).
GUANXI_INBOUND_EMAIL_TOKEN = os.environ.get("GUANXI_INBOUND_EMAIL_TOKEN", "")
GUANXI_INBOUND_MAX_BYTES = int(os.environ.get("GUANXI_INBOUND_MAX_BYTES", str(25 * 1024 * 1024)))
GUANXI_ATTACHMENT_MAX_BYTES = int(os.environ.get("GUANXI_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# The IMAP poller (every 5 minutes when the host is set; `guanxi mailpoll` runs it now).
GUANXI_IMAP_HOST = os.environ.get("GUANXI_IMAP_HOST", "")
GUANXI_IMAP_PORT = int(os.environ.get("GUANXI_IMAP_PORT", "0"))  # 0: 993 with SSL, 143 without
GUANXI_IMAP_USER = os.environ.get("GUANXI_IMAP_USER", "")
GUANXI_IMAP_PASSWORD = os.environ.get("GUANXI_IMAP_PASSWORD", "")
GUANXI_IMAP_SSL = os.environ.get("GUANXI_IMAP_SSL", "1") == "1"
GUANXI_IMAP_FOLDER = os.environ.get("GUANXI_IMAP_FOLDER", "INBOX")
# The public support form /support/contact/: submissions per IP address and window (seconds).
GUANXI_SUPPORT_FORM_RATE = int(os.environ.get("GUANXI_SUPPORT_FORM_RATE", "5"))
GUANXI_SUPPORT_FORM_WINDOW = int(os.environ.get("GUANXI_SUPPORT_FORM_WINDOW", "60"))
# Survey links in e-mails and SMS start with this address; answers per IP address and window (seconds).
GUANXI_SITE_URL = os.environ.get("GUANXI_SITE_URL", "http://localhost:8000")
GUANXI_SURVEY_RATE = int(os.environ.get("GUANXI_SURVEY_RATE", "10"))
GUANXI_SURVEY_WINDOW = int(os.environ.get("GUANXI_SURVEY_WINDOW", "60"))
GUANXI_SURVEY_BATCH = int(os.environ.get("GUANXI_SURVEY_BATCH", "500"))  # scheduled invitations per run at most
# Text messages (survey links): a guanxi.support.sms.BaseSmsBackend subclass; the console one prints them.
GUANXI_SMS_BACKEND = os.environ.get("GUANXI_SMS_BACKEND", "guanxi.support.sms.ConsoleBackend")
GUANXI_CALLBACK_CATCH_UP_DAYS = 30  # a new order-delivered callback rule looks this far back, no further

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Guanxi's own settings
GUANXI_CURRENCY = os.environ.get("GUANXI_CURRENCY", "CNY")
GUANXI_DEFAULT_REGION = os.environ.get("GUANXI_DEFAULT_REGION", "CN")
GUANXI_RECYCLE_DAYS = int(os.environ.get("GUANXI_RECYCLE_DAYS", "30"))
# Soft-deleted records of other apps that the recycle bin lists (a tab each, after the customers' own) and the
# nightly purge removes (before the customers' records). Per entity: the model, the service that restores one
# (called as restore(actor=…, <model_name>=record)) and the tab's icon. The model's queryset provides
# `restorable_by(user)`: the deleted rows that user may restore.
GUANXI_RECYCLABLE = {
    "lead": {"model": "sales.Lead", "restore": "guanxi.sales.services.leads.lead_restore", "icon": "bi-funnel"},
    "opportunity": {"model": "sales.Opportunity", "restore": "guanxi.sales.services.opportunities.opportunity_restore",
                    "icon": "bi-kanban"},
}
# More sources on the customer timeline: kind -> {"items": f(*, user, customer, need) -> [(at, obj)] newest first,
# at most `need`, only what `user` may see; "describe": f(obj) -> (title, data) for the API}.
GUANXI_TIMELINE_SOURCES = {
    "ticket": {"items": "guanxi.support.selectors.timeline.ticket_timeline_items",
               "describe": "guanxi.support.selectors.timeline.ticket_timeline_entry"},
}
GUANXI_LIST_COUNT_CAP = 10_000
# Called by the demo loader after the customers: f(*, users={username: User}, customers=[ids]) -> counts.
GUANXI_DEMO_EXTENSIONS = [
    "guanxi.sales.demo.load_sales_demo",
    "guanxi.support.demo.load_support_demo",
    "guanxi.analytics.demo.write_demo",
    "guanxi.analytics.demo.compute_demo_metrics",
]

# Every API list pages with a keyset cursor (guanxi/api/pagination.py).
NINJA_PAGINATION_CLASS = "guanxi.api.pagination.CursorPagination"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GUANXI_LOG_LEVEL", "WARNING")},
}
