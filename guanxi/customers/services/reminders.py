"""The morning e-mail: each person's overdue tasks and tasks due today."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.text import person_name

from ..selectors.tasks import my_tasks


def _body(user: Any, overdue: list, today: list) -> str:
    lines = [_("Hello %(name)s,") % {"name": person_name(user)}, ""]
    for title, tasks in ((_("Overdue"), overdue), (_("Due today"), today)):
        if tasks:
            lines.append(f"{title} ({len(tasks)}):")
            for t in tasks[:50]:
                due = timezone.localtime(t.due_at).strftime("%Y-%m-%d %H:%M")
                customer = f" — {t.customer.name}" if t.customer_id else ""
                lines.append(f"  • {due}  {t.title}{customer}")
            lines.append("")
    lines.append(_("Open Guanxi to see and close your tasks."))
    return "\n".join(lines)


def task_reminders_send(*, day: date | None = None) -> dict[str, int]:
    """E-mail every active person with an e-mail address their overdue and today's open tasks.

    Safe to run again the same day: a person already reminded that day is skipped.
    """
    day = day or timezone.localdate()
    sent = skipped = 0
    users = get_user_model().objects.filter(is_active=True, employee__status="active").exclude(email="")
    for user in users.select_related("employee"):
        overdue = list(my_tasks(user=user, when="overdue")[:51])
        today = list(my_tasks(user=user, when="today")[:51])
        if not overdue and not today:
            continue
        key = f"guanxi:task-reminder:{user.pk}:{day.isoformat()}"
        if not cache.add(key, 1, timeout=2 * 24 * 3600):
            skipped += 1
            continue
        subject = _("Guanxi: %(overdue)d overdue, %(today)d due today") % {
            "overdue": len(overdue), "today": len(today)}
        try:
            send_mail(subject, _body(user, overdue, today), settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception:
            cache.delete(key)  # let a retry send it
            raise
        sent += 1
    return {"sent": sent, "skipped": skipped}
