from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Task


def _today_bounds() -> tuple[datetime, datetime]:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    return start, start + timedelta(days=1)


def my_tasks(*, user: Any, when: str = "open") -> QuerySet[Task]:
    """The user's own tasks: 'today', 'overdue', 'upcoming', 'open' or 'done'."""
    qs = Task.objects.visible_to(user).filter(assignee_id=user.pk).select_related("customer")
    start, end = _today_bounds()
    if when == "done":
        return qs.filter(done_at__isnull=False).order_by("-done_at")
    qs = qs.filter(done_at__isnull=True)
    if when == "today":
        qs = qs.filter(due_at__gte=start, due_at__lt=end)
    elif when == "overdue":
        qs = qs.filter(due_at__lt=start)
    elif when == "upcoming":
        qs = qs.filter(due_at__gte=end)
    return qs.order_by("due_at")


def open_tasks_of(*, customer: Any) -> QuerySet[Task]:
    """A customer's open tasks, soonest due first (the 360° page's card); the caller checked the customer."""
    return (Task.objects.filter(customer=customer, deleted_at__isnull=True, done_at__isnull=True)
            .select_related("assignee").order_by("due_at"))


def task_counts(*, user: Any) -> dict[str, int]:
    start, end = _today_bounds()
    qs = Task.objects.filter(assignee_id=user.pk, done_at__isnull=True, deleted_at__isnull=True)
    return {
        "overdue": qs.filter(due_at__lt=start).count(),
        "today": qs.filter(due_at__gte=start, due_at__lt=end).count(),
    }
