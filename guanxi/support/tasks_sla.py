"""Background job of the SLA area: thin and idempotent — call the service, safe to retry."""

from __future__ import annotations

from django_tasks import task


@task()
def check_sla() -> dict[str, int]:
    """Every five minutes (customers/schedule.py): warn before SLA breaches, flag and escalate breaches."""
    from .services.sla import check_sla as run

    return run()
