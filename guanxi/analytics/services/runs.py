"""Analysis runs: start one (web, API), run it (the background task, the daily schedule, the command line).

One run at a time: a run that is queued or running and less than ``STALE_AFTER`` old blocks a new
one; an older one is taken to have died with its worker and is marked failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import MetricsRun
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record

from .metrics import compute_metrics

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=1)
BUSY = (MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)


def _claim_slot(*, actor: Any, as_of: date | None) -> MetricsRun:
    """Check the date and that no run is going on, then create the queued run (inside the caller's transaction)."""
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today:
        raise ValidationError({"as_of": [_("The as-of date cannot be in the future.")]})
    now = timezone.now()
    # Lock the newest run row so two simultaneous starts cannot both pass the check (PostgreSQL);
    # SQLite's IMMEDIATE transactions serialise writers anyway.
    list(MetricsRun.objects.select_for_update().order_by("-id")[:1])
    MetricsRun.objects.filter(status__in=BUSY, created_at__lt=now - STALE_AFTER).update(
        status=MetricsRun.Status.FAILED, finished_at=now, message=_("Stopped: it did not finish within an hour."))
    busy = MetricsRun.objects.filter(status__in=BUSY).order_by("-id").first()
    if busy is not None:
        raise ConflictError(_("An analysis run is already in progress (started at %(time)s). Wait for it to finish.")
                            % {"time": timezone.localtime(busy.created_at).strftime("%H:%M")})
    run = MetricsRun.objects.create(as_of=as_of, status=MetricsRun.Status.QUEUED,
                                    created_by=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=run, changes={"as_of": [None, str(as_of)]})
    return run


@transaction.atomic
def run_start(*, actor: Any, as_of: date | None = None) -> MetricsRun:
    """Queue a run as of `as_of` (today by default) for the background worker. Needs the reports right."""
    if not permissions.can(actor, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()
    run = _claim_slot(actor=actor, as_of=as_of)
    from guanxi.analytics.tasks import run_metrics  # services and tasks call each other

    pk = run.pk
    transaction.on_commit(lambda: run_metrics.enqueue(pk))
    return run


def run_now(*, as_of: date | None = None, progress: Callable[[int, int], None] | None = None) -> MetricsRun:
    """Create and execute a run at once, as the system (the command line and the daily schedule)."""
    with transaction.atomic():
        run = _claim_slot(actor=None, as_of=as_of)
    return run_execute(run_id=run.pk, progress=progress)  # type: ignore[return-value]


def run_execute(*, run_id: int, progress: Callable[[int, int], None] | None = None) -> MetricsRun | None:
    """Execute a queued run (the task calls this). Safe to retry: a finished run is left alone, and a rerun
    writes the same rows (the computation depends only on the data before the as-of date)."""
    run = MetricsRun.objects.filter(pk=run_id).first()
    if run is None or run.status not in BUSY:
        return run
    MetricsRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.RUNNING, started_at=timezone.now(),
                                                progress=0)
    try:
        summary = compute_metrics(as_of=run.as_of, run=run, progress=progress)
    except Exception:
        logger.exception("analysis run %s failed", run.pk)
        MetricsRun.objects.filter(pk=run.pk).update(
            status=MetricsRun.Status.FAILED, finished_at=timezone.now(),
            message=_("The run stopped because of an unexpected error (details in the server log). Rows already "
                      "written keep their date; start the run again."))
    else:
        MetricsRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.DONE, finished_at=timezone.now(),
                                                    summary=summary, message="")
    run.refresh_from_db()
    return run


def run_scheduled() -> MetricsRun | None:
    """The daily job: run as of today unless a run is already going on (then do nothing)."""
    try:
        return run_now()
    except ConflictError:
        logger.info("daily analysis skipped: a run is in progress")
        return None
