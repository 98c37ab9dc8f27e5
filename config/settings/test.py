import tempfile as _tempfile
from pathlib import Path as _Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Ticket attachments written by the tests go to a throw-away folder, not var/private.
GUANXI_PRIVATE_ROOT = _Path(_tempfile.gettempdir()) / "guanxi-test-private"
