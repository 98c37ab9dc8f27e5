"""Background job of callbacks (回访): thin and idempotent — call the service, safe to retry."""

from __future__ import annotations

from django_tasks import task


@task()
def schedule_order_callbacks() -> dict[str, int]:
    """Daily (customers/schedule.py): callbacks for orders delivered N days ago."""
    from .services.callbacks import schedule_order_callbacks as schedule

    return schedule()
