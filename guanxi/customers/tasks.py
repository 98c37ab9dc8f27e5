"""Background jobs: thin and idempotent — fetch, call a service, safe to retry."""

from __future__ import annotations

from django_tasks import task

from .services.recycle import recycle_bin_purge


@task()
def purge_recycle_bin() -> dict[str, int]:
    return recycle_bin_purge()
