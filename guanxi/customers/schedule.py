"""Periodic jobs: what runs when. The `scheduler` command enqueues each job once per slot.

A slot is the latest scheduled moment that has passed: today at 03:00 local time for a daily job
(`at`), the start of the current five minutes for a job that runs `every=timedelta(minutes=5)`
(interval slots are counted from the Unix epoch, so they start on whole minutes). A job
is enqueued when its current slot has not been enqueued yet, so restarting the scheduler, or
running `scheduler --once` from cron every few minutes, never runs a job twice for one slot.
The last enqueue is remembered in the database when the default django-tasks-db backend is
used (its task result rows), and in the cache (Redis when configured) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import import_string

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path to a django_tasks Task
    at: time | None = None  # daily, local time (TIME_ZONE)
    every: timedelta | None = None  # or: at this interval

    def __post_init__(self) -> None:
        if (self.at is None) == (self.every is None) or (self.every is not None and self.every <= timedelta(0)):
            raise ValueError(f"job {self.name}: give either a daily time (at) or a positive interval (every)")

    @property
    def period(self) -> timedelta:
        return self.every or timedelta(days=1)

    def describe(self) -> str:
        if self.every is not None:
            return f"{self.name} every {int(self.every.total_seconds() // 60)} min"
        return f"{self.name} at {self.at:%H:%M}"


SCHEDULE: list[Job] = [
    Job("purge_recycle_bin", "guanxi.customers.tasks.purge_recycle_bin", time(3, 0)),
    Job("task_reminders", "guanxi.customers.tasks.send_task_reminders", time(8, 0)),
    # The public pool (公海): recycling and the owners' warnings, before the morning reminders.
    Job("pool_recycle", "guanxi.sales.tasks.recycle_public_pool", time(2, 0)),
    # Planner statistics, after the night's bulk changes (recycling, purge) and before the working day.
    Job("database_optimize", "guanxi.customers.tasks.database_optimize", time(4, 0)),
    # Service desk: SLA warnings before a breach, escalation on a breach.
    Job("sla_check", "guanxi.support.tasks_sla.check_sla", every=timedelta(minutes=5)),
    Job("order_callbacks", "guanxi.support.tasks_callbacks.schedule_order_callbacks", time(6, 0)),
    Job("scheduled_surveys", "guanxi.support.tasks_surveys.send_scheduled_surveys", time(10, 0)),
    # Service desk: file the support mailbox's unread e-mails, when an IMAP mailbox is configured.
    *([Job("mail_poll", "guanxi.support.tasks_mail.poll_support_mailbox", every=timedelta(minutes=5))]
      if getattr(settings, "GUANXI_IMAP_HOST", "") else []),
    # Customer value and prediction: metrics as of today, and the owners' proactive tasks before 08:00's reminders.
    Job("analytics_metrics", "guanxi.analytics.tasks.daily_metrics", time(5, 0)),
    Job("tier_review", "guanxi.analytics.tasks_tiers.retier_when_due", time(1, 30)),  # re-tier once a new period begins
]


def schedule() -> list[Job]:
    """The schedule; GUANXI_SCHEDULE_TIMES = {"task_reminders": "07:30"} moves a daily job."""
    overrides = getattr(settings, "GUANXI_SCHEDULE_TIMES", {}) or {}
    return [Job(j.name, j.task, time.fromisoformat(overrides[j.name])) if j.name in overrides and j.at else j
            for j in SCHEDULE]


def current_slot(job: Job, now: datetime) -> datetime:
    if job.every is not None:
        return EPOCH + (now - EPOCH) // job.every * job.every
    assert job.at is not None
    local = timezone.localtime(now)
    slot = local.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def next_slot(job: Job, now: datetime) -> datetime:
    return current_slot(job, now) + job.period


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
