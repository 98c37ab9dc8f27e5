"""Back-tests: how well would the purchase predictions made at a past date have done? (issue 5, item 3)

``backtest_run`` checks the two dates and queues a BacktestRun for the background worker
(``tasks_backtest.run_backtest``); ``backtest_execute`` does the work: the metrics engine's history
read as of the calibration end and as of the holdout end (``history.read_history`` — only orders dated
before the end of each day count), then ``backtest_eval.evaluate``. The result is stored in the run's
``result`` JSON; what it holds is described in ``backtest_eval``.

The model has no started/finished/message fields: the timings go to ``result["seconds"]`` and a failure's
cause to ``result["error"]`` as a code ("failed": an unexpected error, "stale": no end within an hour), which
the pages translate (``selectors/backtest.error_text``).
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import AnalyticsPolicy, BacktestRun, MetricsRun
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Order
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record

from .backtest_eval import evaluate
from .history import end_of_day, read_history
from .metrics import json_safe

logger = logging.getLogger(__name__)
MIN_BUYERS = 10  # customers who must have bought by the calibration end
MIN_HOLDOUT_DAYS = 7
STALE_AFTER = timedelta(hours=1)
BUSY = (MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)


def _buyers_before(cutoff: datetime, limit: int) -> int:
    """Customers with a counted order before `cutoff`, counted up to `limit` (stops early on big data)."""
    orders = (Order.objects.filter(ordered_at__lt=cutoff, deleted_at__isnull=True, customer__deleted_at__isnull=True)
              .exclude(status=Order.Status.CANCELLED))
    return orders.order_by().values("customer_id").distinct()[:limit].count()


def validate_dates(calibration_end: date | None, holdout_end: date | None, *, today: date | None = None) -> None:
    """Field errors for the two dates: calibration_end < holdout_end ≤ today, a holdout of at least a week,
    and enough buyers before the calibration end."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if calibration_end is None:
        errors["calibration_end"] = [_("Enter the last day of the calibration period.")]
    if holdout_end is None:
        errors["holdout_end"] = [_("Enter the last day of the holdout period.")]
    elif holdout_end > today:
        errors["holdout_end"] = [_("The holdout period must end today or earlier: its purchases must have happened.")]
    elif calibration_end is not None and holdout_end <= calibration_end:
        errors["holdout_end"] = [_("The holdout period must end after the calibration period.")]
    elif calibration_end is not None and (holdout_end - calibration_end).days < MIN_HOLDOUT_DAYS:
        errors["holdout_end"] = [_("The holdout period must be at least %(days)d days long.")
                                 % {"days": MIN_HOLDOUT_DAYS}]
    if calibration_end is not None and "calibration_end" not in errors and not errors:
        found = _buyers_before(end_of_day(calibration_end), MIN_BUYERS)
        if found < MIN_BUYERS:
            errors["calibration_end"] = [
                _("Too little history before this date: at least %(needed)d customers must have bought by then "
                  "(found %(found)d). Choose a later date.") % {"needed": MIN_BUYERS, "found": found}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def backtest_run(*, actor: Any, calibration_end: date, holdout_end: date) -> BacktestRun:
    """Queue a back-test (needs the reports right); the background task computes it."""
    if not permissions.can(actor, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()
    validate_dates(calibration_end, holdout_end)
    now = timezone.now()
    list(BacktestRun.objects.select_for_update().order_by("-id")[:1])  # serialise simultaneous starts
    BacktestRun.objects.filter(status__in=BUSY, created_at__lt=now - STALE_AFTER).update(
        status=MetricsRun.Status.FAILED, result={"error": "stale"})
    if BacktestRun.objects.filter(status__in=BUSY).exists():
        raise ConflictError(_("A back-test is already running. Wait for it to finish."))
    run = BacktestRun.objects.create(calibration_end=calibration_end, holdout_end=holdout_end,
                                     created_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=run,
                 changes={"calibration_end": [None, str(calibration_end)], "holdout_end": [None, str(holdout_end)]})
    from guanxi.analytics.tasks_backtest import run_backtest  # services and tasks call each other

    pk = run.pk
    transaction.on_commit(lambda: run_backtest.enqueue(pk))
    return run


def compute_backtest(*, calibration_end: date, holdout_end: date) -> dict[str, Any]:
    """The back-test's result (no writes): both history reads and the evaluation."""
    policy = AnalyticsPolicy.current()
    t0 = time.monotonic()
    cal = read_history(as_of=calibration_end, window_months=policy.monetary_window_months)
    hold = read_history(as_of=holdout_end, window_months=policy.monetary_window_months)
    t1 = time.monotonic()
    result = evaluate(cal, hold, policy)
    result["seconds"] = {"read": round(t1 - t0, 2), "fit": round(time.monotonic() - t1, 2)}
    return json_safe(result)


def backtest_execute(*, backtest_id: int) -> BacktestRun | None:
    """Run a queued back-test (the task calls this). Safe to retry: a finished one is left alone."""
    run = BacktestRun.objects.filter(pk=backtest_id).first()
    if run is None or run.status not in BUSY:
        return run
    BacktestRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.RUNNING)
    try:
        result = compute_backtest(calibration_end=run.calibration_end, holdout_end=run.holdout_end)
    except Exception:
        logger.exception("back-test %s failed", run.pk)
        BacktestRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.FAILED, result={"error": "failed"})
    else:
        BacktestRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.DONE, result=result)
    run.refresh_from_db()
    return run
