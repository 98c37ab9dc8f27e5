import os

from .base import *  # noqa: F403

DEBUG = False
if SECRET_KEY.startswith("dev-only"):  # noqa: F405
    raise RuntimeError("Set GUANXI_SECRET_KEY in production.")
SESSION_COOKIE_SECURE = os.environ.get("GUANXI_HTTPS", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
