"""Analysis runs: who may start one, one at a time, the background task, the daily job and `guanxi analytics run`."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from guanxi.analytics.models import CustomerMetrics, MetricsRun
from guanxi.analytics.selectors.metrics import last_run
from guanxi.analytics.services.runs import run_now, run_scheduled, run_start
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.schedule import SCHEDULE
from guanxi.governance.models import AuditLog

from .metrics_helpers import AS_OF, NOW, customer, every

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(org):
    c = customer(org.rep, "buyer")
    every(c, start=100, step=30, count=3)
    return c


@pytest.mark.parametrize("who", ["analyst", "manager", "admin"])
def test_reports_roles_start_a_background_run(org, data, clock, who, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(actor=getattr(org, who))
    assert run.status == MetricsRun.Status.QUEUED and run.created_by == getattr(org, who) and run.as_of == AS_OF
    run.refresh_from_db()  # the (immediate) task ran it
    assert run.status == MetricsRun.Status.DONE and run.progress == run.total > 0
    assert run.summary["customers"] == 1 and run.started_at and run.finished_at
    assert CustomerMetrics.objects.get(customer=data).as_of == AS_OF
    assert AuditLog.objects.filter(entity="metricsrun", object_id=str(run.pk)).exists()
    assert last_run() == run and last_run(finished=True) == run


@pytest.mark.parametrize("who", ["rep", "agent", "marketing"])
def test_others_may_not(org, who):
    with pytest.raises(PermissionDeniedError):
        run_start(actor=getattr(org, who))
    assert not MetricsRun.objects.exists()


def test_one_run_at_a_time(org, clock):
    first = run_start(actor=org.analyst)  # queued: no on_commit callbacks run here
    with pytest.raises(ConflictError, match="already in progress"):
        run_start(actor=org.manager)
    with time_machine.travel(NOW + timedelta(hours=1, minutes=1), tick=False):
        second = run_start(actor=org.manager)  # the first one is taken for dead
    first.refresh_from_db()
    assert first.status == MetricsRun.Status.FAILED and first.message and second.status == MetricsRun.Status.QUEUED


def test_bad_dates(org, clock):
    with pytest.raises(ValidationError) as exc:
        run_start(actor=org.analyst, as_of=AS_OF + timedelta(days=1))
    assert "as_of" in exc.value.message_dict
    run = run_now(as_of=AS_OF - timedelta(days=400))
    assert run.status == MetricsRun.Status.DONE and run.as_of == AS_OF - timedelta(days=400)


def test_a_failing_run_is_marked_failed(org, data, clock, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("guanxi.analytics.services.runs.compute_metrics", boom)
    run = run_now()
    assert run.status == MetricsRun.Status.FAILED and "unexpected error" in run.message
    assert "disk full" not in run.message
    assert run_now().status == MetricsRun.Status.FAILED  # a failed run does not block the next


def test_daily_job_is_scheduled_and_skips_when_busy(org, data, clock):
    assert any(job.task == "guanxi.analytics.tasks.daily_metrics" for job in SCHEDULE)
    from guanxi.analytics.tasks import daily_metrics

    result = daily_metrics.enqueue()  # the immediate backend runs it now
    assert result.return_value["status"] == MetricsRun.Status.DONE
    run_start(actor=org.analyst)
    assert run_scheduled() is None and MetricsRun.objects.count() == 2


def test_command_with_progress_bar(org, data, clock):
    out = StringIO()
    call_command("analytics_run", "--as-of", "2025-06-01", stdout=out)
    text = out.getvalue()
    assert "Metrics as of 2025-06-01: 1 customers" in text and "100%" in text and "[####" in text
    assert CustomerMetrics.objects.get(customer=data).as_of.isoformat() == "2025-06-01"
    with pytest.raises(CommandError, match="not a date"):
        call_command("analytics_run", "--as-of", "June")
    with pytest.raises(CommandError, match="future"):
        call_command("analytics_run", "--as-of", "2030-01-01", "--no-progress")


def test_guanxi_analytics_run(monkeypatch):
    from guanxi import cli

    calls = []
    monkeypatch.setattr(cli, "_django", lambda: None)
    monkeypatch.setattr(cli, "_call", lambda *args: calls.append(args))
    cli.main(["analytics", "run", "--as-of", "2025-06-30"])
    cli.main(["analytics", "run"])
    assert calls == [("analytics_run", "--as-of", "2025-06-30"), ("analytics_run",)]


def test_summary_is_plain_json():
    import numpy as np

    from guanxi.analytics.services.metrics import json_safe

    assert json_safe({"a": np.float64("nan"), "b": [np.int64(3), float("inf"), np.bool_(True)], 1: "x"}) == {
        "a": None, "b": [3, None, True], "1": "x"}
