"""Demo member tiers (注册 / 铜牌 / 银牌 / 金牌 / 钻石) and one re-tier run, for the demo data.

`write_demo` is called by the customers demo loader through GUANXI_DEMO_EXTENSIONS once the customers and
their orders exist (the customers app does not import analytics).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Tier, TierPolicy
from .services.tiers import retier

# name, rank, rolling 12-month spend (CNY), or points, benefits
DEFAULT_TIERS = [
    ("注册会员", 0, "0", None, "新品资讯与活动通知\n生日祝福"),
    ("铜牌会员", 1, "2000", 2000, "全场 98 折\n生日礼券 ¥20\n积分 1.2 倍"),
    ("银牌会员", 2, "10000", 10000, "全场 95 折\n生日礼券 ¥50\n积分 1.5 倍\n免费送货上门"),
    ("金牌会员", 3, "30000", 30000, "全场 92 折\n专属客户经理\n积分 2 倍\n优先发货\n每季度新品试用"),
    ("钻石会员", 4, "80000", 80000, "全场 88 折\n专属客户经理 7×24 小时响应\n积分 3 倍\n年度答谢会邀请\n免费安装与维保"),
]


def default_tiers() -> list[Tier]:
    """The demo's five tiers, unsaved; thresholds rise with the rank (spend, or the same number of points)."""
    return [Tier(name=name, position=position, min_spend=Decimal(spend), min_points=points, benefits=benefits,
                 is_active=True)
            for name, position, spend, points, benefits in DEFAULT_TIERS]


@transaction.atomic
def write_demo(*, users: Mapping[str, Any] | None = None, customers: Iterable[int] = (), **_: Any) -> dict[str, int]:
    """Create the default tiers (when there are none), quarterly re-tiering with downgrade protection, and
    re-tier everyone as of today. Returns counts for the demo summary."""
    created = 0
    if not Tier.objects.exists():
        created = len(Tier.objects.bulk_create(default_tiers()))
    policy = TierPolicy.current()
    TierPolicy.objects.filter(pk=policy.pk).update(period=TierPolicy.Period.QUARTER, window_months=12,
                                                   downgrade_protection=True)
    today = timezone.localdate()
    if policy.last_run_on is not None and policy.last_run_on > today:
        return {"tier": created}
    summary = retier(as_of=today)
    return {"tier": created, "customer tier": summary["customers"]}


def compute_demo_metrics(**_: Any) -> dict[str, int]:
    """One analysis run over the demo, so the value dashboard, reports and customer cards have figures from the
    start (the nightly job keeps them current afterwards)."""
    from .models import CustomerMetrics
    from .services.runs import run_now

    run_now(as_of=timezone.localdate())
    return {"customer metrics": CustomerMetrics.objects.count()}
