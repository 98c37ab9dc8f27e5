"""Re-tiering: first tiers, moves up and down with their reasons, downgrade protection for one period,
idempotent re-runs, the as-of cut-off, refunds, cancelled orders, points, deactivated tiers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from guanxi.analytics.models import CustomerTier, TierChange
from guanxi.analytics.services.tier_periods import period_end, period_start, protection_end
from guanxi.analytics.services.tiers import retier, retier_due
from guanxi.analytics.tier_reasons import decode, reason_text
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Order

from .tiers_helpers import make_tiers, order, policy, status, tier_of

pytestmark = pytest.mark.django_db
Q2 = date(2025, 4, 1)
Q3 = date(2025, 7, 1)
Q4 = date(2025, 10, 1)


@pytest.fixture
def tiers(customers):
    policy(period="quarter", window_months=12, downgrade_protection=True)
    return make_tiers()


def changes(c):
    return list(TierChange.objects.filter(customer=c).order_by("as_of", "id"))


def test_periods():
    assert period_start(date(2025, 5, 15), "quarter") == Q2
    assert period_end(date(2025, 5, 15), "quarter") == date(2025, 6, 30)
    assert period_end(date(2024, 2, 3), "month") == date(2024, 2, 29)
    assert period_start(date(2025, 5, 15), "year") == date(2025, 1, 1)
    assert protection_end(Q2, "quarter") == date(2025, 6, 30)  # run at the boundary: the coming quarter
    assert protection_end(date(2025, 5, 15), "quarter") == date(2025, 9, 30)  # mid-quarter: the next full one
    assert protection_end(date(2025, 2, 1), "month") == date(2025, 2, 28)


def test_first_tiers_with_reasons(customers, tiers):
    order(customers.own, date(2025, 1, 10), 12300)
    summary = retier(as_of=Q2)
    assert summary["customers"] == 4 and summary["first"] == 4 and summary["up"] == 0
    assert tier_of(customers.own) == "金牌" and tier_of(customers.pool) == "注册"
    row = status(customers.own)
    assert row.rolling_spend == Decimal("12300.00") and row.since == Q2 and row.protected_until is None
    (change,) = changes(customers.own)
    assert change.direction == "first" and change.from_tier is None and change.to_tier.name == "金牌"
    assert decode(change.reason) == {"k": "spend", "m": 12, "s": "12300.00", "t": "10000.00"}
    with translation.override("en"):
        assert reason_text(change) == "rolling 12-month spend ¥12,300 ≥ 金牌 threshold ¥10,000"


def test_up_then_down_without_protection(customers, tiers):
    policy(downgrade_protection=False)
    order(customers.own, date(2025, 3, 1), 4000)
    retier(as_of=Q2)
    assert tier_of(customers.own) == "银牌"
    order(customers.own, date(2025, 5, 1), 7000)
    summary = retier(as_of=Q3)
    assert summary["up"] == 1 and tier_of(customers.own) == "金牌" and status(customers.own).since == Q3
    up = changes(customers.own)[-1]
    assert (up.direction, up.from_tier.name, up.to_tier.name, up.as_of) == ("up", "银牌", "金牌", Q3)
    # A year later both orders have left the 12-month window.
    summary = retier(as_of=date(2026, 7, 1))
    assert summary["down"] == 1 and tier_of(customers.own) == "注册"
    down = changes(customers.own)[-1]
    assert (down.direction, down.from_tier.name, down.to_tier.name) == ("down", "金牌", "注册")
    with translation.override("en"):
        assert reason_text(down) == "rolling 12-month spend ¥0 < 金牌 threshold ¥10,000"


def test_downgrade_protection_one_period_then_drop(customers, tiers):
    order(customers.own, date(2024, 6, 15), 12000)
    retier(as_of=date(2025, 4, 1))
    assert tier_of(customers.own) == "金牌"
    # 1 July: the June 2024 order has left the window -> would drop, kept for the coming quarter.
    summary = retier(as_of=Q3)
    assert summary["kept"] == 1 and summary["down"] == 0 and summary["unchanged"] == 3  # the counts add up
    row = status(customers.own)
    assert tier_of(customers.own) == "金牌" and row.protected_until == date(2025, 9, 30) and row.since == Q2
    kept = changes(customers.own)[-1]
    assert (kept.direction, kept.from_tier.name, kept.to_tier.name) == ("kept", "金牌", "金牌")
    with translation.override("en"):
        assert "tier kept until 2025-09-30 (downgrade protection)" in reason_text(kept)
    # A mid-quarter on-demand run changes nothing while protected.
    assert retier(as_of=date(2025, 8, 15))["kept"] == 0 and tier_of(customers.own) == "金牌"
    # 1 October: protection has run out -> down, straight to the tier the spend supports.
    summary = retier(as_of=Q4)
    assert summary["down"] == 1 and tier_of(customers.own) == "注册"
    row = status(customers.own)
    assert row.protected_until is None and row.since == Q4
    down = changes(customers.own)[-1]
    assert (down.direction, down.from_tier.name, down.to_tier.name) == ("down", "金牌", "注册")
    with translation.override("en"):
        assert "downgrade protection ended 2025-09-30" in reason_text(down)
    assert [c.direction for c in changes(customers.own)] == ["first", "kept", "down"]


def test_qualifying_again_ends_protection(customers, tiers):
    order(customers.own, date(2024, 6, 15), 12000)
    retier(as_of=Q2)
    retier(as_of=Q3)
    assert status(customers.own).protected_until is not None
    order(customers.own, date(2025, 8, 1), 10000)
    retier(as_of=Q4)
    assert tier_of(customers.own) == "金牌" and status(customers.own).protected_until is None
    assert [c.direction for c in changes(customers.own)] == ["first", "kept"]


def test_rerun_same_day_changes_nothing(customers, tiers):
    order(customers.own, date(2024, 6, 15), 12000)
    order(customers.same_dept, date(2025, 3, 1), 4000)
    retier(as_of=Q2)
    first = retier(as_of=Q3)
    assert first["kept"] == 1
    rows = list(CustomerTier.objects.order_by("pk").values())
    count = TierChange.objects.count()
    again = retier(as_of=Q3)
    assert again == {**first, "first": 0, "up": 0, "down": 0, "kept": 0, "unchanged": 4}
    assert TierChange.objects.count() == count
    assert list(CustomerTier.objects.order_by("pk").values()) == rows


def test_as_of_cut_off_and_window(customers, tiers):
    order(customers.own, date(2025, 3, 31), 3000, hour=23)  # the evening before: counts
    order(customers.own, Q2, 50000, hour=0)  # on the as-of day itself: not yet
    order(customers.own, date(2024, 3, 31), 50000, hour=23)  # just before the 12-month window
    order(customers.own, date(2024, 4, 1), 1, hour=0)  # the window's first minute
    retier(as_of=Q2)
    assert status(customers.own).rolling_spend == Decimal("3001.00") and tier_of(customers.own) == "银牌"


def test_refunds_cancelled_and_deleted_orders(customers, tiers):
    order(customers.own, date(2025, 1, 5), 12000, refunded=3000)
    order(customers.own, date(2025, 1, 6), 40000, status=Order.Status.CANCELLED)
    gone = order(customers.own, date(2025, 1, 7), 40000)
    Order.objects.filter(pk=gone.pk).update(deleted_at=gone.ordered_at)
    retier(as_of=Q2)
    assert status(customers.own).rolling_spend == Decimal("9000.00") and tier_of(customers.own) == "银牌"


def test_points_path(customers, tiers):
    retier(as_of=Q2)
    CustomerTier.objects.filter(customer=customers.own).update(points=6000)
    summary = retier(as_of=Q3)
    assert summary["up"] == 1 and tier_of(customers.own) == "钻石"
    assert status(customers.own).points == 6000  # kept as it is
    change = changes(customers.own)[-1]
    assert decode(change.reason) == {"k": "points", "p": 6000, "tp": 5000}
    with translation.override("en"):
        assert reason_text(change) == "6,000 points ≥ 钻石 threshold 5,000 points"


def test_deactivated_tier_moves_members(customers, tiers):
    order(customers.own, date(2025, 1, 5), 12000)
    retier(as_of=Q2)
    tiers["金牌"].is_active = False
    tiers["金牌"].save()
    retier(as_of=Q3)
    assert tier_of(customers.own) == "银牌"
    change = changes(customers.own)[-1]
    assert change.direction == "down" and decode(change.reason) == {"k": "inactive"}
    with translation.override("en"):
        assert reason_text(change) == "the tier 金牌 is no longer active"


def test_deleted_customer_is_left_alone(customers, tiers):
    customers.pool.deleted_at = customers.pool.created_at
    customers.pool.save()
    assert retier(as_of=Q2)["customers"] == 3
    assert not CustomerTier.objects.filter(customer=customers.pool).exists()


def test_bad_dates_and_no_tiers(org, customers, tiers):
    retier(as_of=Q3)
    with pytest.raises(ValidationError) as exc:
        retier(as_of=Q2)
    assert "as_of" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        retier(as_of=date(2999, 1, 1))
    assert "as_of" in exc.value.message_dict
    for t in tiers.values():
        t.is_active = False
        t.save()
    with pytest.raises(ValidationError) as exc:
        retier(as_of=Q4)
    assert "tiers" in exc.value.message_dict


def test_rep_may_not_retier(org, customers, tiers):
    with pytest.raises(PermissionDeniedError):
        retier(as_of=Q2, actor=org.rep)
    assert not CustomerTier.objects.exists()
    assert retier(as_of=Q2, actor=org.admin)["first"] == 4


def test_scheduled_run_only_in_a_new_period(customers, tiers):
    assert retier_due(today=date(2025, 5, 20))["as_of"] == "2025-04-01"
    assert retier_due(today=date(2025, 6, 30)) is None
    assert retier_due(today=date(2025, 7, 1))["as_of"] == "2025-07-01"
    assert retier_due(today=date(2025, 7, 2)) is None
    policy(period="month")
    assert retier_due(today=date(2025, 8, 3))["as_of"] == "2025-08-01"
