"""GET /api/orders: the same OrderFilter as the web order list (status, channel, dates, search, sort)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from guanxi.customers.filters import ORDER_SORTS, OrderFilter
from guanxi.customers.models import Order
from guanxi.customers.services.orders import order_create


def _at(day: str, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """A moment on `day` in the site's time zone (the filter's days are local days)."""
    date = datetime.date.fromisoformat(day)
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(hour, minute)))


@pytest.fixture
def orders(org, customers):
    class Orders:
        pass

    o = Orders()
    o.early = order_create(actor=org.rep, customer=customers.own, data={
        "number": "SO-001", "ordered_at": _at("2024-03-01", 0, 10), "status": Order.Status.PAID,
        "channel": Order.Channel.STORE, "total_amount": Decimal("100")})
    o.mid = order_create(actor=org.rep, customer=customers.own, data={
        "number": "SO-002", "ordered_at": _at("2024-03-15"), "status": Order.Status.REFUNDED,
        "channel": Order.Channel.ONLINE, "total_amount": Decimal("50")})
    o.late = order_create(actor=org.rep_sh, customer=customers.same_dept, data={
        "number": "SH-003", "ordered_at": _at("2024-03-31", 23, 50), "status": Order.Status.PAID,
        "channel": Order.Channel.ONLINE, "total_amount": Decimal("300")})
    o.other = order_create(actor=org.rep_west, customer=customers.other_dept, data={
        "number": "CD-004", "ordered_at": _at("2024-04-01", 0, 5), "status": Order.Status.CANCELLED,
        "channel": Order.Channel.STORE, "total_amount": Decimal("80")})
    return o


def _ids(client, **params) -> set[int]:
    return {o["id"] for o in client.walk("/orders", **params)}


def test_status_and_channel(org, orders, api):
    admin = api(org.admin)
    assert _ids(admin, status="paid") == {orders.early.pk, orders.late.pk}
    assert _ids(admin, channel="online") == {orders.mid.pk, orders.late.pk}
    assert _ids(admin, status="paid", channel="store") == {orders.early.pk}
    assert _ids(admin, status="cancelled") == {orders.other.pk}


def test_date_range_uses_whole_local_days(org, orders, api):
    admin = api(org.admin)
    # 00:10 on the first day and 23:50 on the last day are both inside the range.
    assert _ids(admin, date_from="2024-03-01", date_to="2024-03-31") == {
        orders.early.pk, orders.mid.pk, orders.late.pk}
    assert _ids(admin, date_from="2024-03-02") == {orders.mid.pk, orders.late.pk, orders.other.pk}
    assert _ids(admin, date_to="2024-03-01") == {orders.early.pk}
    assert _ids(admin, date_from="2024-03-15", date_to="2024-03-15") == {orders.mid.pk}


def test_search_by_customer_or_order_number(org, orders, api):
    admin = api(org.admin)
    assert _ids(admin, q="张三") == {orders.early.pk, orders.mid.pk}
    assert _ids(admin, q="zhangsan") == {orders.early.pk, orders.mid.pk}
    assert _ids(admin, q="SH-003") == {orders.late.pk}
    assert _ids(admin, q="无此客户") == set()


def test_filters_stay_inside_what_the_user_sees(org, orders, api):
    rep = api(org.rep)
    assert _ids(rep) == {orders.early.pk, orders.mid.pk}
    assert _ids(rep, q="CD-004") == set()
    assert _ids(rep, q="成都") == set()
    assert _ids(rep, channel="online") == {orders.mid.pk}


@pytest.mark.parametrize("sort", list(ORDER_SORTS))
def test_sort_and_cursor_walk_every_order_once(org, orders, api, sort):
    admin = api(org.admin)
    ids = [o["id"] for o in admin.walk("/orders", limit=1, sort=sort)]
    assert len(ids) == len(set(ids)) == 4
    form = OrderFilter({"sort": sort})
    assert form.is_valid()
    assert ids == list(form.apply(Order.objects.all()).values_list("id", flat=True))


@pytest.mark.parametrize("query", [{"colour": "red"}, {"customer": "1"}, {"status": "lost"}, {"channel": "tv"},
                                   {"date_from": "31/03/2024"}, {"sort": "customer__name"},
                                   {"date_to": "2024-02-30"}, {"limit": "0"}])
def test_bad_parameters_are_400_naming_them(org, orders, api, query):
    r = api(org.admin).get("/orders", **query)
    assert r.status_code == 400, r.content
    assert set(query) <= set(r.json()["errors"])


def test_reversed_date_range_is_400_on_date_to(org, orders, api):
    r = api(org.admin).get("/orders", date_from="2024-04-01", date_to="2024-03-01")
    assert r.status_code == 400, r.content
    assert list(r.json()["errors"]) == ["date_to"]


def test_query_parameters_are_documented_from_the_filter(db, client):
    schema = client.get("/api/openapi.json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/orders"]["get"]["parameters"]}
    assert set(OrderFilter.base_fields) | {"limit", "cursor"} == set(params)
    assert params["status"]["schema"]["enum"] == [v for v, _ in Order.Status.choices]
