"""Background job of the back-tests: thin and idempotent — call the service, safe to retry."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def run_backtest(backtest_id: int) -> dict[str, Any] | None:
    """Compute a queued back-test (started from the web or the API); the result goes to the BacktestRun row."""
    from .services.backtest import backtest_execute

    run = backtest_execute(backtest_id=backtest_id)
    return None if run is None else {"backtest": run.pk, "status": run.status}
