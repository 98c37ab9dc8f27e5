"""Tier definitions and settings: validation by field, rights, audit; the selectors' visibility and counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from guanxi.analytics.models import AnalyticsPolicy, Tier, TierPolicy
from guanxi.analytics.selectors import tiers as sel
from guanxi.analytics.services.policy import analysis_policy_update
from guanxi.analytics.services.tiers import retier, tier_delete, tier_policy_update, tier_save
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance.models import AuditLog

from .tiers_helpers import make_tiers, order

pytestmark = pytest.mark.django_db


def errors(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def test_create_and_change_a_tier_is_audited(org):
    tier = tier_save(actor=org.admin, tier=None, data={"name": " 金牌 ", "position": 2, "min_spend": Decimal("10000"),
                                                       "benefits": "95折"})
    assert tier.name == "金牌" and tier.is_active
    tier_save(actor=org.admin, tier=tier, data={"min_points": 800})
    assert Tier.objects.get().min_points == 800
    actions = list(AuditLog.objects.filter(entity="tier").values_list("action", flat=True).order_by("id"))
    assert actions == ["create", "update"]


def test_only_configure_may_change_tiers(org):
    for user in (org.manager, org.analyst, org.rep):
        with pytest.raises(PermissionDeniedError):
            tier_save(actor=user, tier=None, data={"name": "x", "position": 0})
        with pytest.raises(PermissionDeniedError):
            tier_policy_update(actor=user, data={"window_months": 6})
        with pytest.raises(PermissionDeniedError):
            analysis_policy_update(actor=user, data={"churned_after_days": 100})
    assert not Tier.objects.exists()


def test_rank_must_be_free(org):
    make_tiers()
    e = errors(lambda: tier_save(actor=org.admin, tier=None, data={"name": "新", "position": 2, "min_spend": 1}))
    assert e["position"] == ["Rank 2 is already used by the tier “金牌”."]
    e = errors(lambda: tier_save(actor=org.admin, tier=None, data={"name": "银牌", "position": 9,
                                                                   "min_spend": 99999999}))
    assert e == {"name": ["Another tier already has this name."]}


def test_thresholds_rise_with_rank(org):
    tiers = make_tiers()  # 注册 0 / 银牌 3000 / 金牌 10000 / 钻石 50000 or 5000 points
    e = errors(lambda: tier_save(actor=org.admin, tier=tiers["金牌"], data={"min_spend": Decimal("3000")}))
    assert e == {"min_spend": ["A higher tier must need more spend than a lower one: “银牌” (rank 1) already "
                               "needs ¥3,000."]}
    e = errors(lambda: tier_save(actor=org.admin, tier=tiers["银牌"], data={"min_spend": Decimal("20000")}))
    assert list(e) == ["min_spend"] and "“金牌” (rank 2) needs ¥10,000" in e["min_spend"][0]
    e = errors(lambda: tier_save(actor=org.admin, tier=None, data={"name": "黑金", "position": 4,
                                                                   "min_spend": 60000, "min_points": 4000}))
    assert list(e) == ["min_points"] and "more points" in e["min_points"][0]
    # An inactive tier does not take part, and a new top tier above every threshold is fine.
    tier_save(actor=org.admin, tier=tiers["金牌"], data={"is_active": False})
    tier_save(actor=org.admin, tier=tiers["银牌"], data={"min_spend": Decimal("20000")})
    assert tier_save(actor=org.admin, tier=None, data={"name": "黑金", "position": 4, "min_spend": 60000,
                                                       "min_points": 6000}).pk
    # Re-activating 金牌 below 银牌's new threshold is refused.
    e = errors(lambda: tier_save(actor=org.admin, tier=tiers["金牌"], data={"is_active": True}))
    assert list(e) == ["min_spend"]
    assert not Tier.objects.get(pk=tiers["金牌"].pk).is_active


def test_bad_values_name_their_field(org):
    e = errors(lambda: tier_save(actor=org.admin, tier=None, data={"name": "", "position": 0,
                                                                   "min_spend": Decimal("-1")}))
    assert set(e) == {"name", "min_spend"}
    assert list(errors(lambda: tier_save(actor=org.admin, tier=None, data={"name": "x", "color": "red"}))) == ["color"]
    assert not Tier.objects.exists()


def test_delete_only_unused_tiers(org, customers):
    tiers = make_tiers()
    retier(as_of=date(2025, 4, 1))
    e = errors(lambda: tier_delete(actor=org.admin, tier=tiers["注册"]))
    assert "is_active" in e and Tier.objects.filter(pk=tiers["注册"].pk).exists()
    tier_delete(actor=org.admin, tier=tiers["钻石"])
    assert not Tier.objects.filter(name="钻石").exists()
    assert AuditLog.objects.filter(entity="tier", action="delete").count() == 1


def test_tier_policy_validation(org):
    policy = tier_policy_update(actor=org.admin, data={"period": "month", "window_months": 6,
                                                       "downgrade_protection": False})
    assert (policy.period, policy.window_months, policy.downgrade_protection) == ("month", 6, False)
    e = errors(lambda: tier_policy_update(actor=org.admin, data={"period": "week", "window_months": 0}))
    assert set(e) == {"period", "window_months"}
    assert "at most 120" in errors(lambda: tier_policy_update(actor=org.admin, data={"window_months": 121}))[
        "window_months"][0]
    assert list(errors(lambda: tier_policy_update(actor=org.admin, data={"last_run_on": "2025-01-01"}))) == [
        "last_run_on"]
    assert TierPolicy.current().window_months == 6


def test_analysis_policy_update(org):
    policy = analysis_policy_update(actor=org.admin, data={"high_value_percentile": 90,
                                                           "at_risk_p_alive": Decimal("0.3")})
    assert policy.high_value_percentile == 90 and AnalyticsPolicy.current().at_risk_p_alive == Decimal("0.30")
    e = errors(lambda: analysis_policy_update(actor=org.admin, data={"high_value_percentile": 100,
                                                                     "churned_after_days": 5}))
    assert set(e) == {"high_value_percentile", "churned_after_days"}
    assert AnalyticsPolicy.current().high_value_percentile == 90


def test_customer_tier_follows_visibility(org, customers):
    make_tiers()
    order(customers.own, date(2025, 3, 1), 4000)
    retier(as_of=date(2025, 4, 1))
    info = sel.customer_tier(user=org.rep, customer=customers.own)
    assert info.status.tier.name == "银牌" and [c.direction for c in info.changes] == ["first"]
    with pytest.raises(NotFoundError):
        sel.customer_tier(user=org.rep, customer=customers.other_dept.pk)
    assert sel.customer_tier(user=org.manager, customer=customers.same_dept).status.tier.name == "注册"


def test_distribution_and_movements(org, customers):
    make_tiers()
    order(customers.own, date(2025, 3, 1), 4000)
    order(customers.other_dept, date(2025, 3, 1), 12000)
    retier(as_of=date(2025, 4, 1))
    counts = {row["tier"].name if row["tier"] else None: row["count"] for row in
              sel.tier_distribution(user=org.analyst)}
    assert counts == {"钻石": 0, "金牌": 1, "银牌": 1, "注册": 2}
    east = {row["tier"].name: row["count"] for row in sel.tier_distribution(user=org.manager) if row["count"]}
    assert east == {"银牌": 1, "注册": 2}  # East's customers and the pool; not West's 金牌
    moves = sel.tier_movements(user=org.analyst, date_from=date(2025, 4, 1), date_to=date(2025, 4, 1))
    assert {(m["to_name"], m["direction"]): m["count"] for m in moves} == {
        ("注册", "first"): 2, ("银牌", "first"): 1, ("金牌", "first"): 1}
    assert sel.tier_movements(user=org.analyst, date_from=date(2025, 4, 2)) == []
    assert sel.tier_change_list(user=org.analyst, direction="up").count() == 0
    with pytest.raises(PermissionDeniedError):
        sel.tier_movements(user=org.rep)
    with pytest.raises(PermissionDeniedError):
        sel.tier_distribution(user=org.rep)
