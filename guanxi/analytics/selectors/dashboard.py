"""The management dashboard (issue 5 §8): where the customers stand now, and how the period went.

Now (the customers the user may see, in the chosen department; figures from the last analysis run, whose day
`as_of` is the newest among those customers' metrics rows):
- customers by lifecycle status (as staff keep it) and by value × loyalty quadrant, with each quadrant's share of
  the spend in the analysis window;
- customers per member tier (selectors/tiers.py);
- top at-risk customers: flagged at risk, highest window spend (then lifetime value) first;
- next 90 days: expected purchases (BG/NBD, or the simple rules) and expected spend (expected purchases × expected
  spend per purchase), per quadrant and per month of the predicted next purchase.
Over the period: dashboard_trends.py (revenue, repeat purchases, churn and win-back, tier moves by month).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, DateField, F, FloatField, Max, Sum
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import AnalyticsPolicy, ChurnState, CustomerMetrics, Quadrant
from guanxi.core.text import person_name
from guanxi.customers.models import Customer

from ..filters_reports import ReportPeriod, ValueReportFilter, add_months
from . import dashboard_trends as trends
from .reports import money, scope_customers, share
from .tiers import tier_distribution

AT_RISK_ROWS = 20
EXPECTED_SPEND = Sum(F("expected_90") * Cast("expected_order_value", FloatField()))


@dataclass
class Dashboard:
    period: ReportPeriod
    filters: dict[str, Any]
    as_of: date | None
    customers: int
    at_risk_count: int = 0
    lifecycle: list[dict[str, Any]] = field(default_factory=list)
    quadrants: list[dict[str, Any]] = field(default_factory=list)
    tiers: list[dict[str, Any]] = field(default_factory=list)
    tier_moves: list[dict[str, Any]] = field(default_factory=list)
    revenue: list[dict[str, Any]] = field(default_factory=list)
    churn: list[dict[str, Any]] = field(default_factory=list)
    at_risk: list[dict[str, Any]] = field(default_factory=list)
    forecast: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["period"] = {"start": self.period.start, "end": self.period.end}
        return data


def _lifecycle(customers: Any) -> list[dict[str, Any]]:
    counts = dict(customers.order_by().values("lifecycle").annotate(n=Count("pk")).values_list("lifecycle", "n"))
    return [{"key": k, "label": str(label), "count": counts.get(k, 0)} for k, label in Customer.Lifecycle.choices]


def _quadrants(metrics: Any, customers: int) -> list[dict[str, Any]]:
    rows = {q: (n, float(s or 0)) for q, n, s in metrics.order_by().values("quadrant")
            .annotate(n=Count("pk"), s=Sum("monetary")).values_list("quadrant", "n", "s")}
    total = sum(max(s, 0.0) for _n, s in rows.values())
    high_value = {Quadrant.CORE, Quadrant.KEEP}
    high_loyalty = {Quadrant.CORE, Quadrant.MAINTAIN}
    out = []
    for key, label in Quadrant.choices:
        n, spend = rows.get(key, (0, 0.0))
        out.append({"key": key, "label": str(label), "count": n, "spend": round(spend, 2),
                    "revenue_share": share(max(spend, 0.0), total), "high_value": key in high_value,
                    "high_loyalty": key in high_loyalty})
    scored = sum(r["count"] for r in out)
    out.append({"key": "", "label": _("Not scored (no purchase or no run yet)"), "count": customers - scored,
                "spend": 0.0, "revenue_share": None, "high_value": False, "high_loyalty": False})
    return out


def _tiers(user: Any, customers: Any) -> list[dict[str, Any]]:
    return [{"tier": row["tier"].pk if row["tier"] else None,
             "label": row["tier"].name if row["tier"] else _("No tier"), "count": row["count"]}
            for row in tier_distribution(user=user, customers=customers)]


def _at_risk(metrics: Any) -> list[dict[str, Any]]:
    rows = (metrics.filter(churn_state=ChurnState.AT_RISK).select_related("customer", "customer__owner")
            .order_by("-monetary", F("clv").desc(nulls_last=True), "customer_id")[:AT_RISK_ROWS])
    return [{"id": m.customer_id, "name": m.customer.name, "owner": person_name(m.customer.owner),
             "quadrant": m.quadrant, "quadrant_label": m.get_quadrant_display() if m.quadrant else "",
             "spend": money(m.monetary), "clv": money(m.clv) if m.clv is not None else None,
             "p_alive": round(m.p_alive, 3) if m.p_alive is not None else None, "last_purchase": m.last_order_at,
             "recency_days": m.recency_days} for m in rows]


def _forecast(metrics: Any) -> dict[str, Any]:
    predicted = metrics.filter(expected_90__isnull=False)
    totals = predicted.aggregate(purchases=Sum("expected_90"), spend=EXPECTED_SPEND, customers=Count("pk"))
    by_quadrant = {q: (p, s) for q, p, s in predicted.order_by().values("quadrant").annotate(
        p=Sum("expected_90"), s=EXPECTED_SPEND).values_list("quadrant", "p", "s")}
    choices = [*Quadrant.choices, *([("", _("Not scored"))] if "" in by_quadrant else [])]
    segments = []
    for key, label in choices:
        purchases, spend = by_quadrant.get(key, (0, 0))
        segments.append({"key": key, "label": str(label), "purchases": round(float(purchases or 0), 1),
                         "spend": money(spend)})
    today = timezone.localdate()
    months = [add_months(today, k) for k in range(4)]
    next_rows = {m: (n, s) for m, n, s in metrics.filter(
        next_purchase_date__gte=today, next_purchase_date__lt=add_months(today, 4)).order_by()
        .annotate(m=TruncMonth("next_purchase_date", output_field=DateField())).values("m")
        .annotate(n=Count("pk"), s=Sum("expected_order_value")).values_list("m", "n", "s")}
    by_month = [{"month": m, "customers": next_rows.get(m, (0, 0))[0], "spend": money(next_rows.get(m, (0, 0))[1])}
                for m in months]
    return {"customers": totals["customers"] or 0, "purchases": round(float(totals["purchases"] or 0), 1),
            "spend": money(totals["spend"]), "by_quadrant": segments, "by_month": by_month}


def dashboard(*, user: Any, filters: ValueReportFilter) -> Dashboard:
    """The dashboard for a valid filter. PermissionDeniedError without the view-reports right."""
    period: ReportPeriod = filters.cleaned_data["range"]
    customers = scope_customers(user=user, filters=filters)
    metrics = CustomerMetrics.objects.filter(customer__in=customers.values("pk"))
    as_of = metrics.aggregate(day=Max("as_of"))["day"]
    count = customers.count()
    policy = AnalyticsPolicy.current()
    return Dashboard(
        period=period, filters=filters.params(), as_of=as_of, customers=count,
        at_risk_count=metrics.filter(churn_state=ChurnState.AT_RISK).count(),
        lifecycle=_lifecycle(customers), quadrants=_quadrants(metrics, count), tiers=_tiers(user, customers),
        tier_moves=trends.tier_moves_by_month(user=user, filters=filters, period=period),
        revenue=trends.revenue_by_month(user=user, filters=filters, period=period),
        churn=trends.churn_by_month(user=user, filters=filters, period=period,
                                    threshold=policy.churned_after_days),
        at_risk=_at_risk(metrics), forecast=_forecast(metrics))

