"""RFM quintiles and segments, loyalty, the value × loyalty quadrant and the value groups on a known small data set."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from guanxi.analytics.models import AnalyticsPolicy, CustomerMetrics
from guanxi.analytics.services.metrics import compute_metrics
from guanxi.analytics.services.scoring import SEGMENT_GRID, percentile, quintile_score
from guanxi.customers.models import Contact, Interaction, Product

from .metrics_helpers import AS_OF, customer, order, survey_answer

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(org):
    """Five buyers whose R, F and M ranks are known, and one customer without orders."""
    c = {name: customer(org.rep, name) for name in "ABCDE"}
    for day in (5, 35, 65, 95, 125):
        order(c["A"], day, 500)
    for day in (20, 80, 140, 200):
        order(c["B"], day, 100)
    for day in (60, 150, 250):
        order(c["C"], day, 50)
    for day in (100, 200):
        order(c["D"], day, 60)
    order(c["E"], 300, 1000)
    c["none"] = customer(org.rep, "no orders")
    return c


def _m(c):
    return CustomerMetrics.objects.get(customer=c)


def test_quintiles_and_segments(five):
    compute_metrics(as_of=AS_OF, create_tasks=False)
    got = {k: (_m(c).r_score, _m(c).f_score, _m(c).m_score, _m(c).rfm_segment) for k, c in five.items()}
    assert got == {
        "A": (5, 5, 5, "champions"), "B": (4, 4, 3, "loyal"), "C": (3, 3, 2, "attention"),
        "D": (2, 2, 1, "hibernating"), "E": (1, 1, 4, "lost"), "none": (None, None, None, ""),
    }
    a = _m(five["A"])
    assert (a.recency_days, a.frequency, a.monetary, a.orders_count) == (5, 5, 2500, 5)
    assert a.typical_interval_days == 30 and a.first_order_at.date() == date(2025, 2, 25)
    none = _m(five["none"])
    assert none.churn_state == "none" and none.method == "none" and none.p_alive is None and none.quadrant == ""


def test_ties_share_a_score_and_all_equal_is_three():
    values = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 0.0])
    mask = np.array([True] * 6 + [False])
    scores = quintile_score(values, mask)
    assert scores[0] == scores[1] and scores[3] == scores[4] == scores[5] and scores[6] == 0
    assert list(scores[:6]) == sorted(scores[:6]) and set(scores[:6]) <= {1, 2, 3, 4, 5}
    assert list(quintile_score(np.full(4, 7.0), np.ones(4, bool))) == [3, 3, 3, 3]
    assert np.isnan(percentile(values, mask)[6])


def test_segment_grid_covers_every_score_pair():
    assert len(SEGMENT_GRID) == 5 and all(len(row) == 5 for row in SEGMENT_GRID)
    assert SEGMENT_GRID[4][4] == "champions" and SEGMENT_GRID[0][0] == "lost" and SEGMENT_GRID[0][4] == "cant_lose"


def test_quadrants_follow_the_policy(five):
    compute_metrics(as_of=AS_OF, create_tasks=False)
    quadrant = {k: _m(c).quadrant for k, c in five.items()}
    assert quadrant == {"A": "core", "B": "maintain", "C": "maintain", "D": "maintain", "E": "low", "none": ""}
    assert _m(five["A"]).value_percentile == pytest.approx(90.0) and _m(five["E"]).value_percentile == pytest.approx(70)
    assert _m(five["E"]).loyalty_score == pytest.approx(1 / 3)  # tenure only: one purchase, no gaps

    AnalyticsPolicy.objects.filter(pk=AnalyticsPolicy.current().pk).update(high_value_percentile=60)
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(five["E"]).quadrant == "keep"  # high value now, still low loyalty

    AnalyticsPolicy.objects.filter(pk=1).update(high_loyalty_score="0.95")
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(five["A"]).quadrant == "keep" and _m(five["B"]).quadrant == "low"


def test_value_from_profit(five):
    order(five["D"], 10, 5000, cost=100)  # D becomes the most profitable
    order(five["E"], 299, 0, cost=900)  # a free gift: costs E 900
    AnalyticsPolicy.objects.filter(pk=AnalyticsPolicy.current().pk).update(value_basis="profit")
    compute_metrics(as_of=AS_OF, create_tasks=False)
    d, e = _m(five["D"]), _m(five["E"])
    assert float(d.profit) == pytest.approx(5120 - 100) and float(e.profit) == pytest.approx(100)
    assert d.value_percentile == pytest.approx(90.0) and d.quadrant in ("core", "keep")


def test_loyalty_uses_nps_and_positive_answers_are_word_of_mouth(five):
    compute_metrics(as_of=AS_OF, create_tasks=False)
    before = _m(five["A"]).loyalty_score
    assert before == pytest.approx((1 + 1 + 0.8) / 3)
    survey_answer(five["A"], "nps", 0)
    survey_answer(five["none"], "nps", 10)
    survey_answer(five["none"], "csat", 5)
    survey_answer(five["none"], "csat", 4)
    compute_metrics(as_of=AS_OF, create_tasks=False)
    assert _m(five["A"]).loyalty_score == pytest.approx((1 + 1 + 0.8 + 0) / 4)
    none = _m(five["none"])
    assert none.word_of_mouth == 2 and none.value_group == "advocate" and none.loyalty_score is None


def test_value_groups_and_treatments(five):
    from guanxi.analytics.services.scoring import VALUE_GROUP_TREATMENT

    compute_metrics(as_of=AS_OF, create_tasks=False)
    groups = {k: _m(c).value_group for k, c in five.items()}
    assert groups["A"] in ("key", "stable") and groups["none"] == "small"
    assert set(VALUE_GROUP_TREATMENT) == {"key", "growth", "stable", "advocate", "small"}
    assert all(str(text) for text in VALUE_GROUP_TREATMENT.values())


def test_width_length_depth(org, five):
    a = five["A"]
    ann = Contact.objects.create(customer=a, name="Ann")
    bob = Contact.objects.create(customer=a, name="Bob")
    Contact.objects.create(customer=a, name="Cy")  # never followed up
    from .metrics_helpers import SH, datetime, time, timedelta

    for contact, days in ((ann, 10), (ann, 40), (bob, 300), (bob, 400)):
        Interaction.objects.create(customer=a, contact=contact, summary="call", staff=org.rep,
                                   occurred_at=datetime.combine(AS_OF - timedelta(days=days), time(10), tzinfo=SH))
    rice = Product.objects.create(sku="R1", name="Rice", category="food")
    oil = Product.objects.create(sku="O1", name="Oil", category="food")
    Product.objects.create(sku="T1", name="Tea", category="drinks")
    Product.objects.create(sku="X1", name="Old", category="retired", is_active=False)
    Product.objects.create(sku="P1", name="Pen", category="office")
    order(a, 3, 10, lines=[(rice, 1), (oil, 2)])
    late = customer(org.rep, "late", created=date(2025, 6, 1))
    order(late, date(2025, 1, 1), 10)  # bought before the record was created (imported history)
    compute_metrics(as_of=AS_OF, create_tasks=False)
    m = _m(a)
    assert m.active_relationships == 2  # Ann and Bob within twelve months; Cy never
    assert m.category_share == pytest.approx(1 / 3)  # food of food, drinks, office
    assert m.tenure_days == (AS_OF - date(2020, 1, 1)).days
    assert _m(late).tenure_days == (AS_OF - date(2025, 1, 1)).days
