"""Back-tests: the as-of guarantee, exact holdout counts, the simple-rule baseline, validation, rights, the task."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from guanxi.analytics.models import BacktestRun
from guanxi.analytics.selectors.backtest import backtest_get, backtest_list, verdict
from guanxi.analytics.services.backtest import backtest_execute, backtest_run, compute_backtest
from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Order

from .metrics_helpers import NOW, SH, customer, order, random_shop

pytestmark = pytest.mark.django_db
C = date(2025, 3, 31)  # calibration end
H = date(2025, 6, 29)  # holdout end: 90 days later


def at(d: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=SH)


def before(days: int) -> date:
    return C - timedelta(days=days)


def after(days: int) -> date:
    return C + timedelta(days=days)


def raw_order(c, when: datetime, status: str = Order.Status.PAID) -> None:
    o = Order.objects.create(customer=c, ordered_at=when, total_amount=100, status=status)
    Order.objects.filter(pk=o.pk).update(created_at=when, updated_at=when)


@pytest.fixture
def hand_made(org):
    """Four customers compared (a, b, c, e) and one who first buys in the holdout (d); see each line."""
    a, b, c, d, e = (customer(org.rep, name) for name in "abcde")
    for days in (100, 80, 60, 40):  # x = 3, T = 100
        order(a, before(days))
    order(a, after(5), hour=9)
    order(a, after(5), hour=15)  # the same day again: one purchase
    order(a, after(20))
    order(a, after(91))  # the day after the holdout: not counted
    order(b, before(50))  # x = 0, T = 50
    raw_order(b, at(after(1), 0))  # the first moment of the holdout
    order(c, before(30))
    raw_order(c, at(C, 23, 59))  # the last evening of the calibration: x = 1, T = 30
    order(c, after(10), status=Order.Status.CANCELLED)  # cancelled: not a purchase
    order(d, after(3))
    order(e, before(200))
    order(e, before(100))  # x = 1, T = 200
    for days in (10, 11, 12):
        order(e, after(days))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_actual_holdout_purchases_are_counted_exactly(hand_made):
    result = compute_backtest(calibration_end=C, holdout_end=H)
    assert result["holdout_days"] == 90 and result["customers"] == 4 and result["new_buyers"] == 1
    assert result["purchases"]["actual"] == 6  # a 2, b 1, c 0, e 3
    groups = {g["key"]: g for g in result["groups"]["repeat"]}
    assert set(groups) == {"0", "1", "3"}
    assert (groups["0"]["customers"], groups["0"]["actual"]) == (1, 1.0)  # b
    assert (groups["1"]["customers"], groups["1"]["actual"]) == (2, 1.5)  # c 0, e 3
    assert (groups["3"]["customers"], groups["3"]["actual"]) == (1, 2.0)  # a
    assert sum(g["actual_total"] for g in result["groups"]["segment"]) == 6
    assert result["first_purchase"] == before(200).isoformat()


def test_simple_rule_baseline(hand_made):
    result = compute_backtest(calibration_end=C, holdout_end=H)
    rule = result["purchases"]["rule"]
    # Each keeps the calibration rate x / T: a 3/100, b 0, c 1/30, e 1/200 per day, × 90 days.
    assert rule["total"] == pytest.approx(2.7 + 0 + 3 + 0.45)
    assert rule["mae"] == pytest.approx((0.7 + 1 + 3 + 2.55) / 4)
    assert rule["rmse"] == pytest.approx(math.sqrt((0.49 + 1 + 9 + 6.5025) / 4))
    assert rule["total_error_pct"] == pytest.approx(2.5)
    groups = {g["key"]: g for g in result["groups"]["repeat"]}
    assert groups["1"]["rule"] == pytest.approx((3 + 0.45) / 2) and groups["0"]["rule"] == 0
    # Four buyers, none twice enough for BG/NBD: the model is reported as not fitted, the rule stays.
    assert result["fit"]["converged"] is False and result["fit"]["message"]
    assert result["purchases"]["model"] is None and all(g["model"] is None for g in result["groups"]["repeat"])
    assert result["spend"]["actual"] == pytest.approx(700)  # seven orders of 100: spend counts both same-day ones


def test_orders_after_the_calibration_end_never_change_the_fit(org):
    shop = random_shop(org.rep)
    first = compute_backtest(calibration_end=C, holdout_end=H)
    assert first["fit"]["converged"] is True and first["purchases"]["model"] is not None
    # Orders after C: in the holdout, after it, at the first moment of C + 1, and a brand-new buyer.
    raw_order(shop[0], at(after(1), 0))
    order(shop[1], after(30), 5000)
    order(shop[2], after(89))
    order(customer(org.rep, "newcomer"), after(2))
    second = compute_backtest(calibration_end=C, holdout_end=H)
    assert second["fit"] == first["fit"]  # same parameters, standard errors, log-likelihood
    for grouping in ("repeat", "segment", "quadrant"):
        predicted = [(g["key"], g["customers"], g["model"], g["rule"]) for g in first["groups"][grouping]]
        assert predicted == [(g["key"], g["customers"], g["model"], g["rule"]) for g in second["groups"][grouping]]
    assert second["purchases"]["actual"] > first["purchases"]["actual"]
    assert second["new_buyers"] == first["new_buyers"] + 1
    # An order before C does change the fit: the comparison above can fail.
    order(shop[3], before(3))
    assert compute_backtest(calibration_end=C, holdout_end=H)["fit"] != first["fit"]


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(("cal", "hold", "field", "words"), [
    (C, date(2025, 7, 1), "holdout_end", "today or earlier"),
    (C, C, "holdout_end", "after the calibration period"),
    (C, date(2025, 3, 1), "holdout_end", "after the calibration period"),
    (C, after(6), "holdout_end", "at least 7 days"),
    (date(2020, 1, 1), H, "calibration_end", "Too little history"),
    (None, H, "calibration_end", "calibration period"),
    (C, None, "holdout_end", "holdout period"),
])
def test_bad_dates_are_refused_by_field(org, hand_made, clock, cal, hold, field, words):
    for i in range(10):  # enough buyers before C, so only the dates can be wrong
        order(customer(org.rep, f"buyer {i}"), before(20 + i))
    with pytest.raises(ValidationError) as exc:
        backtest_run(actor=org.analyst, calibration_end=cal, holdout_end=hold)
    assert words in " ".join(exc.value.message_dict[field])
    assert not BacktestRun.objects.exists()


def test_too_few_buyers_before_the_calibration_end(org, hand_made, clock):
    order(customer(org.rep, "cancelled only"), before(5), status=Order.Status.CANCELLED)  # not a buyer
    with pytest.raises(ValidationError) as exc:
        backtest_run(actor=org.analyst, calibration_end=C, holdout_end=H)
    assert "found 4" in exc.value.message_dict["calibration_end"][0]  # a, b, c, e; d bought later


def test_rep_may_not_back_test(org, customers, clock):
    with pytest.raises(PermissionDeniedError):
        backtest_run(actor=org.rep, calibration_end=C, holdout_end=H)
    with pytest.raises(PermissionDeniedError):
        backtest_list(user=org.rep)
    run = BacktestRun.objects.create(calibration_end=C, holdout_end=H)
    with pytest.raises(PermissionDeniedError):
        backtest_get(user=org.rep, pk=run.pk)


@pytest.mark.parametrize("who", ["analyst", "manager", "admin"])
def test_reports_roles_run_a_back_test_in_the_background(org, clock, who, django_capture_on_commit_callbacks):
    random_shop(org.rep)
    with django_capture_on_commit_callbacks(execute=True):
        run = backtest_run(actor=getattr(org, who), calibration_end=C, holdout_end=H)
    assert run.status == "queued"
    run.refresh_from_db()
    assert run.status == "done" and run.created_by == getattr(org, who)
    assert run.result["fit"]["converged"] and run.result["customers"] > 20
    text = verdict(run)
    assert "90-day predictions were off by" in text and "simple rule" in text
    again = backtest_execute(backtest_id=run.pk)  # a retried task leaves a finished back-test alone
    assert again.result == run.result


def test_one_back_test_at_a_time(org, clock):
    random_shop(org.rep)
    backtest_run(actor=org.analyst, calibration_end=C, holdout_end=H)  # queued: no on_commit here
    with pytest.raises(ConflictError):
        backtest_run(actor=org.manager, calibration_end=C, holdout_end=H)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):  # the queued one died with its worker
        assert backtest_run(actor=org.manager, calibration_end=C, holdout_end=H).status == "queued"
    assert BacktestRun.objects.order_by("id").first().result == {"error": "stale"}
