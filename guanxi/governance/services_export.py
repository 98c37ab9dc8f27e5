"""Export control: who may export, how many rows a day, and the audit row of every export.

Every export (customers, contacts, orders, leads, …) goes through the same three steps::

    remaining = export_allowance(user=user)                  # None: no limit
    rows = qs.order_by()[: remaining + 1].count() if remaining is not None else qs.order_by().count()
    check_export_allowed(user=user, rows=rows)               # PermissionDeniedError, nothing recorded
    export_recorded(actor=user, entity="customer", rows=rows, fmt="csv", filters={...})
    ... then write the file, with `exported_by_line(user)` in it.

The daily limit is the role's `RolePolicy.export_daily_rows` (None: no limit, 0: no exports); the rows
already exported today (the local day, settings.TIME_ZONE = Asia/Shanghai) are summed from the audit trail.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name

from . import permissions
from .masking import policy_for
from .models import AuditLog


def _today_start() -> datetime.datetime:
    """Midnight at the start of today in the project's time zone (Asia/Shanghai)."""
    today = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))


def exported_today(*, user: Any) -> int:
    """Rows the user has exported since local midnight, from the EXPORT audit rows."""
    if getattr(user, "pk", None) is None:
        return 0
    total = 0
    for changes in AuditLog.objects.filter(
        actor_id=user.pk, action=AuditLog.Action.EXPORT, created_at__gte=_today_start()
    ).values_list("changes", flat=True):
        rows = (changes or {}).get("rows", 0)
        total += rows if isinstance(rows, int) else 0
    return total


def export_allowance(*, user: Any) -> int | None:
    """Rows the user may still export today; None means no limit."""
    limit = policy_for(user).export_daily_rows
    if limit is None:
        return None
    return max(0, limit - exported_today(user=user))


def check_export_allowed(*, user: Any, rows: int, remaining: int | None = None) -> None:
    """Raise PermissionDeniedError (with a message saying how many rows are left today) unless the user
    may export `rows` more rows now. Pass `remaining` when you already read `export_allowance`."""
    if not permissions.can(user, permissions.EXPORT):
        raise PermissionDeniedError()
    left = export_allowance(user=user) if remaining is None else remaining
    if left is None or rows <= left:
        return
    if left == 0:
        raise PermissionDeniedError(_("You have reached your daily export limit. You can export again tomorrow."))
    raise PermissionDeniedError(
        ngettext(
            "This export has more rows than you may still export today: %(left)d row is left. "
            "Narrow the filters and try again.",
            "This export has more rows than you may still export today: %(left)d rows are left. "
            "Narrow the filters and try again.",
            left,
        ) % {"left": left}
    )


def export_recorded(*, actor: Any, entity: str, rows: int, fmt: str, filters: dict[str, Any] | None = None,
                    at: datetime.datetime | None = None) -> AuditLog:
    """The audit row of one export (who, what, filter, row count); it also counts towards the daily limit."""
    clean = {k: v for k, v in (filters or {}).items() if v not in ("", None)}
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=AuditLog.Action.EXPORT, entity=entity, object_id="",
        object_repr=(_("%(n)d rows as %(fmt)s") % {"n": rows, "fmt": fmt.upper()})[:200],
        changes={"filters": {k: _jsonable(v) for k, v in clean.items()}, "rows": rows, "format": fmt,
                 "at": (at or timezone.now()).isoformat()},
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def exported_by_line(user: Any, at: datetime.datetime | None = None) -> str:
    """The line a file carries about its exporter: "Exported by 张伟 (zhangwei) at 2026-11-23 15:00"."""
    moment = timezone.localtime(at or timezone.now())
    name = person_name(user)
    username = user.get_username() if hasattr(user, "get_username") else ""
    who = f"{name} ({username})" if username and username != name else name
    return _("Exported by %(who)s at %(time)s") % {"who": who, "time": moment.strftime("%Y-%m-%d %H:%M")}
