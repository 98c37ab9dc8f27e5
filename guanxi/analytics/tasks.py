"""Background jobs of the analysis: thin and idempotent — call the service, safe to retry."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def run_metrics(run_id: int) -> dict[str, Any] | None:
    """Execute a queued analysis run (started from the web or the API); progress goes to the run row."""
    from .services.runs import run_execute

    run = run_execute(run_id=run_id)
    return None if run is None else {"run": run.pk, "status": run.status}


@task()
def daily_metrics() -> dict[str, Any] | None:
    """Daily (customers/schedule.py): metrics as of today and the owners' proactive tasks."""
    from .services.runs import run_scheduled

    run = run_scheduled()
    return None if run is None else {"run": run.pk, "status": run.status}
