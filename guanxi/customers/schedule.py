"""Periodic jobs: what runs when. The `scheduler` command enqueues each job once per slot.

A slot is the latest scheduled moment that has passed (e.g. today at 03:00 local time). A job
is enqueued when its current slot has not been enqueued yet, so restarting the scheduler, or
running `scheduler --once` from cron every few minutes, never runs a job twice for one slot.
The last enqueue is remembered in the database when the default django-tasks-db backend is
used (its task result rows), and in the cache (Redis when configured) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path to a django_tasks Task
    at: time  # daily, local time (TIME_ZONE)


SCHEDULE: list[Job] = [
    Job("purge_recycle_bin", "guanxi.customers.tasks.purge_recycle_bin", time(3, 0)),
    Job("task_reminders", "guanxi.customers.tasks.send_task_reminders", time(8, 0)),
    # The public pool (公海): recycling and the owners' warnings, before the morning reminders.
    Job("pool_recycle", "guanxi.sales.tasks.recycle_public_pool", time(2, 0)),
    # Planner statistics, after the night's bulk changes (recycling, purge) and before the working day.
    Job("database_optimize", "guanxi.customers.tasks.database_optimize", time(4, 0)),
]


def schedule() -> list[Job]:
    """The schedule; GUANXI_SCHEDULE_TIMES = {"task_reminders": "07:30"} moves a job."""
    overrides = getattr(settings, "GUANXI_SCHEDULE_TIMES", {}) or {}
    return [Job(j.name, j.task, time.fromisoformat(overrides[j.name])) if j.name in overrides else j
            for j in SCHEDULE]


def current_slot(job: Job, now: datetime) -> datetime:
    local = timezone.localtime(now)
    slot = local.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def next_slot(job: Job, now: datetime) -> datetime:
    return current_slot(job, now) + timedelta(days=1)


def _cache_key(job: Job) -> str:
    return f"guanxi:scheduler:last:{job.name}"


def last_enqueued(job: Job) -> datetime | None:
    task: Any = import_string(job.task)
    found = cache.get(_cache_key(job))
    backend = task.get_backend()
    if type(backend).__module__.startswith("django_tasks_db"):
        from django.db.models import Max
        from django_tasks_db.models import DBTaskResult

        in_db = DBTaskResult.objects.filter(task_path=task.module_path).aggregate(m=Max("enqueued_at"))["m"]
        found = max(filter(None, [found, in_db]), default=None)
    return found


def run_due(now: datetime | None = None) -> list[tuple[Job, str]]:
    """Enqueue every job whose current slot has not been enqueued. Returns (job, result id)."""
    now = now or timezone.now()
    done = []
    for job in schedule():
        slot = current_slot(job, now)
        last = last_enqueued(job)
        if last is not None and last >= slot:
            continue
        task: Any = import_string(job.task)
        result = task.enqueue()
        cache.set(_cache_key(job), now, timeout=None)
        done.append((job, str(result.id)))
    return done


def seconds_until_next(now: datetime | None = None) -> float:
    now = now or timezone.now()
    return max(1.0, min((next_slot(j, now) - now).total_seconds() for j in schedule()))
