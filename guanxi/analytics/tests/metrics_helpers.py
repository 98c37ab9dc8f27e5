"""Small order histories for the metrics tests: customers, orders on given days, the frozen 'today'."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from guanxi.customers.models import Customer, Order, OrderLine, Product

SH = ZoneInfo("Asia/Shanghai")
AS_OF = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 10, 0, tzinfo=SH)  # "today" for tests that freeze the clock


def customer(owner: Any, name: str, *, created: date | None = None, **extra: Any) -> Customer:
    c = Customer.objects.create(name=name, owner=owner, department=getattr(owner, "employee", None)
                                and owner.employee.department, **extra)
    Customer.objects.filter(pk=c.pk).update(created_at=datetime.combine(created or date(2020, 1, 1), time(9),
                                                                        tzinfo=SH))
    c.refresh_from_db()
    return c


def order(c: Customer, day: date | int, amount: float | str = 100, *, cost: float | str = 0,
          refunded: float | str = 0, status: str = Order.Status.PAID, hour: int = 12,
          lines: list[tuple[Product, float]] | None = None) -> Order:
    """An order on `day` (a date, or days before AS_OF) at `hour` local time."""
    when = AS_OF - timedelta(days=day) if isinstance(day, int) else day
    o = Order.objects.create(customer=c, ordered_at=datetime.combine(when, time(hour), tzinfo=SH),
                             total_amount=Decimal(str(amount)), cost_amount=Decimal(str(cost)),
                             refunded_amount=Decimal(str(refunded)), status=status)
    # Recorded when it was placed (the refund rule reads updated_at); tests of late changes move it themselves.
    Order.objects.filter(pk=o.pk).update(created_at=o.ordered_at, updated_at=o.ordered_at)
    o.refresh_from_db()
    for product, quantity in lines or []:
        OrderLine.objects.create(order=o, product=product, quantity=Decimal(str(quantity)),
                                 unit_price=Decimal("1"), amount=Decimal(str(quantity)))
    return o


def every(c: Customer, *, start: int, step: int, count: int, amount: float = 100) -> None:
    """`count` orders, the first `start` days before AS_OF, then every `step` days."""
    for k in range(count):
        order(c, start - k * step, amount)


def survey_answer(c: Customer, kind: str, score: int, *, day: int = 10) -> Any:
    """A survey response of `kind` (nps / csat) with `score`, answered `day` days before AS_OF."""
    import secrets

    from guanxi.support.models import Survey, SurveyInvitation, SurveyResponse

    survey = Survey.objects.get_or_create(name=kind, kind=kind)[0]
    at = datetime.combine(AS_OF - timedelta(days=day), time(12), tzinfo=SH)
    invitation = SurveyInvitation.objects.create(survey=survey, token=secrets.token_hex(8), customer=c,
                                                 channel="link", expires_at=at + timedelta(days=14))
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey, kind=kind, customer=c, score=score)
    SurveyResponse.objects.filter(pk=response.pk).update(created_at=at)
    return response


def metrics_rows() -> list[dict[str, Any]]:
    """Every stored metrics row without the computed_at stamp, for comparing runs."""
    from guanxi.analytics.models import CustomerMetrics

    return [{k: v for k, v in row.items() if k != "computed_at"}
            for row in CustomerMetrics.objects.order_by("customer_id").values()]


def random_shop(owner: Any, *, n: int = 60, seed: int = 7, first_before: int = 700) -> list[Customer]:
    """`n` buyers with varied purchase rates and drop-outs (what BG/NBD assumes), dated before AS_OF."""
    import random

    rng = random.Random(seed)
    people = []
    for i in range(n):
        c = customer(owner, f"buyer {i}")
        day = rng.randint(30, first_before)
        rate = rng.choice([1 / 15, 1 / 40, 1 / 90, 1 / 200])
        while day > 0:
            order(c, day, rng.choice([30, 60, 120, 250]) * (1 + i % 3))
            if rng.random() < 0.15:  # drops out
                break
            day -= max(1, round(rng.expovariate(rate)))
        people.append(c)
    return people
