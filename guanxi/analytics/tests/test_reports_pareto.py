"""The 80/20 report: exact shares on a hand-made set, the curve, the share per quarter, visibility and filters."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest

from guanxi.analytics.filters_reports import ParetoFilter
from guanxi.analytics.selectors.pareto import buckets, curve, pareto_report, shares
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Order

from .reports_helpers import clock, customer, order  # noqa: F401

pytestmark = pytest.mark.django_db
Q1, Q2 = date(2025, 2, 10), date(2025, 5, 5)


@pytest.fixture
def shop(org, clock):  # noqa: F811
    """East (rep): 8 buyers in Q1 2025, 692 in all; West (rep_west): 2 buyers in Q2, 308. Together 1,000."""
    east = {}
    for amount in (500, 50, 30, 25, 20, 15, 12):
        east[amount] = customer(org.rep, f"east {amount}")
        order(east[amount], Q1, amount, cost=300 if amount == 500 else 0)
    east[40] = customer(org.rep, "east 40")
    order(east[40], Q1, 100, refunded=60, cost=50)  # net 40, profit 40 - 50 × 40/100 = 20
    order(east[50], date(2023, 8, 1), 9999)  # before the period
    order(east[30], Q1, 7777, status=Order.Status.CANCELLED)
    big = customer(org.rep_west, "west 300")
    order(big, Q2, 300, cost=100)
    order(customer(org.rep_west, "west 8"), Q2, 8)
    customer(None, "pool, no orders")
    return {"east": east, "big": big}


def report(user, **params):
    form = ParetoFilter(params, user=user)
    assert form.is_valid(), form.errors
    return pareto_report(user=user, filters=form)


def test_top_20_percent_share_is_exact(org, shop):
    r = report(org.admin)
    t = r.total
    assert (t.customers, t.top_count) == (10, 2)
    assert t.revenue == 1000.0 and t.top_revenue == 800.0 and t.revenue_share == 80.0
    assert t.profit == 580.0 and t.top_profit == 400.0 and t.profit_share == 69.0
    assert [row["name"] for row in r.top[:3]] == ["east 500", "west 300", "east 50"]
    assert r.top[0]["cumulative_share"] == 50.0 and r.top[1]["cumulative_share"] == 80.0
    assert r.top[0]["owner"] == "rep" and r.top[0]["profit"] == 200.0


def test_curve_starts_at_zero_and_ends_at_everything(org, shop):
    points = report(org.admin).curve
    assert points[0] == {"customers": 0.0, "revenue": 0.0}
    assert points[-1] == {"customers": 100.0, "revenue": 100.0}
    assert {"customers": 20.0, "revenue": 80.0} in points
    assert all(a["revenue"] <= b["revenue"] for a, b in itertools.pairwise(points))


def test_share_per_quarter_and_per_year(org, shop):
    r = report(org.admin)
    by_label = {row["label"]: row for row in r.over_time}
    assert list(by_label) == ["2024 Q3", "2024 Q4", "2025 Q1", "2025 Q2"]
    assert by_label["2024 Q4"]["customers"] == 0 and by_label["2024 Q4"]["revenue_share"] is None
    assert by_label["2025 Q1"]["customers"] == 8 and by_label["2025 Q1"]["revenue_share"] == 79.5  # 550 / 692
    assert by_label["2025 Q2"]["top_count"] == 1 and by_label["2025 Q2"]["revenue_share"] == 97.4  # 300 / 308
    yearly = report(org.admin, by="year", period="24")
    assert [row["label"] for row in yearly.over_time] == ["2023", "2024", "2025"]
    assert yearly.over_time[0]["start"] == date(2023, 7, 1) and yearly.over_time[0]["revenue"] == 9999.0


def test_manager_counts_only_their_department(org, shop):
    r = report(org.manager)
    assert (r.total.customers, r.total.top_count) == (8, 2)
    assert r.total.revenue == 692.0 and r.total.revenue_share == 79.5
    assert "west 300" not in {row["name"] for row in r.top}


def test_department_filter(org, shop):
    assert report(org.admin, department=org.west.pk).total.revenue == 308.0
    assert report(org.admin, department=org.sales.pk).total.revenue == 1000.0  # sub-departments included
    form = ParetoFilter({"department": org.west.pk}, user=org.manager)
    assert not form.is_valid() and "department" in form.errors


def test_rep_may_not(org, shop):
    with pytest.raises(PermissionDeniedError):
        report(org.rep)


@pytest.mark.parametrize("params, field", [({"period": "7"}, "period"), ({"from": "2025-05-01", "to": "2025-04-01"}, "to"),
                                           ({"from": "2010-01-01"}, "from"), ({"to": "2025-07-01"}, "to"), ({"department": "x"}, "department"),
                                           ({"department": 99999}, "department"), ({"by": "week"}, "by")])
def test_bad_filters_name_the_field(org, clock, params, field):  # noqa: F811
    form = ParetoFilter(params, user=org.admin)
    assert not form.is_valid() and field in form.errors


def test_refunds_beyond_spend_count_as_zero():
    ids = np.array([1, 2, 3, 4, 5, 6])
    s = shares(ids, np.array([100.0, -50.0, 0.0, 0.0, 0.0, 0.0]), np.zeros(6))
    assert s.revenue == 100.0 and s.top_count == 2 and s.revenue_share == 100.0 and s.profit_share is None
    assert curve(ids, np.array([-1.0, 0, 0, 0, 0, 0])) == []
    assert shares(ids[:0], np.zeros(0), np.zeros(0)).customers == 0


def test_buckets_clip_to_the_period():
    from guanxi.analytics.filters_reports import ReportPeriod

    parts = buckets(ReportPeriod(date(2025, 2, 15), date(2025, 4, 10)), "quarter")
    assert [(label, p.start, p.end) for label, p in parts] == [
        ("2025 Q1", date(2025, 2, 15), date(2025, 3, 31)), ("2025 Q2", date(2025, 4, 1), date(2025, 4, 10))]
