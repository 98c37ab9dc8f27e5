"""The demo tiers and hook, and the daily job that re-tiers when a new period begins."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils.module_loading import import_string

from guanxi.analytics.demo import default_tiers, write_demo
from guanxi.analytics.models import CustomerTier, Tier, TierChange, TierPolicy
from guanxi.analytics.services.tiers import tier_save
from guanxi.customers.schedule import SCHEDULE

from .tiers_helpers import make_tiers, order

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_default_tiers_are_valid_and_unsaved(org):
    tiers = default_tiers()
    assert [t.name for t in tiers] == ["注册会员", "铜牌会员", "银牌会员", "金牌会员", "钻石会员"]
    assert all(t.pk is None for t in tiers) and [t.position for t in tiers] == [0, 1, 2, 3, 4]
    assert all(t.benefits for t in tiers)
    for t in tiers:  # the service accepts each: ranks free, thresholds rising
        tier_save(actor=org.admin, tier=None, data={f: getattr(t, f) for f in
                                                     ("name", "position", "min_spend", "min_points", "benefits")})
    assert Tier.objects.count() == 5


@time_machine.travel(datetime(2025, 5, 20, 9, tzinfo=SH), tick=False)
def test_write_demo_adds_tiers_and_one_run(org, customers):
    assert "guanxi.analytics.demo.write_demo" in settings.GUANXI_DEMO_EXTENSIONS
    order(customers.own, date(2025, 3, 1), 12000)
    counts = write_demo(users={"admin": org.admin}, customers=[customers.own.pk])
    assert counts == {"tier": 5, "customer tier": 4}
    assert CustomerTier.objects.get(customer=customers.own).tier.name == "银牌会员"
    assert TierChange.objects.filter(direction="first").count() == 4
    assert TierPolicy.current().last_run_on == date(2025, 5, 20)
    assert write_demo(users={}, customers=[])["tier"] == 0 and Tier.objects.count() == 5
    assert TierChange.objects.count() == 4


def test_daily_job_is_scheduled_and_runs_in_a_new_period(customers):
    job = next(j for j in SCHEDULE if j.name == "tier_review")
    task = import_string(job.task)
    make_tiers()
    with time_machine.travel(datetime(2025, 4, 2, 1, 30, tzinfo=SH), tick=False):
        result = task.enqueue()
        assert result.return_value["as_of"] == "2025-04-01" and result.return_value["first"] == 4
    with time_machine.travel(datetime(2025, 4, 3, 1, 30, tzinfo=SH), tick=False):
        assert task.enqueue().return_value is None  # same quarter: nothing to do
    assert TierChange.objects.count() == 4


def test_demo_computes_the_customer_metrics_once(org, customers):
    from guanxi.analytics.demo import compute_demo_metrics
    from guanxi.analytics.models import CustomerMetrics, MetricsRun

    assert "guanxi.analytics.demo.compute_demo_metrics" in settings.GUANXI_DEMO_EXTENSIONS
    order(customers.own, date(2025, 3, 1), 12000)
    counts = compute_demo_metrics(users={}, customers=[customers.own.pk])
    assert MetricsRun.objects.get().status == MetricsRun.Status.DONE
    assert counts["customer metrics"] == CustomerMetrics.objects.count() > 0
    assert CustomerMetrics.objects.filter(customer=customers.own, orders_count=1).exists()
