"""A small fixed-window rate limiter for public (no-login) endpoints, kept in Django's cache.

The cache is shared between app servers when REDIS_URL is set; with the local-memory cache each process
counts on its own, which is good enough for a single server.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


def client_ip(request: HttpRequest) -> str:
    """The caller's address as the web server passed it (a proxy in front must set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request: HttpRequest, name: str, limit: int, window: int) -> bool:
    """Count one hit for this client under `name`; True when more than `limit` hits fell in the current
    `window` seconds. Each endpoint uses its own `name` so their counters stay apart."""
    window = max(int(window), 1)
    bucket = int(timezone.now().timestamp() // window)
    key = f"guanxi:rl:{name}:{client_ip(request)}:{bucket}"
    if cache.add(key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 5)
            count = 1
    return count > int(limit)
