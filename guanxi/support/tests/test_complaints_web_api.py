from __future__ import annotations

import json

import pytest
from django.test import Client

from guanxi.support.models import ComplaintStep, Ticket
from guanxi.support.services.complaints import step_mark
from guanxi.support.services.tickets import ticket_create, ticket_set_status

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _complaint(org, customers):
    return ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Cold soup", "type": "complaint"})


def test_ticket_page_loads_card_lazily_only_for_complaints(org, customers):
    t = _complaint(org, customers)
    c = _client(org.rep)
    body = c.get(f"/support/{t.pk}/").content.decode()
    assert f'hx-get="/support/complaints/{t.pk}/card/"' in body
    card = c.get(f"/support/complaints/{t.pk}/card/", **HX).content.decode()
    assert 'data-testid="complaint-card"' in card and "Follow up within one week" in card and "<html" not in card
    inquiry = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Q"})
    assert "complaints/" not in c.get(f"/support/{inquiry.pk}/").content.decode()
    assert c.get(f"/support/complaints/{inquiry.pk}/card/").content == b""
    assert _client(org.rep_west).get(f"/support/complaints/{t.pk}/card/").status_code == 404


def test_tick_step_via_htmx_shows_who_and_when(org, customers):
    t = _complaint(org, customers)
    c = _client(org.rep)
    r = c.post(f"/support/complaints/{t.pk}/steps/apologise/", {"done": "on", "note": "Said sorry"}, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="step-done-apologise"' in body and "Said sorry" in body
    step = ComplaintStep.objects.get(ticket=t, step="apologise")
    assert step.done_by == org.rep
    r = c.post(f"/support/complaints/{t.pk}/steps/apologise/", {}, **HX)
    assert 'data-testid="step-done-apologise"' not in r.content.decode()
    assert ComplaintStep.objects.get(ticket=t, step="apologise").done_at is None
    r = c.post(f"/support/complaints/{t.pk}/steps/bogus/", {"done": "on"}, **HX)
    assert r.status_code == 422 and 'data-testid="complaint-error"' in r.content.decode()
    assert _client(org.analyst).post(f"/support/complaints/{t.pk}/steps/apologise/", {"done": "on"}).status_code == 403


def test_compensation_form(org, customers):
    t = _complaint(org, customers)
    c = _client(org.rep)
    r = c.post(f"/support/complaints/{t.pk}/compensations/", {"kind": "refund", "amount": "", "cost": "5"}, **HX)
    assert r.status_code == 422 and "Enter the amount refunded." in r.content.decode()
    r = c.post(f"/support/complaints/{t.pk}/compensations/",
               {"kind": "gift", "amount": "30", "cost": "12.5", "description": "Flowers"}, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and "Flowers" in body and "12.50" in body
    assert ComplaintStep.objects.get(ticket=t, step="compensate").done_at is not None


def test_close_anyway_offered_to_managers_only(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    card = _client(org.agent).get(f"/support/complaints/{t.pk}/card/").content.decode()
    assert 'data-testid="close-anyway"' not in card and "Follow-up task due" in card
    mgr = _client(org.service_manager)
    assert 'data-testid="close-anyway"' in mgr.get(f"/support/complaints/{t.pk}/card/").content.decode()
    # The plain Close button is refused while the follow-up is open.
    _client(org.rep).post(f"/support/{t.pk}/status/", {"status": "closed"})
    assert Ticket.objects.get(pk=t.pk).status == "resolved"
    # An agent posting a reason is refused; an empty reason is refused.
    _client(org.agent).post(f"/support/complaints/{t.pk}/close/", {"reason": "Because"})
    mgr.post(f"/support/complaints/{t.pk}/close/", {"reason": ""})
    assert Ticket.objects.get(pk=t.pk).status == "resolved"
    r = mgr.post(f"/support/complaints/{t.pk}/close/", {"reason": "Customer unreachable", "version": t.version + 1})
    t.refresh_from_db()
    assert r.status_code == 302 and t.status == "closed" and t.close_override_by == org.service_manager
    card = mgr.get(f"/support/complaints/{t.pk}/card/").content.decode()
    assert 'data-testid="close-override"' in card and "Customer unreachable" in card


def _api(user):
    c = _client(user)

    def post(path, body):
        return c.post("/api" + path, json.dumps(body), content_type="application/json")

    return c, post


def test_steps_and_compensations_api(org, customers):
    t = _complaint(org, customers)
    c, post = _api(org.rep)
    steps = c.get(f"/api/tickets/{t.pk}/complaint-steps").json()
    assert [s["step"] for s in steps] == ["apologise", "restate", "empathise", "compensate", "follow_up", "exceed"]
    assert steps[0]["done"] is False and steps[0]["label"] == "Apologise"
    r = post(f"/tickets/{t.pk}/complaint-steps/restate", {"done": True, "note": "Restated"})
    assert r.status_code == 200 and r.json()["done"] and r.json()["done_by"] == org.rep.pk
    assert post(f"/tickets/{t.pk}/complaint-steps/nope", {"done": True}).status_code == 422
    assert post(f"/tickets/{t.pk}/complaint-steps/restate", {"done": True, "extra": 1}).status_code == 422
    r = post(f"/tickets/{t.pk}/compensations", {"kind": "points", "amount": "200", "cost": "2"})
    assert r.status_code == 201 and r.json()["cost"] == "2.00"
    r = post(f"/tickets/{t.pk}/compensations", {"kind": "refund", "amount": "0"})
    assert r.status_code == 422 and "amount" in r.json()["errors"]
    assert [x["kind"] for x in c.get(f"/api/tickets/{t.pk}/compensations").json()] == ["points"]
    assert _api(org.rep_west)[0].get(f"/api/tickets/{t.pk}/complaint-steps").status_code == 404


def test_close_anyway_api(org, customers):
    t = _complaint(org, customers)
    t = ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    _c, agent_post = _api(org.agent)
    r = agent_post(f"/tickets/{t.pk}/close-anyway", {"reason": "x"})
    assert r.status_code == 422 and "override_reason" in r.json()["errors"]
    _c, post = _api(org.service_manager)
    assert post(f"/tickets/{t.pk}/close-anyway", {"reason": "x", "version": t.version - 1}).status_code == 409
    r = post(f"/tickets/{t.pk}/close-anyway", {"reason": "Moved abroad", "version": t.version})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert r.json()["close_override_reason"] == "Moved abroad" and r.json()["close_override_by"] == org.service_manager.pk


def test_step_marked_after_task_done_shows_done_in_api(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    step_mark(actor=org.rep, ticket=t, step="follow_up", done=True)
    steps = _client(org.rep).get(f"/api/tickets/{t.pk}/complaint-steps").json()
    follow_up = next(s for s in steps if s["step"] == "follow_up")
    assert follow_up["done"] and follow_up["task_done_at"] and follow_up["task_due_at"]
