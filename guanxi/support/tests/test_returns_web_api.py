from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from guanxi.customers.models import Order
from guanxi.support.models import ReturnRequest
from guanxi.support.services.returns import return_create, return_decide
from guanxi.support.services.tickets import ticket_create

from .test_returns_services import lines_of, make_order, request_return

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_order_page_button_and_refund_state(org, customers):
    order = make_order(org, customers.own)
    c = _client(org.rep)
    body = c.get(f"/customers/orders/{order.pk}/").content.decode()
    assert f'href="/support/returns/new/{order.pk}/"' in body and 'data-testid="order-refunded"' not in body
    assert "/support/returns/new/" not in _client(org.analyst).get(f"/customers/orders/{order.pk}/").content.decode()
    Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal("100"), status="partial")
    body = c.get(f"/customers/orders/{order.pk}/").content.decode()
    assert 'data-testid="order-refunded"' in body and "Partly refunded" in body


def test_request_form_and_create(org, customers):
    order = make_order(org, customers.own)
    kettle, cup = lines_of(order)
    c = _client(org.rep)
    body = c.get(f"/support/returns/new/{order.pk}/").content.decode()
    assert "Kettle" in body and f'name="qty_{kettle.pk}"' in body and 'data-price="100.00"' in body
    r = c.post(f"/support/returns/new/{order.pk}/", {"kind": "return", "reason": "quality", "reason_note": "Leaks",
                                                     f"qty_{kettle.pk}": "3", "refund_amount": "100"})
    assert r.status_code == 422 and "can still be returned" in r.content.decode()
    r = c.post(f"/support/returns/new/{order.pk}/", {"kind": "return", "reason": "quality",
                                                     f"qty_{kettle.pk}": "1", "refund_amount": "999"})
    assert r.status_code == 422 and "300.00 CNY" in r.content.decode()
    assert not ReturnRequest.objects.exists()
    r = c.post(f"/support/returns/new/{order.pk}/", {"kind": "return", "reason": "quality", "reason_note": "Leaks",
                                                     f"qty_{kettle.pk}": "1", f"qty_{cup.pk}": "0",
                                                     "refund_amount": "100"})
    created = ReturnRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/support/returns/{created.pk}/"
    assert created.lines.get().order_line == kettle
    body = c.get(f"/support/returns/new/{order.pk}/").content.decode()
    assert "At most 300.00 CNY" in body  # only approved refunds count against the maximum


def test_rep_cannot_open_form_for_another_reps_order(org, customers):
    order = make_order(org, customers.other_dept, actor=org.rep_west)
    c = _client(org.rep)
    assert c.get(f"/support/returns/new/{order.pk}/").status_code == 404
    assert c.post(f"/support/returns/new/{order.pk}/", {"kind": "refund", "reason": "late",
                                                        "refund_amount": "10"}).status_code == 404
    assert _client(org.analyst).get(f"/support/returns/new/{order.pk}/").status_code == 403
    assert not ReturnRequest.objects.exists()


def test_ticket_card(org, customers):
    order = make_order(org, customers.own)
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Broken", "type": "return",
                                                                    "order": order})
    c = _client(org.rep)
    assert f'hx-get="/support/returns/ticket/{t.pk}/card/"' in c.get(f"/support/{t.pk}/").content.decode()
    card = c.get(f"/support/returns/ticket/{t.pk}/card/", **HX).content.decode()
    assert f"/support/returns/new/{order.pk}/?ticket={t.pk}" in card
    r = c.post(f"/support/returns/new/{order.pk}/?ticket={t.pk}", {"kind": "refund", "reason": "late",
                                                                   "refund_amount": "20", "ticket": t.pk})
    assert r.status_code == 302 and ReturnRequest.objects.get().ticket == t
    card = c.get(f"/support/returns/ticket/{t.pk}/card/", **HX).content.decode()
    assert ReturnRequest.objects.get().number in card and "Waiting for approval" in card
    plain = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Q"})
    assert c.get(f"/support/returns/ticket/{plain.pk}/card/").content == b""


