"""The scheduler enqueues each periodic job once per slot, across restarts."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from guanxi.customers.schedule import EPOCH, SCHEDULE, Job, current_slot, run_due
from guanxi.customers.services.activity import task_create
from guanxi.customers.services.reminders import task_reminders_send

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _mid_slot():
    """Start half-way through a five-minute slot, so two runs a moment apart are in one slot of the
    interval jobs too."""
    now = timezone.now()
    with time_machine.travel(now - (now - EPOCH) % timedelta(minutes=5) + timedelta(seconds=150), tick=True):
        yield


def _once() -> str:
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    return out.getvalue()


def test_once_enqueues_each_job_once(db):
    first = _once()
    assert "purge_recycle_bin" in first and "task_reminders" in first
    assert _once() == ""


@override_settings(TASKS=DB_TASKS)
def test_database_backend_remembers_across_restarts(db):
    from django_tasks_db.models import DBTaskResult

    _once()
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    cache.clear()  # a restarted scheduler has an empty cache; the queue itself remembers
    assert _once() == ""
    assert DBTaskResult.objects.count() == len(SCHEDULE)


def test_next_slot_runs_again(db):
    now = timezone.now()
    assert len(run_due(now)) == len(SCHEDULE)
    interval_jobs = [j.name for j in SCHEDULE if j.every is not None]
    assert [job.name for job, _id in run_due(now + timedelta(minutes=1))] == []
    assert [job.name for job, _id in run_due(now + timedelta(minutes=5))] == interval_jobs  # daily jobs wait
    assert len(run_due(now + timedelta(days=1, minutes=1))) == len(SCHEDULE)


def test_interval_slots():
    job = Job("every_five", "x.y", every=timedelta(minutes=5))
    now = timezone.now()
    slot = current_slot(job, now)
    assert slot <= now < slot + timedelta(minutes=5) and slot.second == 0 and slot.minute % 5 == 0
    assert current_slot(job, slot) == slot and current_slot(job, slot - timedelta(microseconds=1)) < slot
    with pytest.raises(ValueError):
        Job("both", "x.y", at=now.time(), every=timedelta(minutes=5))


def test_slot_is_the_latest_passed_moment():
    job = SCHEDULE[0]
    now = timezone.now()
    slot = current_slot(job, now)
    assert slot <= now < slot + timedelta(days=1)
    assert (timezone.localtime(slot).hour, timezone.localtime(slot).minute) == (job.at.hour, job.at.minute)


def test_reminder_email(org):
    org.rep.email = "rep@example.com"
    org.rep.save()
    now = timezone.now()
    task_create(actor=org.rep, data={"title": "过期的待办", "due_at": now - timedelta(days=2)})
    task_create(actor=org.rep, data={"title": "下周的待办", "due_at": now + timedelta(days=7)})
    result = task_reminders_send()
    assert result == {"sent": 1, "skipped": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep@example.com"]
    assert "过期的待办" in mail.outbox[0].body and "下周的待办" not in mail.outbox[0].body
    assert task_reminders_send() == {"sent": 0, "skipped": 1}  # a retry the same day sends nothing
    assert len(mail.outbox) == 1
