"""Predictions: the model on enough data, the labelled rules fallback on too little, run-out dates, churn states."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from guanxi.analytics.models import AnalyticsPolicy, CustomerMetrics, MetricsRun, UsageRate
from guanxi.analytics.selectors.metrics import explain
from guanxi.analytics.services.metrics import compute_metrics
from guanxi.customers.models import Order, Product

from .metrics_helpers import AS_OF, customer, every, order, random_shop

pytestmark = pytest.mark.django_db


def _m(c):
    return CustomerMetrics.objects.get(customer=c)


def test_model_when_there_is_enough_history(org):
    people = random_shop(org.rep)
    fresh, faded = customer(org.rep, "fresh"), customer(org.rep, "faded")
    every(fresh, start=145, step=20, count=8)  # every 20 days, last 5 days ago
    every(faded, start=440, step=20, count=8)  # the same, but stopped 300 days ago
    summary = compute_metrics(as_of=AS_OF, create_tasks=False)
    assert summary["method"] == "bgnbd" and summary["model"]["bgnbd"]["converged"]
    assert set(summary["model"]["bgnbd"]["params"]) == {"r", "alpha", "a", "b"}
    rows = CustomerMetrics.objects.filter(customer__in=people)
    assert {r.method for r in rows} == {"bgnbd"}
    for r in rows:
        assert 0 <= r.p_alive <= 1 and r.expected_30 <= r.expected_90 <= r.expected_365
        assert r.next_purchase_date >= AS_OF and r.clv >= 0 and r.potential_value >= r.clv
        assert r.expected_order_value > 0
    assert _m(fresh).p_alive > 0.5 > 0.1 > _m(faded).p_alive
    assert _m(fresh).expected_90 > 2 > _m(faded).expected_90


def test_too_little_data_falls_back_to_rules_clearly_labelled(org):
    a, b, once = customer(org.rep, "a"), customer(org.rep, "b"), customer(org.rep, "once")
    every(a, start=100, step=30, count=4, amount=200)  # buys every 30 days, last 10 days ago
    every(b, start=400, step=20, count=3, amount=50)  # every 20 days, last 360 days ago
    order(once, 15, 80)
    summary = compute_metrics(as_of=AS_OF, create_tasks=False)
    assert summary["method"] == "rules" and not summary["model"]["bgnbd"]["converged"]
    assert "too little data" in summary["model"]["bgnbd"]["message"]
    run_a, run_b, run_once = _m(a), _m(b), _m(once)
    assert run_a.method == "rules" and run_a.get_method_display().startswith("Simple rules")
    assert run_a.typical_interval_days == 30 and run_a.p_alive == pytest.approx(2 ** (-10 / 60))
    assert run_a.next_purchase_date == AS_OF + timedelta(days=20)  # last purchase + usual interval
    assert float(run_a.expected_order_value) == pytest.approx(200)
    assert run_b.p_alive < 0.01 and run_b.churn_state == "at_risk"  # 360 days > 2 × 20, not yet a year
    assert run_once.typical_interval_days is None and run_once.p_alive == pytest.approx(2 ** (-15 / 50))  # everyone's median
    assert "simple rules" in explain(run_a)


def test_explanation_in_plain_words(org):
    a, nobody = customer(org.rep, "a"), customer(org.rep, "nobody")
    every(a, start=104, step=41, count=2)  # bought 104 and 63 days ago
    compute_metrics(as_of=AS_OF, create_tasks=False)
    text = explain(_m(a))
    assert "usually buys every 41 days" in text and "last bought 63 days ago" in text
    assert "% likely still active" in text
    assert explain(_m(nobody)) == "No purchase yet."


def test_run_out_date_from_usage_rate(org):
    c = customer(org.rep, "rice family")
    rice = Product.objects.create(sku="RICE", name="Rice 10 kg", category="food")
    oil = Product.objects.create(sku="OIL", name="Oil", category="food")
    order(c, 50, 100, lines=[(rice, 10)])
    order(c, 12, 100, lines=[(rice, 4), (oil, 1)])  # last rice purchase: 12 days ago, 4 + 2 bags that day
    order(c, 12, 50, lines=[(rice, 2)], hour=18)
    order(c, 5, 100, lines=[(rice, 50)], status=Order.Status.CANCELLED)  # does not count
    UsageRate.objects.create(customer=c, product=rice, units_per_day=Decimal("0.25"))  # 6 bags last 24 days
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(c).run_out_date == AS_OF - timedelta(days=12) + timedelta(days=24)
    UsageRate.objects.create(customer=c, product=oil, units_per_day=Decimal("0.5"))  # 1 bottle: 2 days
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(c).run_out_date == AS_OF - timedelta(days=10)  # the earliest product
    UsageRate.objects.filter(product=oil).update(units_per_day=0)  # no rate, no prediction
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(c).run_out_date == AS_OF + timedelta(days=12)
    assert "runs out around" in explain(_m(c))


def test_churn_states_follow_the_policy(org):
    active, slipping, gone, never = (customer(org.rep, n) for n in ("active", "slipping", "gone", "never"))
    every(active, start=70, step=30, count=3)  # last 10 days ago, every 30
    every(slipping, start=160, step=30, count=3)  # last 100 days ago: > 2 × 30
    every(gone, start=500, step=30, count=3)  # last 440 days ago: > 365
    compute_metrics(as_of=AS_OF, create_tasks=False)
    states = {c.name: _m(c).churn_state for c in (active, slipping, gone, never)}
    assert states == {"active": "active", "slipping": "at_risk", "gone": "churned", "never": "none"}
    AnalyticsPolicy.objects.filter(pk=AnalyticsPolicy.current().pk).update(at_risk_interval_factor=4,
                                                                           at_risk_p_alive=0, churned_after_days=600)
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(slipping).churn_state == "active" and _m(gone).churn_state == "at_risk"


def test_bad_input_does_not_crash(org):
    cs = [customer(org.rep, f"odd {i}") for i in range(6)]
    order(cs[0], 30, 100, refunded=300)  # refund larger than the order: negative spend
    order(cs[1], 20, 0)  # zero amounts
    order(cs[1], 20, 0, hour=15)  # two orders on one day: one purchase
    order(cs[2], -5, 100)  # future-dated only
    early = customer(org.rep, "imported", created=AS_OF - timedelta(days=3))
    order(early, 300, 100)  # before the customer was created
    summary = compute_metrics(as_of=AS_OF, create_tasks=False)
    assert summary["negative_spend_customers"] == 1 and summary["orders_before_customer_created"] == 1
    neg, zero, future = _m(cs[0]), _m(cs[1]), _m(cs[2])
    assert neg.lifetime_spend == 0 and neg.monetary == 0 and neg.m_score is not None
    assert zero.orders_count == 1 and zero.frequency == 1 and zero.expected_order_value == 0
    assert future.orders_count == 0 and future.churn_state == "none"
    assert _m(early).tenure_days == 300
    assert MetricsRun.objects.count() == 0  # compute_metrics alone records no run
