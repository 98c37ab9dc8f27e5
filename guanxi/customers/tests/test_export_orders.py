"""The order export takes the order list's filters (OrderFilter), like /customers/orders/ and GET /api/orders."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.services.orders import order_create
from guanxi.governance.models import AuditLog

HX = {"HTTP_HX_REQUEST": "true"}


def numbers(response) -> set[str]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    col = rows[0].index("Order number")
    return {r[col] for r in rows[1:-1]}


@pytest.fixture
def orders(org, customers):
    now = timezone.now()
    order_create(actor=org.rep, customer=customers.own, data={
        "number": "A-1", "ordered_at": now, "total_amount": 10, "status": "paid", "channel": "online"})
    order_create(actor=org.rep, customer=customers.own, data={
        "number": "A-2", "ordered_at": now - datetime.timedelta(days=40), "total_amount": 20, "status": "refunded"})
    order_create(actor=org.admin, customer=customers.pool, data={
        "number": "P-1", "ordered_at": now, "total_amount": 30, "status": "paid", "channel": "store"})
    order_create(actor=org.rep_west, customer=customers.other_dept, data={
        "number": "W-1", "ordered_at": now, "total_amount": 40, "status": "paid"})


def test_order_export_honours_the_order_filter(client, org, orders):
    client.force_login(org.manager)  # East: not the West rep's order
    url = reverse("customers_io:export", args=["order", "csv"])
    assert numbers(client.get(url)) == {"A-1", "A-2", "P-1"}
    assert numbers(client.get(url, {"status": "paid"})) == {"A-1", "P-1"}
    assert numbers(client.get(url, {"channel": "store"})) == {"P-1"}
    assert numbers(client.get(url, {"q": "A-2"})) == {"A-2"}
    start = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    assert numbers(client.get(url, {"date_from": start, "status": ""})) == {"A-1", "P-1"}
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("id")
    assert entry.entity == "order" and entry.changes["rows"] == 2
    assert entry.changes["filters"] == {"date_from": start}
    response = client.get(url, {"date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert response.status_code == 400 and "date_to" in response.content.decode()


def test_api_order_export_matches_api_order_list(client, org, orders):
    client.force_login(org.manager)
    listed = {o["number"] for o in client.get("/api/orders", {"status": "paid"}).json()["items"]}
    assert numbers(client.get("/api/exports/order.csv", {"status": "paid"})) == listed == {"A-1", "P-1"}
    response = client.get("/api/exports/order.csv", {"sort": "name"})  # a customer-list sort: not valid here
    assert response.status_code == 422 and "sort" in response.json()["errors"]


def test_order_list_export_links_carry_the_current_filters(client, org, orders):
    client.force_login(org.analyst)
    body = client.get(reverse("customers:order_list"), {"status": "paid", "channel": ""}, **HX).content.decode()
    assert "<html" not in body
    assert reverse("customers_io:export", args=["order", "xlsx"]) + "?status=paid" in body
    assert reverse("customers_io:export", args=["order", "csv"]) + "?status=paid" in body
    body = client.get(reverse("customers:order_list"), {"date_from": "nonsense"}).content.decode()
    assert 'data-testid="order-export"' not in body  # no export while the filters are invalid
