"""Fast synthetic data for the metrics-job benchmark: N customers and M orders straight from NumPy.

The demo generator (`bench/datagen.py`) builds rich rows one customer at a time (~20 min for a million
orders); the metrics job only reads customers and orders, so this module writes just those, column-wise:

* customers: minimal rows (every concrete field of `Customer` gets its model default unless set here):
  name, owner / department (80 % owned by one of the demo's sales staff, 20 % in the public pool),
  `created_at` a few days before the first order (uniform over the last `HISTORY_DAYS` for the 10 % who
  never ordered);
* orders: the BG/NBD process (Fader, Hardie & Lee 2005): a first purchase when the customer arrives,
  then Poisson repeat purchases with a Gamma(r, α)-distributed rate, dropping out after each repeat
  with a Beta(a, b)-distributed probability, up to now; α is calibrated so that the total comes close to
  the requested count, which is then met exactly by a few extra same-day orders (or by dropping random
  repeats). Times: 09:00–21:00 Asia/Shanghai. Spend: Gamma-Gamma (per-customer mean ν ~ Gamma(q, γ),
  each order Gamma(p, ν)), CDNOW's p, q and γ scaled to yuan; cost 55–80 % of the amount; 1 % cancelled,
  1 % partly refunded, 0.5 % refunded in full, 0.1 % zero amounts.

Written with executemany on SQLite (PRAGMA synchronous=OFF, journal_mode=OFF, foreign_keys=OFF during the
build) and COPY on PostgreSQL (session_replication_role=replica: no FK triggers), in transactions of
`CHUNK` rows, the table's secondary indexes dropped first and created again at the end.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

HISTORY_DAYS = 3 * 365
NO_ORDER_SHARE = 0.10
SAME_DAY_SHARE = 0.04
BGNBD = {"r": 1.2, "a": 0.6, "b": 9.0}  # α is calibrated
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44 * 10}  # CDNOW's, spend in yuan (×10)
LOCAL_OFFSET = 8 * 3600  # Asia/Shanghai, no daylight saving
CHUNK = 500_000
STATUS = np.array(["paid", "cancelled", "partial", "refunded"], dtype=object)
CHANNELS = np.array(["store", "online", "phone", "sales", "distributor", "wechat"], dtype=object)


@dataclass
class Data:
    created_ts: np.ndarray  # per customer, epoch seconds (UTC)
    owner: np.ndarray  # index into the staff list, -1 = public pool
    order_customer: np.ndarray  # per order: customer index, orders sorted by customer then time
    order_ts: np.ndarray
    updated_ts: np.ndarray
    total: np.ndarray
    cost: np.ndarray
    refunded: np.ndarray
    status: np.ndarray  # index into STATUS
    channel: np.ndarray


def _repeats(rng: np.random.Generator, T: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """BG/NBD repeat purchases of customers observed for T days: counts, and times (days after the first)."""
    n = len(T)
    lam = rng.gamma(BGNBD["r"], 1 / alpha, n)
    p = rng.beta(BGNBD["a"], BGNBD["b"], n)
    N = rng.poisson(lam * T)  # events of the Poisson process in (0, T]
    x = np.minimum(N, rng.geometric(p))  # ... of which the customer lives to make the first J
    # The first x of N uniform order statistics on (0, T): S_k / S_{N+1}, S = cumulative Exp(1) sums.
    gaps = rng.standard_exponential(int(x.sum()))
    owner = np.repeat(np.arange(n), x)
    cum = np.cumsum(gaps)
    ends = np.cumsum(x)
    base = np.r_[0.0, cum][ends - x]
    s = cum - np.repeat(base, x)
    s_x = np.zeros(n)
    has = x > 0
    s_x[has] = s[ends[has] - 1]
    denom = s_x + rng.gamma(N - x + 1.0)
    return x, T[owner] * s / denom[owner]


def _calibrate(rng: np.random.Generator, T: np.ndarray, mean_repeats: float) -> float:
    """α giving `mean_repeats` repeat purchases per buyer on a sample (bisection on log α)."""
    sample = T[rng.integers(0, len(T), min(len(T), 200_000))]
    lo, hi = np.log(1.0), np.log(10_000.0)
    for _ in range(30):
        mid = (lo + hi) / 2
        x, _t = _repeats(np.random.default_rng(7), sample, float(np.exp(mid)))
        lo, hi = (mid, hi) if x.mean() > mean_repeats else (lo, mid)
    return float(np.exp((lo + hi) / 2))


def simulate(*, customers: int, orders: int, staff: int, now_ts: int, seed: int = 2005) -> Data:
    rng = np.random.default_rng(seed)
    buyer = rng.random(customers) >= NO_ORDER_SHARE
    nb = int(buyer.sum())
    # Arrival: a uniform day in the history, a time of day 09:00-21:00 local.
    today_local = (now_ts + LOCAL_OFFSET) // 86400
    day = today_local - rng.integers(1, HISTORY_DAYS + 1, customers)
    arrive = day * 86400 - LOCAL_OFFSET + rng.integers(9 * 3600, 21 * 3600, customers)
    T = (now_ts - arrive[buyer]) / 86400.0
    alpha = _calibrate(rng, T, (orders * (1 - SAME_DAY_SHARE) - nb) / nb)
    x, times = _repeats(rng, T, alpha)
    cust = np.r_[np.flatnonzero(buyer), np.repeat(np.flatnonzero(buyer), x)]
    ts = np.r_[arrive[buyer], arrive[buyer][np.repeat(np.arange(nb), x)] + (times * 86400).astype(np.int64)]
    extra = orders - len(cust)
    if extra < 0:  # drop random repeat purchases
        keep = np.ones(len(cust), bool)
        keep[nb + rng.choice(len(cust) - nb, -extra, replace=False)] = False
        cust, ts = cust[keep], ts[keep]
    elif extra > 0:  # a second order on the day of a random purchase, up to two hours later
        pick = rng.integers(0, len(cust), extra)
        cust = np.r_[cust, cust[pick]]
        ts = np.r_[ts, np.minimum(ts[pick] + rng.integers(60, 7200, extra), now_ts)]
    order = np.lexsort((ts, cust))
    cust, ts = cust[order], ts[order]
    m = len(cust)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["gamma"], customers)
    total = np.round(rng.gamma(GAMMA_GAMMA["p"], 1 / nu[cust]), 2)
    total[rng.random(m) < 0.001] = 0.0
    cost = np.round(total * rng.uniform(0.55, 0.8, m), 2)
    status = rng.choice(4, m, p=[0.975, 0.01, 0.01, 0.005])
    refunded = np.where(status == 2, np.round(total * rng.uniform(0.1, 0.6, m), 2), 0.0)
    refunded = np.where(status == 3, total, refunded)
    updated = np.where(status >= 2, np.minimum(ts + rng.integers(86400, 30 * 86400, m), now_ts), ts)
    created = arrive - rng.integers(3600, 7 * 86400, customers)
    owner = np.where(rng.random(customers) < 0.8, rng.integers(0, max(staff, 1), customers), -1)
    return Data(created_ts=created, owner=owner if staff else np.full(customers, -1), order_customer=cust,
                order_ts=ts, updated_ts=updated, total=total, cost=cost, refunded=refunded, status=status,
                channel=rng.integers(0, len(CHANNELS), m))


# ---------------------------------------------------------------- writing


def _stamps(seconds: np.ndarray, vendor: str) -> np.ndarray:
    text = np.datetime_as_string(seconds.astype("datetime64[s]"))
    return np.strings.replace(text, "T", " ") if vendor == "sqlite" else np.strings.add(text, "+00")


def _default(field: Any, vendor: str) -> Any:
    from django.db import models

    value = field.get_default()
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, bool) and vendor == "postgresql":
        return "t" if value else "f"
    if vendor == "postgresql":
        return "\\N" if value is None else str(value)
    return value


class Writer:
    """Column-wise bulk insert into one model's table; columns not given get the field's default."""

    def __init__(self, model: Any) -> None:
        from django.db import connection

        self.model, self.connection, self.vendor = model, connection, connection.vendor
        self.fields = list(model._meta.concrete_fields)
        self.table = model._meta.db_table
        self.indexes: list[tuple[str, str]] = []

    def drop_indexes(self) -> None:
        with self.connection.cursor() as c:
            if self.vendor == "sqlite":
                c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                          "AND sql IS NOT NULL", [self.table])
            else:
                c.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                          "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [self.table, self.table])
            self.indexes = c.fetchall()
            for name, _sql in self.indexes:
                c.execute(f'DROP INDEX "{name}"')

    def create_indexes(self) -> None:
        with self.connection.cursor() as c:
            for _name, sql in self.indexes:
                c.execute(sql)

    def write(self, n: int, columns: dict[str, Any], log: Any = print) -> None:
        """`columns`: attname -> callable(slice) giving that slice's values as a list (None = NULL)."""
        from django.db import transaction

        unknown = set(columns) - {f.attname for f in self.fields}
        assert not unknown, unknown
        names = ", ".join(f'"{f.column}"' for f in self.fields)
        t0 = time.monotonic()
        for start in range(0, n, CHUNK):
            part = slice(start, min(start + CHUNK, n))
            size = part.stop - part.start
            cols = [columns[f.attname](part) if f.attname in columns
                    else itertools.repeat(_default(f, self.vendor), size) for f in self.fields]
            with transaction.atomic(), self.connection.cursor() as c:
                if self.vendor == "sqlite":
                    marks = ", ".join(["%s"] * len(self.fields))
                    c.executemany(f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})',
                                  list(zip(*cols, strict=False)))
                else:
                    text = [["\\N" if v is None else str(v) for v in col] if isinstance(col, list) else col
                            for col in cols]  # COPY text format; our values hold no tabs or backslashes
                    with c.cursor.copy(f'COPY "{self.table}" ({names}) FROM STDIN') as copy:
                        copy.write("".join(f"{line}\n" for line in map("\t".join, zip(*text, strict=False))))
            log(f"  {self.table}: {part.stop:>12,} / {n:,} rows  {part.stop / (time.monotonic() - t0):>9,.0f} rows/s")


