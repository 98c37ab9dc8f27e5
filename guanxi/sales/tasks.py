"""Background jobs of the sales app: thin and idempotent — call a service, safe to retry."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def recycle_public_pool() -> dict[str, Any]:
    """The nightly public-pool job (recycling + warnings); enqueued by the scheduler (customers/schedule.py)."""
    from .services.recycle import pool_recycle

    return pool_recycle()
