"""Proactive follow-up tasks for the owners, created by the metrics job (as of today only).

* **Next purchase** (``related_type = "analytics.next_purchase"``): an active customer whose predicted
  next purchase is within ``task_lead_days`` from today, or whose run-out date is within that many
  days either side of today. Due at 09:00 the day before the predicted date (today at the earliest).
* **At risk** (``"analytics.at_risk"``): a high-value customer (quadrant core or keep) who has become
  "at risk" since the previous run (or on the first run). Due at 00:00 today and titled with a
  leading "★", so it heads the owner's task list: "my tasks" lists open tasks by due time, so it
  comes first among today's tasks, after only the tasks that are already overdue.

No duplicates, checked set-based before creating: no task when the customer already has an open task
of that kind, nor — for next-purchase tasks — when a task of that kind was created since the
customer's last purchase (one prompt per purchase cycle, even when the owner closed it). Customers
without an owner, or whose owner can no longer sign in, are skipped and counted. ``related_id`` is
the customer id; the tasks have no creator (the system).

Written in bulk (the customers app's ``BulkWriter``: COPY on PostgreSQL, executemany on SQLite, every
column filled from the model's fields and defaults), like the public pool's warning tasks
(``sales/services/recycle.py``), and without an audit row per task: going through
``task_create`` (validation queries and an audit row each) cost ~2 ms a task, minutes for the
first run over a large customer base. The run itself is audited and its summary counts the tasks.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import ChurnState, Quadrant
from guanxi.customers.demo.writer import BulkWriter
from guanxi.customers.models import Customer, Task
from guanxi.governance.selectors import active_users

from .history import EPOCH_DATE

if TYPE_CHECKING:
    from .metrics import Computed

NEXT_PURCHASE = "analytics.next_purchase"
AT_RISK = "analytics.at_risk"
PRIORITY_MARK = "★ "
BATCH = 5_000


def _open_task_ids(kind: str) -> npt.NDArray[np.int64]:
    ids = Task.objects.filter(related_type=kind, done_at__isnull=True, deleted_at__isnull=True,
                              related_id__isnull=False).values_list("related_id", flat=True)
    return np.fromiter(ids.iterator(chunk_size=20_000), dtype=np.int64)


def _prompted_since_purchase(kind: str, customer_ids: Any, last_ts: Any) -> Any:
    """Which customers got a task of `kind` after their last purchase (open or not)."""
    latest = dict(Task.objects.filter(related_type=kind, deleted_at__isnull=True, related_id__isnull=False)
                  .values("related_id").order_by().annotate(at=Max("created_at")).values_list("related_id", "at"))
    if not latest:
        return np.zeros(len(customer_ids), dtype=bool)
    return np.array([cid in latest and latest[cid].timestamp() >= ts
                     for cid, ts in zip(customer_ids.tolist(), last_ts.tolist(), strict=True)], dtype=bool)


def create_proactive_tasks(c: Computed, *, lead_days: int, previously_at_risk: Any) -> dict[str, int]:
    hist, pred = c.hist, c.pred
    today = hist.as_of_day
    active = pred.churn == ChurnState.ACTIVE
    next_day = np.where(np.isfinite(pred.next_wait), today + np.floor(np.nan_to_num(pred.next_wait)), np.inf)
    soon = (next_day >= today) & (next_day <= today + lead_days)
    run_out = np.nan_to_num(c.run_out_day, nan=-np.inf)
    running_out = (run_out >= today - lead_days) & (run_out <= today + lead_days)
    due_next = active & (soon | running_out)
    due_next &= ~np.isin(hist.customer_id, _open_task_ids(NEXT_PURCHASE))
    due_next[due_next] &= ~_prompted_since_purchase(NEXT_PURCHASE, hist.customer_id[due_next], hist.last_ts[due_next])
    high_value = np.isin(c.quadrant.astype(str), [Quadrant.CORE.value, Quadrant.KEEP.value])
    at_risk = (pred.churn == ChurnState.AT_RISK) & high_value & ~np.isin(hist.customer_id, previously_at_risk)
    at_risk &= ~np.isin(hist.customer_id, _open_task_ids(AT_RISK))

    counts = {"next_purchase": 0, "at_risk": 0, "skipped_no_owner": 0}
    owners = _active_owners(hist.owner_id[due_next | at_risk])
    for kind, mask in ((AT_RISK, at_risk), (NEXT_PURCHASE, due_next)):
        idx = np.flatnonzero(mask)
        has_owner = np.isin(hist.owner_id[idx], owners)
        counts["skipped_no_owner"] += int((~has_owner).sum())
        idx = idx[has_owner]
        for start in range(0, len(idx), BATCH):
            part = idx[start:start + BATCH]
            _create(kind, part, c, next_day, run_out)
        counts["at_risk" if kind == AT_RISK else "next_purchase"] = len(idx)
    return counts


def _active_owners(owner_ids: Any) -> npt.NDArray[np.int64]:
    """The owners among `owner_ids` who can still sign in (active user and employee)."""
    wanted = [int(o) for o in np.unique(owner_ids) if o >= 0]
    return np.array(list(active_users().filter(pk__in=wanted).values_list("pk", flat=True)), dtype=np.int64)


def _due(day: float) -> datetime:
    return timezone.make_aware(datetime.combine(EPOCH_DATE + timedelta(days=int(day)), time(9)))


def _explanation(c: Computed, i: int) -> str:
    """The customer page's plain-words explanation, from the arrays (no need to read the row back)."""
    from guanxi.analytics.selectors.metrics import explain

    hist, pred = c.hist, c.pred
    day = lambda v: None if not np.isfinite(v) else EPOCH_DATE + timedelta(days=int(v))  # noqa: E731
    return explain(SimpleNamespace(  # type: ignore[arg-type]
        orders_count=int(hist.n_days[i]), recency_days=int(hist.as_of_day - hist.last_day[i]),
        typical_interval_days=None if np.isnan(pred.interval[i]) else float(pred.interval[i]),
        p_alive=None if np.isnan(pred.p_alive[i]) else float(pred.p_alive[i]), churn_state=str(pred.churn[i]),
        next_purchase_date=day(hist.as_of_day + np.floor(pred.next_wait[i])), run_out_date=day(c.run_out_day[i]),
        method=str(pred.method)))