def build(*, customers: int, orders: int, seed: int = 2005, log: Any = print) -> dict[str, float]:
    """Migrate, add the demo company (staff, products) and write the customers and orders; returns seconds
    per step. Does nothing but migrate if the database already holds the orders."""
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection
    from django.db.models import Max

    from guanxi.customers.demo import demo_present, load_demo
    from guanxi.customers.models import Customer, Order
    from guanxi.customers.services.maintenance import database_optimize
    from guanxi.governance.models import Employee, Role

    steps: dict[str, float] = {}
    t = time.monotonic()
    call_command("migrate", verbosity=0)
    if not demo_present():
        load_demo(customers=0, force=True)
    steps["migrate_and_demo"] = time.monotonic() - t
    if Order.objects.count() >= orders:
        log("orders already there; nothing to build")
        return steps
    staff = list(Employee.objects.filter(role__in=[Role.SALES_REP, Role.SALES_MANAGER])
                 .values_list("user_id", "department_id"))
    t = time.monotonic()
    now_ts = int(time.time())
    data = simulate(customers=customers, orders=orders, staff=len(staff), now_ts=now_ts, seed=seed)
    steps["simulate"] = time.monotonic() - t
    log(f"simulated {customers:,} customers, {len(data.order_ts):,} orders in {steps['simulate']:.1f} s")
    vendor = connection.vendor
    with connection.cursor() as c:
        if vendor == "sqlite":
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-1000000"):
                c.execute(f"PRAGMA {pragma}")
        else:
            c.execute("SET session_replication_role = replica")
    cid0 = (Customer._base_manager.aggregate(m=Max("id"))["m"] or 0) + 1
    oid0 = (Order._base_manager.aggregate(m=Max("id"))["m"] or 0) + 1
    user = np.array([-1] + [u for u, _d in staff], dtype=np.int64)[data.owner + 1]
    dept = np.array([-1] + [d or -1 for _u, d in staff], dtype=np.int64)[data.owner + 1]

    def ids(first: int) -> Any:
        return lambda s: list(range(first + s.start, first + s.stop))

    def nullable(values: np.ndarray) -> Any:
        return lambda s: [None if v < 0 else v for v in values[s].tolist()]

    def stamps(seconds: np.ndarray) -> Any:
        return lambda s: _stamps(seconds[s], vendor).tolist()

    def plain(values: np.ndarray) -> Any:
        return lambda s: values[s].tolist()

    claimed = np.where(data.owner >= 0, data.created_ts, -1)
    customer_cols = {"id": ids(cid0), "name": lambda s: [f"基准客户{cid0 + i}" for i in range(s.start, s.stop)],
                     "owner_id": nullable(user), "department_id": nullable(dept), "created_by_id": nullable(user),
                     "created_at": stamps(data.created_ts), "updated_at": stamps(data.created_ts),
                     "claimed_at": lambda s: [None if v < 0 else x for v, x in
                                              zip(claimed[s].tolist(), _stamps(claimed[s], vendor).tolist(),
                                                  strict=True)]}
    order_cols = {"id": ids(oid0), "customer_id": plain(data.order_customer + cid0),
                  "ordered_at": stamps(data.order_ts), "created_at": stamps(data.order_ts),
                  "updated_at": stamps(data.updated_ts), "total_amount": plain(data.total),
                  "cost_amount": plain(data.cost), "refunded_amount": plain(data.refunded),
                  "status": lambda s: STATUS[data.status[s]].tolist(),
                  "channel": lambda s: CHANNELS[data.channel[s]].tolist(),
                  "salesperson_id": nullable(user[data.order_customer])}
    for model, n, cols in ((Customer, customers, customer_cols), (Order, len(data.order_ts), order_cols)):
        writer = Writer(model)
        t = time.monotonic()
        writer.drop_indexes()
        writer.write(n, cols, log)
        steps[f"write_{model._meta.model_name}"] = time.monotonic() - t
        t = time.monotonic()
        writer.create_indexes()
        steps[f"index_{model._meta.model_name}"] = time.monotonic() - t
        log(f"{model._meta.db_table}: {n:,} rows in {steps[f'write_{model._meta.model_name}']:.0f} s, "
            f"indexes {steps[f'index_{model._meta.model_name}']:.0f} s")
    with connection.cursor() as c:
        if vendor == "sqlite":
            c.execute("PRAGMA foreign_keys=ON")
            c.execute("PRAGMA journal_mode=WAL")
        else:
            c.execute("SET session_replication_role = DEFAULT")
            for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Order]):
                c.execute(sql)
    t = time.monotonic()
    database_optimize()
    steps["optimize"] = time.monotonic() - t
    return steps
