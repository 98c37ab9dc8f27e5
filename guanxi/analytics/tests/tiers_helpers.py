"""Tiers for the tier tests: 注册 / 银牌 / 金牌 (spend) and 钻石 (spend or points), orders on given days."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from guanxi.analytics.models import CustomerTier, Tier, TierPolicy
from guanxi.customers.models import Customer, Order

SH = ZoneInfo("Asia/Shanghai")


def make_tiers() -> dict[str, Tier]:
    rows = [("注册", 0, "0", None), ("银牌", 1, "3000", None), ("金牌", 2, "10000", None), ("钻石", 3, "50000", 5000)]
    return {name: Tier.objects.create(name=name, position=pos, min_spend=Decimal(spend), min_points=points,
                                      benefits=f"{name}权益")
            for name, pos, spend, points in rows}


def policy(**values: Any) -> TierPolicy:
    p = TierPolicy.current()
    for k, v in values.items():
        setattr(p, k, v)
    p.save()
    return p


def order(c: Customer, day: date, amount: str | int = 100, *, refunded: str | int = 0, hour: int = 12,
          status: str = Order.Status.PAID) -> Order:
    return Order.objects.create(customer=c, ordered_at=datetime.combine(day, time(hour), tzinfo=SH),
                                total_amount=Decimal(str(amount)), refunded_amount=Decimal(str(refunded)),
                                status=status)


def tier_of(c: Customer) -> str | None:
    row = CustomerTier.objects.select_related("tier").filter(customer=c).first()
    return row.tier.name if row and row.tier else None


def status(c: Customer) -> CustomerTier:
    return CustomerTier.objects.get(customer=c)
