"""The dashboard's numbers on a hand-made set: lifecycle and quadrant counts, revenue and repeat purchases,
churn and win-back by month, tiers, top at-risk customers, the 90-day forecast; visibility and filters."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from guanxi.analytics.filters_reports import ValueReportFilter
from guanxi.analytics.models import ChurnState, CustomerTier, Quadrant, Tier, TierChange
from guanxi.analytics.selectors.dashboard import dashboard
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer

from .reports_helpers import clock, customer, metrics, order  # noqa: F401

pytestmark = pytest.mark.django_db
L = Customer.Lifecycle


def m(c, quadrant, monetary, state, e90, eov, *, nxt=None, clv=None, p=None):
    return metrics(c, quadrant=quadrant, monetary=Decimal(monetary), churn_state=state, expected_90=e90,
                   expected_order_value=Decimal(eov), next_purchase_date=nxt,
                   clv=None if clv is None else Decimal(clv), p_alive=p)


@pytest.fixture
def shop(org, clock):  # noqa: F811
    x = customer(org.rep, "X", lifecycle=L.ACTIVE)
    order(x, date(2025, 1, 5), 100)
    order(x, date(2025, 2, 5), 200)
    y = customer(org.rep, "Y", lifecycle=L.WON_BACK)
    order(y, date(2024, 1, 10), 50)
    order(y, date(2025, 3, 10), 60)  # after a gap of more than 365 days: churned 2025-01-09, won back in March
    z = customer(org.rep, "Z", lifecycle=L.DORMANT)
    order(z, date(2024, 2, 20), 80)  # silent since: churned 2025-02-19
    v = customer(org.rep_sh, "V")
    order(v, date(2024, 6, 1), 40)
    order(v, date(2024, 6, 20), 40)  # churned 2025-06-20
    w = customer(org.rep_west, "W")
    order(w, date(2023, 3, 1), 10)
    order(w, date(2024, 9, 1), 20)  # won back in September 2024
    customer(org.rep, "P, no purchase")
    m(x, Quadrant.CORE, 300, ChurnState.ACTIVE, 2.0, 150, nxt=date(2025, 7, 15), clv=1000, p=0.9)
    m(y, Quadrant.KEEP, 60, ChurnState.AT_RISK, 0.5, 60, nxt=date(2025, 8, 20), clv=200, p=0.3)
    m(z, Quadrant.MAINTAIN, 0, ChurnState.CHURNED, 0.1, 80)
    m(v, Quadrant.LOW, 40, ChurnState.AT_RISK, 0.2, 20, clv=100, p=0.4)
    m(w, Quadrant.CORE, 20, ChurnState.ACTIVE, 1.0, 20, nxt=date(2025, 7, 1))
    silver = Tier.objects.create(name="银牌", position=1)
    CustomerTier.objects.create(customer=x, tier=silver, since=date(2025, 4, 1))
    TierChange.objects.create(customer=x, to_tier=silver, direction="up", as_of=date(2025, 4, 1))
    TierChange.objects.create(customer=y, to_tier=silver, direction="first", as_of=date(2024, 10, 1))
    return locals()


def board(user, **params):
    form = ValueReportFilter(params, user=user)
    assert form.is_valid(), form.errors
    return dashboard(user=user, filters=form)


def by_month(rows, key):
    return {r["month"].strftime("%Y-%m"): r[key] for r in rows if r[key]}


def test_lifecycle_and_quadrant_counts(org, shop):
    d = board(org.admin)
    assert d.customers == 6
    assert {r["key"]: r["count"] for r in d.lifecycle} == {"prospect": 3, "active": 1, "dormant": 1, "churned": 0,
                                                           "won_back": 1}
    q = {r["key"]: (r["count"], r["revenue_share"]) for r in d.quadrants}
    assert q == {"core": (2, 76.2), "keep": (1, 14.3), "maintain": (1, 0.0), "low": (1, 9.5), "": (1, None)}


def test_revenue_and_repeat_rate_by_month(org, shop):
    d = board(org.admin)
    assert len(d.revenue) == 12 and d.revenue[0]["month"] == date(2024, 7, 1)
    assert by_month(d.revenue, "revenue") == {"2024-09": 20.0, "2025-01": 100.0, "2025-02": 200.0, "2025-03": 60.0}
    assert by_month(d.revenue, "buyers") == {"2024-09": 1, "2025-01": 1, "2025-02": 1, "2025-03": 1}
    assert by_month(d.revenue, "repeat_rate") == {"2024-09": 100.0, "2025-02": 100.0, "2025-03": 100.0}
    assert d.revenue[6]["month"] == date(2025, 1, 1) and d.revenue[6]["repeat_rate"] == 0.0  # X's first purchase
    assert d.revenue[0]["repeat_rate"] is None  # nobody bought in July 2024


def test_churn_and_win_back_by_month(org, shop):
    d = board(org.admin)
    assert by_month(d.churn, "churned") == {"2025-01": 1, "2025-02": 1, "2025-06": 1}
    assert by_month(d.churn, "won_back") == {"2024-09": 1, "2025-03": 1}


def test_tiers_at_risk_and_forecast(org, shop):
    d = board(org.admin)
    assert [(t["label"], t["count"]) for t in d.tiers] == [("银牌", 1)]
    assert by_month(d.tier_moves, "up") == {"2025-04": 1} and by_month(d.tier_moves, "first") == {"2024-10": 1}
    assert [(r["name"], r["p_alive"], r["owner"]) for r in d.at_risk] == [("Y", 0.3, "rep"), ("V", 0.4, "rep_sh")]
    assert d.at_risk_count == 2 and d.as_of == date(2025, 6, 30)
    f = d.forecast
    assert f["customers"] == 5 and f["purchases"] == 3.8 and f["spend"] == 362.0
    assert {r["key"]: r["purchases"] for r in f["by_quadrant"]} == {"core": 3.0, "keep": 0.5, "maintain": 0.1,
                                                                    "low": 0.2}
    assert [(r["month"], r["customers"], r["spend"]) for r in f["by_month"]] == [
        (date(2025, 6, 1), 0, 0.0), (date(2025, 7, 1), 2, 170.0), (date(2025, 8, 1), 1, 60.0), (date(2025, 9, 1), 0, 0.0)]


def test_manager_counts_only_their_department(org, shop):
    d = board(org.manager)
    assert d.customers == 5 and {r["key"]: r["count"] for r in d.quadrants}["core"] == 1
    assert by_month(d.churn, "won_back") == {"2025-03": 1} and "2024-09" not in by_month(d.revenue, "revenue")
    assert board(org.admin, department=org.west.pk).customers == 1
    assert board(org.admin, department=org.shanghai.pk).at_risk[0]["name"] == "V"


def test_period_and_rep(org, shop):
    d = board(org.admin, **{"from": "2025-01-01", "to": "2025-03-31"})
    assert [r["month"] for r in d.revenue] == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert by_month(d.churn, "churned") == {"2025-01": 1, "2025-02": 1}
    with pytest.raises(PermissionDeniedError):
        board(org.rep)


def test_empty_database(org, clock):  # noqa: F811
    d = board(org.analyst)
    assert d.customers == 0 and d.as_of is None and d.at_risk == [] and d.forecast["purchases"] == 0.0
    assert all(r["revenue"] == 0.0 and r["repeat_rate"] is None for r in d.revenue)
