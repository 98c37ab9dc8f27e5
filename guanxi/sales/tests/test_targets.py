"""Targets (业绩目标) and performance: who sets what, bad input, and the four actuals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Order, Product
from guanxi.customers.services.activity import interaction_create
from guanxi.customers.services.orders import order_create, product_save
from guanxi.sales.models import Target
from guanxi.sales.selectors.forecast import parse_period
from guanxi.sales.selectors.performance import actuals, performance, target_list
from guanxi.sales.services.targets import target_create, target_delete, target_update

MAY = parse_period("2025-05")


def at(day: int, month: int = 5, year: int = 2025) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 10, 0))


def data(**kw):
    return {"period": "month", "period_start": date(2025, 5, 17), "metric": "revenue", "value": Decimal("100000"),
            **kw}


def test_admin_sets_company_target_normalised_to_first_day(org):
    t = target_create(actor=org.admin, data=data())
    assert t.period_start == date(2025, 5, 1) and t.department is None and t.user is None
    q = target_create(actor=org.admin, data=data(period="quarter", period_start=date(2025, 5, 17)))
    assert q.period_start == date(2025, 4, 1)


def test_negative_and_duplicate_are_field_errors(org):
    with pytest.raises(ValidationError) as err:
        target_create(actor=org.admin, data=data(value=Decimal("-1")))
    assert "value" in err.value.message_dict
    target_create(actor=org.admin, data=data())
    with pytest.raises(ValidationError) as err:
        target_create(actor=org.admin, data=data(period_start=date(2025, 5, 2)))
    assert "period_start" in err.value.message_dict
    target_create(actor=org.admin, data=data(user=org.rep))
    with pytest.raises(ValidationError) as err:
        target_create(actor=org.admin, data=data(user=org.rep))
    assert "period_start" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        target_create(actor=org.admin, data=data(user=org.rep, department=org.east))
    assert "user" in err.value.message_dict
    assert Target.objects.count() == 2


def test_manager_scope(org):
    target_create(actor=org.manager, data=data(department=org.shanghai))
    target_create(actor=org.manager, data=data(user=org.rep_sh))
    with pytest.raises(ValidationError) as err:
        target_create(actor=org.manager, data=data(department=org.west))
    assert "department" in err.value.message_dict
    with pytest.raises(ValidationError):
        target_create(actor=org.manager, data=data(user=org.rep_west))
    with pytest.raises(ValidationError):
        target_create(actor=org.manager, data=data())  # company-wide: administrators only
    west = target_create(actor=org.admin, data=data(department=org.west))
    with pytest.raises(PermissionDeniedError):
        target_update(actor=org.manager, target=west, data={"value": Decimal("1")})
    with pytest.raises(PermissionDeniedError):
        target_delete(actor=org.manager, target=west)


@pytest.mark.parametrize("role", ["rep", "service_manager", "agent", "marketing", "analyst"])
def test_others_may_not_set_targets(org, role):
    with pytest.raises(PermissionDeniedError):
        target_create(actor=getattr(org, role), data=data(user=getattr(org, role)))


def test_who_sees_which_targets(org):
    company = target_create(actor=org.admin, data=data())
    west = target_create(actor=org.admin, data=data(department=org.west))
    rep = target_create(actor=org.admin, data=data(user=org.rep))
    sh = target_create(actor=org.admin, data=data(user=org.rep_sh))
    assert set(target_list(user=org.rep)) == {rep}
    assert set(target_list(user=org.manager)) == {rep, sh}
    assert set(target_list(user=org.analyst)) == {company, west, rep, sh}


@pytest.fixture
def sales(org, customers):
    """May 2025: rep sells twice to 张三 (first ever order on May 3), rep_sh once; a refunded order;
    an older April order for the pool customer makes its May order not a new customer."""
    printer = product_save(actor=org.admin, product=Product(), data={
        "sku": "P1", "name": "打印机", "price": Decimal("1000"), "cost": Decimal("600")})
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": at(3), "total_amount": Decimal("5000"),
                                                               "cost_amount": Decimal("3000")})
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": at(20)},
                 lines=[{"product": printer, "quantity": Decimal("2")}])  # 2000, cost from lines: 1200
    order_create(actor=org.rep_sh, customer=customers.same_dept, data={"ordered_at": at(9),
                                                                      "total_amount": Decimal("800")})
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": at(10), "total_amount": Decimal("9999"),
                                                               "status": Order.Status.REFUNDED})
    order_create(actor=org.admin, customer=customers.pool, data={"ordered_at": at(20, 4), "salesperson": org.rep,
                                                                  "total_amount": Decimal("100")})
    order_create(actor=org.admin, customer=customers.pool, data={"ordered_at": at(21), "salesperson": org.rep,
                                                                  "total_amount": Decimal("300"),
                                                                  "cost_amount": Decimal("100")})
    for i in range(3):
        interaction_create(actor=org.rep, customer=customers.own, data={"summary": f"电话{i}",
                                                                          "occurred_at": at(5 + i)})
    interaction_create(actor=org.rep, customer=customers.own, data={"summary": "四月", "occurred_at": at(5, 4)})


def test_actuals(org, customers, sales):
    a = actuals(user=org.admin, period=MAY)
    assert a.person(org.rep.pk, "revenue") == Decimal("7300")
    assert a.person(org.rep.pk, "gross_profit") == Decimal("2000") + Decimal("800") + Decimal("200")
    assert a.person(org.rep.pk, "new_customers") == 1  # 张三; the pool customer bought in April already
    assert a.person(org.rep_sh.pk, "new_customers") == 1
    assert a.person(org.rep_sh.pk, "gross_profit") == Decimal("800")  # no cost, no lines: all profit
    assert a.person(org.rep.pk, "follow_ups") == 3
    assert a.department(org.east.pk, "revenue") == Decimal("8100")  # East includes Shanghai
    assert a.department(org.shanghai.pk, "revenue") == Decimal("800")
    assert a.company("new_customers") == 2


def test_performance_progress_and_ranking(org, customers, sales):
    target_create(actor=org.admin, data=data(user=org.rep, value=Decimal("14600")))
    target_create(actor=org.admin, data=data(metric="new_customers", department=org.east, value=Decimal("4")))
    perf = performance(user=org.admin, period=MAY)
    by_metric = {p.target.metric: p for p in perf.progress}
    assert by_metric["revenue"].actual == Decimal("7300") and by_metric["revenue"].percent == 50.0
    assert by_metric["new_customers"].actual == 2 and by_metric["new_customers"].percent == 50.0
    assert [r.user for r in perf.ranking][:2] == [org.rep, org.rep_sh]  # same customers won: more profit first


def test_performance_respects_visibility(org, customers, sales):
    perf = performance(user=org.rep_sh, period=MAY)
    # rep_sh sees their own orders and the public pool's (sold by rep), not rep's own customers.
    assert {r.user: r.revenue for r in perf.ranking} == {org.rep_sh: Decimal("800"), org.rep: Decimal("300")}
    assert perf.totals["revenue"] == Decimal("800") + Decimal("300")  # own + the public pool's order


def test_period_boundaries_in_shanghai_time(org, customers):
    # 2025-05-31 23:30 Shanghai is still May; 2025-06-01 00:10 is June.
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": at(31) + timedelta(hours=13, minutes=30),
                                                               "total_amount": Decimal("1")})
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": at(1, 6) - timedelta(hours=9, minutes=50),
                                                               "total_amount": Decimal("10")})
    assert actuals(user=org.admin, period=MAY).person(org.rep.pk, "revenue") == Decimal("1")
