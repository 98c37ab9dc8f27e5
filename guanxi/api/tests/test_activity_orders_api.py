"""Contacts, follow-ups, tasks, products, orders, custom fields, timeline and recycle bin via the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.customers.models import Contact, Order, Task


def test_contacts_round_trip(org, customers, api):
    rep = api(org.rep)
    pk = customers.own.pk
    r = rep.post(f"/customers/{pk}/contacts", {"name": "张三", "mobile": "138 0013 8000", "email": "zs@example.com"})
    assert r.status_code == 201, r.content
    contact = r.json()
    assert contact["mobile"] == "+8613800138000" and contact["is_primary"] is True
    assert [c["id"] for c in rep.walk(f"/customers/{pk}/contacts")] == [contact["id"]]
    r = rep.patch(f"/contacts/{contact['id']}", {"version": 1, "title": "经理", "wechat": None})
    assert r.status_code == 200 and r.json()["title"] == "经理"
    assert rep.patch(f"/contacts/{contact['id']}", {"version": 1, "title": "x"}).status_code == 409
    assert api(org.rep_west).get(f"/contacts/{contact['id']}").status_code == 404
    assert api(org.rep_west).get(f"/customers/{pk}/contacts").status_code == 404
    assert rep.delete(f"/contacts/{contact['id']}").status_code == 204
    assert rep.walk(f"/customers/{pk}/contacts") == []


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "mobile": "12345"}, "mobile"),
    ({"name": "x", "email": "not-an-email"}, "email"),
    ({"name": "x", "birthday": "1990-13-01"}, "birthday"),
    ({"name": "x" * 101}, "name"),
])
def test_bad_contact_input_is_422(org, customers, api, body, field):
    r = api(org.rep).post(f"/customers/{customers.own.pk}/contacts", body)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    assert not Contact.objects.exists()


def test_follow_up_with_next_date_creates_a_task(org, customers, api):
    rep = api(org.rep)
    pk = customers.own.pk
    contact = rep.post(f"/customers/{pk}/contacts", {"name": "张三"}).json()
    due = (timezone.now() + timedelta(days=2)).isoformat()
    r = rep.post(f"/customers/{pk}/interactions", {
        "channel": "wechat", "summary": "报价已发送", "contact": contact["id"], "next_follow_up_at": due,
    })
    assert r.status_code == 201, r.content
    interaction = r.json()
    assert interaction["staff"] == org.rep.pk and interaction["contact"] == contact["id"]
    assert [i["id"] for i in rep.walk(f"/customers/{pk}/interactions")] == [interaction["id"]]
    tasks = rep.walk("/tasks", when="upcoming")
    assert len(tasks) == 1 and tasks[0]["interaction"] == interaction["id"] and tasks[0]["customer"] == pk
    assert rep.walk("/tasks", when="today") == []

    bad = rep.post(f"/customers/{pk}/interactions", {"summary": "x", "channel": "pigeon"})
    assert bad.status_code == 422 and "channel" in bad.json()["errors"]
    bad = rep.post(f"/customers/{pk}/interactions", {"summary": "x", "occurred_at": "yesterday"})
    assert bad.status_code == 422 and "occurred_at" in bad.json()["errors"]
    other_contact = Contact.objects.create(customer=customers.other_dept, name="别人")
    bad = rep.post(f"/customers/{pk}/interactions", {"summary": "x", "contact": other_contact.pk})
    assert bad.status_code == 422 and "contact" in bad.json()["errors"]

    r = rep.patch(f"/interactions/{interaction['id']}", {"version": 1, "summary": "报价已确认"})
    assert r.status_code == 200 and r.json()["summary"] == "报价已确认"
    assert api(org.analyst).patch(f"/interactions/{interaction['id']}", {"version": 2, "summary": "x"}).status_code == 403
    assert rep.delete(f"/interactions/{interaction['id']}").status_code == 204
    assert rep.get(f"/interactions/{interaction['id']}").status_code == 404


def test_tasks(org, customers, api):
    rep = api(org.rep)
    now = timezone.now()
    r = rep.post("/tasks", {"title": "回访", "due_at": (now - timedelta(days=3)).isoformat(),
                            "customer": customers.own.pk})
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["assignee"] == org.rep.pk and task["done"] is False
    assert [t["id"] for t in rep.walk("/tasks", when="overdue")] == [task["id"]]
    assert rep.get("/tasks", when="someday").status_code == 400
    assert rep.post("/tasks", {"title": "x", "due_at": now.isoformat(),
                               "assignee": org.rep_west.pk}).status_code == 422
    assert rep.post("/tasks", {"title": "x", "due_at": now.isoformat(),
                               "customer": customers.other_dept.pk}).status_code == 404
    r = rep.post(f"/tasks/{task['id']}/complete", {"version": 1})
    assert r.status_code == 200 and r.json()["done"] is True
    assert [t["id"] for t in rep.walk("/tasks", when="done")] == [task["id"]]
    assert rep.post(f"/tasks/{task['id']}/reopen", {"version": 1}).status_code == 409
    assert rep.post(f"/tasks/{task['id']}/reopen").json()["done"] is False
    r = rep.patch(f"/tasks/{task['id']}", {"version": 3, "title": "再次回访"})
    assert r.status_code == 200 and r.json()["title"] == "再次回访"
    assert api(org.rep_west).get(f"/tasks/{task['id']}").status_code == 404
    assert rep.delete(f"/tasks/{task['id']}").status_code == 204
    assert not Task.objects.visible_to(org.rep).exists()


def test_products_and_orders(org, customers, api):
    admin, rep = api(org.admin), api(org.rep)
    r = admin.post("/products", {"sku": "TEA-1", "name": "龙井", "price": "128.50"})
    assert r.status_code == 201, r.content
    product = r.json()
    assert api(org.analyst).post("/products", {"sku": "X", "name": "x"}).status_code == 403
    assert admin.post("/products", {"sku": "N", "name": "x", "price": "-1"}).status_code == 422
    assert admin.patch(f"/products/{product['id']}", {"price": "130"}).json()["price"] == "130.00"
    assert [p["sku"] for p in rep.walk("/products")] == ["TEA-1"]

    pk = customers.own.pk
    r = rep.post(f"/customers/{pk}/orders", {
        "ordered_at": timezone.now().isoformat(), "external_source": "shop", "external_id": "A-1",
        "lines": [{"product": product["id"], "quantity": "2"}, {"description": "运费", "unit_price": "10"}],
    })
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["total_amount"] == "270.00" and len(order["lines"]) == 2 and order["currency"] == "CNY"
    assert rep.get(f"/customers/{pk}").json()["lifecycle"] == "active"
    assert [o["id"] for o in rep.walk("/orders")] == [order["id"]]
    assert [o["id"] for o in rep.walk(f"/customers/{pk}/orders")] == [order["id"]]
    assert api(org.rep_west).walk("/orders") == []
    assert api(org.rep_west).get(f"/orders/{order['id']}").status_code == 404

    bad = rep.post(f"/customers/{pk}/orders", {"ordered_at": "2024-05-31T10:00:00+08:00",
                                               "lines": [{"description": "x", "unit_price": "-5"}]})
    assert bad.status_code == 422 and "lines.0.unit_price" in bad.json()["errors"], bad.content
    bad = rep.post(f"/customers/{pk}/orders", {"ordered_at": "31.05.2024", "total_amount": "-1"})
    assert bad.status_code == 422 and "ordered_at" in bad.json()["errors"]
    bad = rep.post(f"/customers/{pk}/orders", {"ordered_at": "2024-05-31T10:00:00+08:00", "total_amount": "-1"})
    assert bad.status_code == 422 and "total_amount" in bad.json()["errors"]
    assert Order.objects.count() == 1

    r = rep.patch(f"/orders/{order['id']}", {"version": 1, "status": "refunded"})
    assert r.status_code == 200 and r.json()["status"] == "refunded"
    assert rep.patch(f"/orders/{order['id']}", {"version": 1, "status": "paid"}).status_code == 409
    assert rep.delete(f"/orders/{order['id']}").status_code == 403
    assert api(org.manager).delete(f"/orders/{order['id']}").status_code == 204
    manager = api(org.manager)
    assert [i["id"] for i in manager.walk("/recycle-bin/order")] == [order["id"]]
    r = manager.post(f"/recycle-bin/order/{order['id']}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    assert rep.get(f"/orders/{order['id']}").status_code == 200


def test_custom_fields_are_configured_by_admins(org, api):
    body = {"entity": "customer", "key": "grade", "label": "等级", "field_type": "choice", "choices": ["A", "B"]}
    assert api(org.manager).post("/custom-fields", body).status_code == 403
    r = api(org.admin).post("/custom-fields", body)
    assert r.status_code == 201, r.content
    field = r.json()
    assert [f["key"] for f in api(org.rep).walk("/custom-fields", entity="customer")] == ["grade"]
    assert api(org.rep).get("/custom-fields", entity="planet").status_code == 400
    assert api(org.admin).post("/custom-fields", {**body, "key": "Bad Key"}).status_code == 422
    bad = api(org.admin).post("/custom-fields", {**body, "key": "g2", "field_type": "colour"})
    assert bad.status_code == 422 and "field_type" in bad.json()["errors"]
    assert api(org.rep).patch(f"/custom-fields/{field['id']}", {"label": "x"}).status_code == 403
    r = api(org.admin).patch(f"/custom-fields/{field['id']}", {"label": "客户等级", "required": True})
    assert r.status_code == 200 and r.json()["label"] == "客户等级"
    r = api(org.rep).post("/customers", {"name": "无等级"})
    assert r.status_code == 422 and "custom.grade" in r.json()["errors"]
    assert api(org.rep).post("/customers", {"name": "有等级", "custom": {"grade": "A"}}).status_code == 201


def test_timeline_is_paginated(org, customers, api):
    rep = api(org.rep)
    pk = customers.own.pk
    for i in range(5):
        rep.post(f"/customers/{pk}/interactions", {"summary": f"跟进{i}"})
    items = []
    r = rep.get(f"/customers/{pk}/timeline", limit=3).json()
    items += r["items"]
    while r["next_cursor"]:
        r = rep.get(f"/customers/{pk}/timeline", limit=3, cursor=r["next_cursor"]).json()
        items += r["items"]
    keys = [(i["kind"], i["id"]) for i in items]
    assert len(keys) == len(set(keys))
    assert sum(1 for k, _ in keys if k == "interaction") == 5
    assert {k for k, _ in keys} == {"interaction", "change"}
    assert rep.get(f"/customers/{pk}/timeline", colour="red").status_code == 400
    assert rep.get(f"/customers/{pk}/timeline", kinds="gossip").status_code == 400
    assert api(org.rep_west).get(f"/customers/{pk}/timeline").status_code == 404


def test_recycle_bin_needs_restore_capability(org, customers, api):
    assert api(org.rep).get("/recycle-bin/customer").status_code == 403
    assert api(org.manager).get("/recycle-bin/planet").status_code == 404
    api(org.admin).delete(f"/customers/{customers.other_dept.pk}")
    # The East manager cannot see West's deleted customer; the admin can.
    assert api(org.manager).walk("/recycle-bin/customer") == []
    assert api(org.manager).post(f"/recycle-bin/customer/{customers.other_dept.pk}/restore").status_code == 404
    assert [i["id"] for i in api(org.admin).walk("/recycle-bin/customer")] == [customers.other_dept.pk]
