"""Small hand-made data for the report and dashboard tests: customers, orders and metrics rows on given days."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guanxi.analytics.models import CustomerMetrics
from guanxi.customers.models import Customer, Order, OrderLine, Product

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2025, 6, 30)
NOW = datetime(2025, 6, 30, 10, 0, tzinfo=SH)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SH)


def customer(owner: Any, name: str, **extra: Any) -> Customer:
    department = owner.employee.department if owner is not None else None
    return Customer.objects.create(name=name, owner=owner, department=department, **extra)


def order(c: Customer, day: date, amount: float | str, *, cost: float | str = 0, refunded: float | str = 0,
          status: str = Order.Status.PAID, lines: list[tuple[Product, float]] | None = None) -> Order:
    o = Order.objects.create(customer=c, ordered_at=at(day), total_amount=Decimal(str(amount)),
                             cost_amount=Decimal(str(cost)), refunded_amount=Decimal(str(refunded)), status=status)
    for product, amount_ in lines or []:
        OrderLine.objects.create(order=o, product=product, quantity=Decimal("1"), unit_price=Decimal(str(amount_)),
                                 amount=Decimal(str(amount_)))
    return o


def metrics(c: Customer, **fields: Any) -> CustomerMetrics:
    values: dict[str, Any] = {"as_of": TODAY, "computed_at": NOW}
    values.update(fields)
    return CustomerMetrics.objects.create(customer=c, **values)


def product(name: str, category: str) -> Product:
    return Product.objects.create(sku=name, name=name, category=category)