def _create(kind: str, idx: Any, c: Computed, next_day: Any, run_out: Any) -> None:
    """Write one batch of tasks with one executemany (see the module docstring)."""
    hist = c.hist
    ids = hist.customer_id[idx].tolist()
    names = dict(Customer.objects.filter(pk__in=ids).values_list("pk", "name"))
    today = hist.as_of_day
    now = timezone.now()
    start_of_today = timezone.make_aware(datetime.combine(hist.as_of, time.min))
    rows = []
    for i, cid in zip(idx.tolist(), ids, strict=True):
        name = names.get(cid, "")
        if kind == AT_RISK:
            title = PRIORITY_MARK + _("Core customer at risk: %(customer)s") % {"customer": name}
            due = start_of_today
        elif np.isfinite(run_out[i]) and (not np.isfinite(next_day[i]) or run_out[i] <= next_day[i]):
            title = _("About to run out: %(customer)s") % {"customer": name}
            due = _due(max(today, run_out[i] - 1))
        else:
            title = _("Likely to buy again soon: %(customer)s") % {"customer": name}
            due = _due(max(today, next_day[i] - 1))
        rows.append({"title": title[:200], "notes": _explanation(c, i), "due_at": due,
                     "assignee_id": int(hist.owner_id[i]), "customer_id": cid, "related_type": kind,
                     "related_id": cid, "created_at": now, "updated_at": now})
    with transaction.atomic():
        BulkWriter().write({"task": rows})
