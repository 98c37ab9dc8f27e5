"""Background jobs of member tiers: thin and idempotent — a re-run for the same day changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django_tasks import task


@task()
def retier_task(as_of: str, actor_id: int | None = None) -> dict[str, Any]:
    """Re-tier every customer as of `as_of` (ISO date), started by `actor_id` ("Re-tier now", the API)."""
    from .services.tiers import retier

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return retier(as_of=date.fromisoformat(as_of), actor=actor)


@task()
def retier_when_due() -> dict[str, Any] | None:
    """Daily (customers/schedule.py): re-tier once a new month / quarter / year has begun."""
    from .services.tiers import retier_due

    return retier_due()
