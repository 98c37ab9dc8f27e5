"""Settings for the benchmarks: production-like (DEBUG off), pointed at the bench database.

Set DATABASE_URL before Django starts, e.g. (the bench modules do it from --database-url)::

    DATABASE_URL=sqlite:////abs/path/bench/out/bench.sqlite3        (bench/out/ is git-ignored)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/guanxi_bench
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(__file__).resolve().parent / 'out' / 'bench.sqlite3'}")

from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS, LOGGING

DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# Logins in the benchmarks use force_login; a fast hasher keeps any set-up logins cheap.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {**LOGGING, "root": {**LOGGING.get("root", {}), "level": "ERROR"}}
