"""Every customer's purchase history as of a date, read set-based into NumPy arrays.

What counts, as of the date D (``as_of``):

* orders with ``ordered_at`` before the end of D (local time); when the order row was created does
  not matter (a late-entered old order counts), orders dated after D are ignored; soft-deleted and
  cancelled orders never count;
* net spend of an order = total − refunded. The refund's own time is not stored, so a refund is
  applied only when the order row was last changed before the end of D (``updated_at``): an order
  changed after D may have been refunded after D, and is counted as it was sold. No figure therefore
  depends on anything recorded after D; the price is that a refund made before D on an order
  edited again after D is missed in a back-dated run (today's runs see every refund);
* gross profit of an order = net − cost × net/total (returned goods carry their cost back; with a
  zero total the whole cost counts);
* a *purchase* is a day with at least one such order (local calendar day): BG/NBD counts repeat
  purchase days, so two orders on one day are one purchase.

The orders are read by ``history_orders``: one grouped query per chunk of ~50,000 customers
(keyset over the customer id), the per-day arithmetic in NumPy; surveys, follow-ups and order
lines are one grouped query each. Only arrays are kept — one entry per customer, no model
instances.

Day numbers are days since 1970-01-01 in local time. PostgreSQL converts each timestamp with
``AT TIME ZONE`` (daylight saving exact); SQLite adds the UTC offset in force on D to every
timestamp (exact for zones without daylight saving such as Asia/Shanghai, off by at most the DST
hour elsewhere).
"""

from __future__ import annotations

import calendar
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, connections
from django.db.models import Avg, Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from guanxi.customers.models import Customer, Interaction, Order, OrderLine, Product
from guanxi.support.models import SurveyResponse

from .history_orders import read_orders_chunk, utc_offset_seconds

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Progress = Callable[[int, int], None]

CHUNK = 50_000
EPOCH_DATE = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH_DATE).days