def test_list_queue_approve_complete_and_spend(org, customers):
    order = make_order(org, customers.own)
    r = request_return(org, order)
    rep = _client(org.rep)
    body = rep.get("/support/returns/").content.decode()
    assert r.number in body and 'data-testid="approval-queue"' not in body and 'data-testid="nav-returns"' in body
    assert r.number not in _client(org.rep_west).get("/support/returns/").content.decode()
    assert rep.get("/support/returns/", {"status": "bogus"}).status_code == 200
    assert r.number not in rep.get("/support/returns/", {"status": "completed"}, **HX).content.decode()
    # Approval needs the right.
    agent = _client(org.agent)
    assert agent.post(f"/support/returns/{r.pk}/decide/", {"decision": "approve"}).status_code == 403
    mgr = _client(org.service_manager)
    body = mgr.get("/support/returns/").content.decode()
    assert 'data-testid="approval-queue"' in body and r.number in body
    mgr.post(f"/support/returns/{r.pk}/decide/", {"decision": "reject", "note": ""})
    assert ReturnRequest.objects.get(pk=r.pk).status == "requested"
    resp = mgr.post(f"/support/returns/{r.pk}/decide/", {"decision": "approve", "version": r.version,
                                                        "next": "/support/returns/"})
    assert resp.status_code == 302 and resp["Location"] == "/support/returns/"
    assert ReturnRequest.objects.get(pk=r.pk).status == "approved"
    assert 'data-testid="complete-form"' in mgr.get(f"/support/returns/{r.pk}/").content.decode()
    assert agent.post(f"/support/returns/{r.pk}/complete/").status_code == 403
    mgr.post(f"/support/returns/{r.pk}/complete/", {"version": r.version})  # stale: refused
    assert ReturnRequest.objects.get(pk=r.pk).status == "approved"
    mgr.post(f"/support/returns/{r.pk}/complete/")
    order.refresh_from_db()
    assert order.status == "partial" and order.refunded_amount == Decimal("100.00")
    detail = rep.get(f"/support/returns/{r.pk}/").content.decode()
    assert "Completed" in detail and "Partly refunded" in detail
    page = rep.get(f"/customers/{customers.own.pk}/").content.decode()
    assert 'data-testid="customer-spend"' in page and "200.00" in page and "300.00 less 100.00 refunded" in page


def _api(user):
    c = _client(user)

    def post(path, body):
        return c.post("/api" + path, json.dumps(body), content_type="application/json")

    return c, post


def test_returns_api_flow(org, customers):
    order = make_order(org, customers.own)
    kettle = lines_of(order)[0]
    c, post = _api(org.rep)
    r = post("/returns", {"order": order.pk, "kind": "return", "reason": "quality",
                          "lines": [{"order_line": kettle.pk, "quantity": "1"}], "refund_amount": "100"})
    assert r.status_code == 201, r.content
    ret = r.json()
    assert ret["number"].startswith("R") and ret["status"] == "requested" and ret["lines"][0]["amount"] == "100.00"
    assert c.get("/api/returns").json()["items"][0]["id"] == ret["id"]
    assert c.get("/api/returns", {"status": "bogus"}).status_code == 400
    assert post(f"/returns/{ret['id']}/decide", {"approve": True}).status_code == 403
    _m, mgr = _api(org.service_manager)
    assert mgr(f"/returns/{ret['id']}/decide", {"approve": True, "version": ret["version"] + 5}).status_code == 409
    r = mgr(f"/returns/{ret['id']}/decide", {"approve": True, "note": "ok", "version": ret["version"]})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert mgr(f"/returns/{ret['id']}/complete", {"version": ret["version"]}).status_code == 409
    r = mgr(f"/returns/{ret['id']}/complete", {"version": r.json()["version"]})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert r.json()["order_status"] == "partial" and r.json()["order_refunded_amount"] == "100.00"
    spend = c.get(f"/api/customers/{customers.own.pk}/spend").json()
    assert spend == {"orders": 1, "gross": "300.00", "refunded": "100.00", "net": "200.00"}


def test_returns_api_bad_input_and_visibility(org, customers):
    order = make_order(org, customers.own)
    other = make_order(org, customers.own)
    _c, post = _api(org.rep)
    r = post("/returns", {"order": order.pk, "kind": "refund", "reason": "late", "refund_amount": "300.01"})
    assert r.status_code == 422 and "300.00 CNY" in r.json()["errors"]["refund_amount"][0]
    r = post("/returns", {"order": order.pk, "kind": "return", "reason": "quality", "refund_amount": "10",
                          "lines": [{"order_line": lines_of(other)[0].pk, "quantity": 1}]})
    assert r.status_code == 422 and "lines.0.order_line" in r.json()["errors"]
    assert post("/returns", {"order": order.pk, "kind": "swap", "reason": "late"}).status_code == 422
    west_order = make_order(org, customers.other_dept, actor=org.rep_west)
    assert post("/returns", {"order": west_order.pk, "kind": "refund", "reason": "late",
                             "refund_amount": "1"}).status_code == 404
    west = return_create(actor=org.rep_west, order=west_order, kind="refund", reason="late", lines=[],
                         refund_amount="5")
    assert _c.get(f"/api/returns/{west.pk}").status_code == 404
    assert _c.get(f"/api/customers/{customers.other_dept.pk}/spend").status_code == 404
    assert not ReturnRequest.objects.exclude(pk=west.pk).exists()
    return_decide(actor=org.service_manager, request=west, approve=False, note="no", version=None)
