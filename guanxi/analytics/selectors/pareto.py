"""The 80/20 report (issue 5 §7): how much of the revenue and gross profit the top 20% of customers bring.

Definitions (over the customers the user may see, in the chosen department):
- a customer counts when they had at least one counted order in the period; they are ranked by the period's net
  spend (highest first; ties by customer id); spend below zero (refunds of earlier orders) counts as zero;
- the top 20% are the first ⌈n / 5⌉ of the n ranked customers (rounded up to a whole customer);
- revenue share = their net spend / everybody's; profit share = their gross profit / everybody's (shown only
  when the total profit is positive; above 100% when the other customers lost money);
- the Pareto curve: cumulative share of revenue against the share of customers, best customers first;
- over time: the same share within each quarter (or year) of the period, each ranked on its own.

The database sums per customer (one grouped query); the ranking and cumulative shares are NumPy over those
sums — values only, never model instances.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Sum

from guanxi.core.text import person_name
from guanxi.customers.models import Customer

from ..filters_reports import ParetoFilter, ReportPeriod, add_months
from .reports import NET, PROFIT, money, quarter_label, scope_orders, share

CURVE_POINTS = 100
TOP_ROWS = 20
FloatArray = npt.NDArray[np.float64]


@dataclass
class Shares:
    customers: int = 0
    top_count: int = 0
    revenue: float = 0.0
    top_revenue: float = 0.0
    revenue_share: float | None = None
    profit: float = 0.0
    top_profit: float = 0.0
    profit_share: float | None = None


@dataclass
class ParetoReport:
    period: ReportPeriod
    filters: dict[str, Any]
    total: Shares
    curve: list[dict[str, float]] = field(default_factory=list)
    over_time: list[dict[str, Any]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = {"start": self.period.start, "end": self.period.end}
        return data


def _sums(qs: Any) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    rows = list(qs.order_by().values("customer_id").annotate(net=Sum(NET), profit=Sum(PROFIT))
                .values_list("customer_id", "net", "profit"))
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    net = np.fromiter((float(r[1] or 0) for r in rows), dtype=np.float64, count=len(rows))
    profit = np.fromiter((float(r[2] or 0) for r in rows), dtype=np.float64, count=len(rows))
    return ids, net, profit


def rank(ids: npt.NDArray[np.int64], net: FloatArray) -> npt.NDArray[np.intp]:
    """Indices from the highest spender down (negative spend as zero; ties by customer id)."""
    return np.lexsort((ids, -np.maximum(net, 0.0)))


def shares(ids: npt.NDArray[np.int64], net: FloatArray, profit: FloatArray) -> Shares:
    n = len(ids)
    if n == 0:
        return Shares()
    order = rank(ids, net)
    spend = np.maximum(net, 0.0)[order]
    top = (n + 4) // 5
    revenue, top_revenue = float(spend.sum()), float(spend[:top].sum())
    total_profit, top_profit = float(profit.sum()), float(profit[order][:top].sum())
    return Shares(customers=n, top_count=top, revenue=round(revenue, 2), top_revenue=round(top_revenue, 2),
                  revenue_share=share(top_revenue, revenue), profit=round(total_profit, 2),
                  top_profit=round(top_profit, 2), profit_share=share(top_profit, total_profit))


def curve(ids: npt.NDArray[np.int64], net: FloatArray) -> list[dict[str, float]]:
    """(share of customers, cumulative share of revenue) in percent, from (0, 0), at most ~CURVE_POINTS points."""
    n = len(ids)
    spend = np.maximum(net, 0.0)[rank(ids, net)]
    total = float(spend.sum())
    if n == 0 or total <= 0:
        return []
    cumulative = np.concatenate(([0.0], np.cumsum(spend))) / total
    at = np.unique(np.round(np.linspace(0, n, min(n, CURVE_POINTS) + 1)).astype(np.int64))
    return [{"customers": round(100.0 * k / n, 2), "revenue": round(100.0 * float(cumulative[k]), 2)} for k in at]


def buckets(period: ReportPeriod, by: str) -> list[tuple[str, ReportPeriod]]:
    """The period cut into calendar quarters (or years), the first and last clipped to the period."""
    out: list[tuple[str, ReportPeriod]] = []
    step = 12 if by == "year" else 3
    start = date(period.start.year, 1 if by == "year" else (period.start.month - 1) // 3 * 3 + 1, 1)
    while start <= period.end:
        nxt = add_months(start, step)
        label = str(start.year) if by == "year" else quarter_label(start)
        out.append((label, ReportPeriod(max(start, period.start), min(nxt - timedelta(days=1), period.end))))
        start = nxt
    return out


def pareto_report(*, user: Any, filters: ParetoFilter) -> ParetoReport:
    """The 80/20 report for a valid filter. PermissionDeniedError without the view-reports right."""
    period: ReportPeriod = filters.cleaned_data["range"]
    ids, net, profit = _sums(scope_orders(user=user, filters=filters, period=period))
    report = ParetoReport(period=period, filters=filters.params(), total=shares(ids, net, profit),
                          curve=curve(ids, net))
    for label, part in buckets(period, filters.params()["by"]):
        s = shares(*_sums(scope_orders(user=user, filters=filters, period=part)))
        report.over_time.append({"label": label, "start": part.start, "end": part.end, **asdict(s)})
    order = rank(ids, net)[:TOP_ROWS]
    people = {c.pk: c for c in Customer.objects.filter(pk__in=ids[order].tolist()).select_related("owner")}
    running, revenue = 0.0, report.total.revenue
    for i in order:
        running += max(float(net[i]), 0.0)
        c = people.get(int(ids[i]))
        report.top.append({"id": int(ids[i]), "name": c.name if c else "", "owner": person_name(c.owner) if c else "",
                           "revenue": money(net[i]), "profit": money(profit[i]),
                           "cumulative_share": share(running, revenue)})
    return report