def add_months(d: date, months: int) -> date:
    month0 = d.year * 12 + d.month - 1 + months
    year, month = divmod(month0, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def end_of_day(d: date) -> datetime:
    """The first moment after the local day `d`: the cut-off for "as of d"."""
    return timezone.make_aware(datetime.combine(d + timedelta(days=1), time.min))


@dataclass
class History:
    as_of: date
    window_start: date  # first day of the RFM spend window
    customer_id: IntArray
    owner_id: IntArray  # -1: no owner
    created_day: IntArray
    n_days: IntArray = field(init=False)  # purchase days before the cut-off
    first_day: IntArray = field(init=False)
    last_day: IntArray = field(init=False)
    first_ts: FloatArray = field(init=False)  # epoch seconds of the first / last order
    last_ts: FloatArray = field(init=False)
    lifetime_net: FloatArray = field(init=False)
    first_day_net: FloatArray = field(init=False)
    window_days: IntArray = field(init=False)
    window_net: FloatArray = field(init=False)
    window_profit: FloatArray = field(init=False)
    gap_sumsq: FloatArray = field(init=False)
    median_gap: FloatArray = field(init=False)  # NaN: fewer than two purchase days
    positive_answers: IntArray = field(init=False)  # NPS 9-10, CSAT 5
    nps_mean: FloatArray = field(init=False)  # NaN: never answered an NPS survey
    active_relationships: IntArray = field(init=False)
    categories_bought: IntArray = field(init=False)
    categories_total: int = 0

    def __post_init__(self) -> None:
        n = len(self.customer_id)
        for name in ("n_days", "first_day", "last_day", "window_days", "positive_answers", "active_relationships",
                     "categories_bought"):
            setattr(self, name, np.zeros(n, dtype=np.int64))
        for name in ("first_ts", "last_ts", "lifetime_net", "first_day_net", "window_net", "window_profit",
                     "gap_sumsq"):
            setattr(self, name, np.zeros(n, dtype=np.float64))
        self.median_gap = np.full(n, np.nan)
        self.nps_mean = np.full(n, np.nan)

    @property
    def as_of_day(self) -> int:
        return day_number(self.as_of)

    @property
    def window_start_day(self) -> int:
        return day_number(self.window_start)

    def __len__(self) -> int:
        return len(self.customer_id)

    def positions(self, ids: IntArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Where each id sits in `customer_id` (sorted), and which ids are ours at all."""
        idx = np.searchsorted(self.customer_id, ids)
        idx = np.minimum(idx, max(len(self.customer_id) - 1, 0))
        return idx, (self.customer_id[idx] == ids) if len(self.customer_id) else np.zeros(len(ids), bool)


def read_history(*, as_of: date, window_months: int, progress: Progress | None = None,
                 chunk: int = CHUNK, workers: int | None = None) -> History:
    """Read the history as of `as_of` (see the module docstring); `progress(done, total)` after each chunk.

    The order chunks and the three other reads are independent queries; outside a transaction they run
    on `workers` threads (default 2), each with its own database connection — the databases work while
    Python waits (sqlite3 and psycopg release the GIL). Inside a transaction (the tests) other
    connections would not see its rows, so they run one after the other."""
    cutoff = end_of_day(as_of)
    window_start = add_months(as_of, -window_months) + timedelta(days=1)
    hist = _customers(as_of, window_start)
    n = len(hist)
    jobs: list[Callable[[], None]] = [partial(read_orders_chunk, hist, start, min(start + chunk, n), cutoff)
                                      for start in range(0, n, chunk)]
    orders = len(jobs)
    jobs += [partial(_surveys, hist, cutoff), partial(_relationships, hist, cutoff), partial(_categories, hist, cutoff)]
    workers = workers or (1 if connection.in_atomic_block else 2)
    done = [0]
    lock = threading.Lock()

    def run(i: int, job: Callable[[], None], own_connection: bool) -> None:
        try:
            job()
            if i < orders and progress:
                with lock:
                    done[0] += 1
                    progress(min(done[0] * chunk, n), n)
        finally:
            if own_connection:
                connections.close_all()  # this thread's connections only

    if workers <= 1:
        for i, job in enumerate(jobs):
            run(i, job, False)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(run, i, job, True) for i, job in enumerate(jobs)]:
                future.result()
    return hist


def _customers(as_of: date, window_start: date) -> History:
    """Every customer not in the recycle bin: id, owner, local day of creation (raw SQL: a million rows)."""
    table = Customer._meta.db_table
    if connection.vendor == "postgresql":
        created, params = "((c.created_at AT TIME ZONE %s)::date - DATE '1970-01-01')", [
            timezone.get_current_timezone_name()]
    else:
        created, params = (f"((CAST(strftime('%%s', c.created_at) AS INTEGER) + {utc_offset_seconds(as_of)}) / 86400)",
                           [])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.id, COALESCE(c.owner_id, -1), COALESCE({created}, %s) FROM {table} c "  # noqa: S608
                       "WHERE c.deleted_at IS NULL ORDER BY c.id", [*params, day_number(as_of)])
        rows = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    return History(as_of=as_of, window_start=window_start, customer_id=rows[:, 0].copy(),
                   owner_id=rows[:, 1].copy(), created_day=rows[:, 2].copy())


def _surveys(hist: History, cutoff: datetime) -> None:
    positive = Q(kind="nps", score__gte=9) | Q(kind="csat", score__gte=5)
    rows = (SurveyResponse.objects.filter(created_at__lt=cutoff, score__isnull=False, customer__deleted_at__isnull=True)
            .values("customer_id").order_by()
            .annotate(pos=Sum(Case(When(positive, then=Value(1)), default=Value(0), output_field=IntegerField())),
                      nps=Avg("score", filter=Q(kind="nps")))
            .values_list("customer_id", "pos", "nps"))
    data = list(rows)
    if data:
        ids = np.array([r[0] for r in data], dtype=np.int64)
        idx, ours = hist.positions(ids)
        hist.positive_answers[idx[ours]] = np.array([r[1] or 0 for r in data], dtype=np.int64)[ours]
        nps = np.array([np.nan if r[2] is None else float(r[2]) for r in data])
        hist.nps_mean[idx[ours]] = nps[ours]


def _relationships(hist: History, cutoff: datetime) -> None:
    """Contacts with a follow-up in the twelve months up to the cut-off."""
    since = end_of_day(add_months(hist.as_of, -12))
    rows = (Interaction.objects.filter(occurred_at__gte=since, occurred_at__lt=cutoff, deleted_at__isnull=True,
                                       contact__isnull=False, contact__deleted_at__isnull=True)
            .values("customer_id").order_by().annotate(n=Count("contact_id", distinct=True))
            .values_list("customer_id", "n"))
    _store_counts(hist, hist.active_relationships, rows)


def _categories(hist: History, cutoff: datetime) -> None:
    active = Product.objects.filter(is_active=True).exclude(category="")
    hist.categories_total = active.values("category").distinct().count()
    if not hist.categories_total:
        return
    rows = (OrderLine.objects.filter(order__ordered_at__lt=cutoff, order__deleted_at__isnull=True,
                                     product__is_active=True)
            .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED]).exclude(product__category="")
            .values("order__customer_id").order_by().annotate(n=Count("product__category", distinct=True))
            .values_list("order__customer_id", "n"))
    _store_counts(hist, hist.categories_bought, rows)


def _store_counts(hist: History, target: IntArray, rows: Any) -> None:
    data = np.array(list(rows.iterator(chunk_size=20_000)), dtype=np.int64).reshape(-1, 2)
    if len(data):
        idx, ours = hist.positions(data[:, 0])
        target[idx[ours]] = data[ours, 1]
