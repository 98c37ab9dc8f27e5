"""As-of dates: nothing recorded after the as-of date changes the metrics of that date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
import time_machine

from guanxi.analytics.models import CustomerMetrics
from guanxi.analytics.services.metrics import compute_metrics
from guanxi.customers.models import Order

from .metrics_helpers import AS_OF, SH, customer, metrics_rows, order, random_shop, survey_answer

pytestmark = pytest.mark.django_db
D = date(2025, 3, 31)


@pytest.fixture
def shop(org):
    """Enough repeat buyers for the model to fit, some history on both sides of D."""
    return random_shop(org.rep)


def _after(d: date, days: int = 1, hour: int = 0) -> datetime:
    return datetime.combine(d + timedelta(days=days), time(hour), tzinfo=SH)


def test_an_order_after_as_of_changes_nothing(shop):
    compute_metrics(as_of=D, create_tasks=False)
    before = metrics_rows()
    assert before and all(r["as_of"] == D for r in before)
    assert any(r["method"] == "bgnbd" for r in before)
    # The very first moment of D + 1, a later order, a survey answer and a brand-new buyer, all after D.
    Order.objects.create(customer=shop[0], ordered_at=_after(D), total_amount=999)
    order(shop[1], D + timedelta(days=20), 5000)
    late = survey_answer(shop[2], "nps", 10, day=(AS_OF - D).days - 3)
    assert late.created_at.date() > D
    compute_metrics(as_of=D, create_tasks=False)
    assert metrics_rows() == before


def test_an_order_on_the_last_evening_counts(shop):
    compute_metrics(as_of=D, create_tasks=False)
    before = CustomerMetrics.objects.get(customer=shop[0])
    Order.objects.create(customer=shop[0], ordered_at=_after(D, 0, 23) + timedelta(minutes=59), total_amount=10)
    compute_metrics(as_of=D, create_tasks=False)
    after = CustomerMetrics.objects.get(customer=shop[0])
    assert after.orders_count == before.orders_count + 1 and after.recency_days == 0


def test_refund_recorded_after_as_of_is_not_used(org):
    c = customer(org.rep, "refunder")
    with time_machine.travel(datetime(2025, 1, 10, 12, tzinfo=SH), tick=False):
        o = order(c, date(2025, 1, 10), 500)
    compute_metrics(as_of=D, create_tasks=False)
    assert CustomerMetrics.objects.get(customer=c).lifetime_spend == 500
    with time_machine.travel(datetime(2025, 5, 1, 12, tzinfo=SH), tick=False):  # refunded after D
        o.refunded_amount, o.status = 200, Order.Status.PARTLY_REFUNDED
        o.save()
    compute_metrics(as_of=D, create_tasks=False)
    assert CustomerMetrics.objects.get(customer=c).lifetime_spend == 500
    compute_metrics(as_of=date(2025, 5, 1), create_tasks=False)
    assert CustomerMetrics.objects.get(customer=c).lifetime_spend == 300


def test_future_orders_and_cancelled_and_deleted_orders_are_ignored(org):
    c = customer(org.rep, "odd")
    order(c, 40, 100)
    order(c, -30, 700)  # dated a month after "today"
    order(c, 20, 900, status=Order.Status.CANCELLED)
    gone = order(c, 10, 800)
    Order.objects.filter(pk=gone.pk).update(deleted_at=datetime(2025, 6, 1, tzinfo=SH))
    compute_metrics(as_of=AS_OF, create_tasks=False)
    m = CustomerMetrics.objects.get(customer=c)
    assert (m.orders_count, m.lifetime_spend, m.recency_days) == (1, 100, 40)


@pytest.mark.django_db(transaction=True)
def test_reading_on_two_threads_gives_the_same_history(org):
    """Outside a transaction the reads run on worker threads with their own connections."""
    from guanxi.analytics.services.history import read_history

    people = random_shop(org.rep, n=25)
    order(people[0], 3, 10, refunded=4)
    one = read_history(as_of=AS_OF, window_months=12, workers=1, chunk=7)
    seen = []
    two = read_history(as_of=AS_OF, window_months=12, workers=2, chunk=7, progress=lambda d, n: seen.append((d, n)))
    for name, values in vars(one).items():
        if isinstance(values, np.ndarray):
            assert np.array_equal(values, getattr(two, name), equal_nan=True), name
    assert one.n_days.sum() > 25 and sorted(seen)[-1] == (25, 25) and len(seen) == 4  # 25 customers, 7 a chunk
