"""Callback pages and API: my list per agent, managers' agent picker, completing a call, rule settings per role,
the ticket card, and the order's delivery date in the customers pages and API."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from guanxi.customers.services.orders import order_create
from guanxi.support.models import Callback, CallbackRule

from .surveys_helpers import Api, client_for, closed_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(org, customers):
    today = timezone.localdate()
    rule = CallbackRule.objects.create(name="Delivery check", trigger="order_delivered", days=3,
                                       script="Ask about the installation.")

    def make(user, customer, days, **extra):
        return Callback.objects.create(rule=rule, customer=customer, assignee=user,
                                       due_date=today + datetime.timedelta(days=days), **extra)

    class Calls:
        pass

    c = Calls()
    c.rule = rule
    c.agent_today = make(org.agent, customers.own, 0)
    c.agent_overdue = make(org.agent, customers.same_dept, -2)
    c.agent_later = make(org.agent, customers.other_dept, 5)
    c.rep_today = make(org.rep, customers.own, 0)
    return c


def test_my_list_shows_only_mine_for_an_agent(org, customers, calls):
    c = client_for(org.agent)
    page = c.get("/support/callbacks/").content.decode()
    assert page.count('data-testid="callback-row"') == 1 and f"callback-{calls.agent_today.pk}" in page
    assert f"callback-{calls.rep_today.pk}" not in page and "Ask about the installation." in page
    assert 'data-testid="agent-picker"' not in page
    # An agent cannot look at someone else's list: the parameter is ignored.
    page = c.get("/support/callbacks/", {"agent": org.rep.pk}).content.decode()
    assert f"callback-{calls.rep_today.pk}" not in page and f"callback-{calls.agent_today.pk}" in page
    overdue = c.get("/support/callbacks/", {"when": "overdue"}, HTTP_HX_REQUEST="true").content.decode()
    assert f"callback-{calls.agent_overdue.pk}" in overdue and "<html" not in overdue
    upcoming = c.get("/support/callbacks/", {"when": "upcoming"}).content.decode()
    assert f"callback-{calls.agent_later.pk}" in upcoming and f"callback-{calls.agent_today.pk}" not in upcoming
    assert 'data-testid="nav-callbacks"' in page


def test_managers_pick_another_agent(org, customers, calls):
    for manager in (org.service_manager, org.admin):
        c = client_for(manager)
        page = c.get("/support/callbacks/", {"agent": org.rep.pk}).content.decode()
        assert 'data-testid="agent-picker"' in page and f"callback-{calls.rep_today.pk}" in page
        assert f"callback-{calls.agent_today.pk}" not in page
        everyone = c.get("/support/callbacks/", {"agent": "all"}).content.decode()
        assert everyone.count('data-testid="callback-row"') == 2  # due today: the agent's and the rep's


def test_complete_inline(org, customers, calls):
    c = client_for(org.agent)
    url = f"/support/callbacks/{calls.agent_today.pk}/complete/"
    r = c.post(url, {"status": "done", "outcome": "OK", "satisfaction": "6", "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422  # not one of the choices
    r = c.post(url, {"status": "done", "outcome": "", "satisfaction": "4", "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "Write down what the customer said." in r.content.decode()
    calls.agent_today.refresh_from_db()
    assert calls.agent_today.status == "pending"
    r = c.post(url, {"status": "done", "outcome": "All good", "satisfaction": "5", "version": 1},
               HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="callback-satisfaction">5/5' in body
    r = c.post(url, {"status": "done", "outcome": "Again", "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422
    # Someone who may not change the customer and is not the assignee.
    r = client_for(org.rep_west).post(f"/support/callbacks/{calls.rep_today.pk}/complete/",
                                      {"status": "cancelled", "version": 1})
    assert r.status_code == 404


@pytest.mark.parametrize("role,status", [("agent", 403), ("rep", 403), ("manager", 403), ("analyst", 403),
                                         ("service_manager", 200), ("admin", 200)])
def test_rule_settings_by_role(org, role, status):
    c = client_for(getattr(org, role))
    assert c.get("/support/callbacks/rules/").status_code == status
    assert c.get("/support/callbacks/rules/new/").status_code == status


def test_rule_settings_form(org, calls):
    c = client_for(org.service_manager)
    page = c.get("/support/callbacks/rules/").content.decode()
    assert "Delivery check" in page and 'data-testid="settings-callback-rules"' in page
    r = c.post("/support/callbacks/rules/new/", {"name": "", "trigger": "ticket_closed", "days": "", "ticket_type": ""})
    assert r.status_code == 422 and "This field is required." in r.content.decode()
    r = c.post("/support/callbacks/rules/new/", {"name": "After repairs", "trigger": "order_delivered", "days": "2",
                                                 "ticket_type": "repair", "is_active": "on"})
    assert r.status_code == 422 and "Only rules on closed tickets" in r.content.decode()
    r = c.post("/support/callbacks/rules/new/", {"name": "After repairs", "trigger": "ticket_closed", "days": "2",
                                                 "ticket_type": "repair", "is_active": "on"})
    assert r.status_code == 302 and CallbackRule.objects.filter(name="After repairs", ticket_type="repair").exists()
    r = c.post(f"/support/callbacks/rules/{calls.rule.pk}/", {"name": "Delivery check", "trigger": "order_delivered",
                                                              "days": "4", "ticket_type": ""})
    calls.rule.refresh_from_db()
    assert r.status_code == 302 and calls.rule.days == 4 and not calls.rule.is_active
    c.post(f"/support/callbacks/rules/{calls.rule.pk}/delete/")
    assert not CallbackRule.objects.filter(pk=calls.rule.pk).exists() and Callback.objects.count() == 4


def test_ticket_card(org, customers):
    CallbackRule.objects.create(name="After any ticket", trigger="ticket_closed", days=2)
    ticket = closed_ticket(org, customers.own)
    detail = client_for(org.rep).get(f"/support/{ticket.pk}/").content.decode()
    assert f"/support/callbacks/ticket/{ticket.pk}/" in detail
    card = client_for(org.rep).get(f"/support/callbacks/ticket/{ticket.pk}/").content.decode()
    assert 'data-testid="ticket-callback"' in card and "After any ticket" in card
    assert client_for(org.rep_west).get(f"/support/callbacks/ticket/{ticket.pk}/").status_code == 404


def test_api_lists_and_completes(org, customers, calls):
    api = Api(org.agent)
    ids = [row["id"] for row in api.get("/callbacks").json()["items"]]
    assert ids == [calls.agent_overdue.pk, calls.agent_today.pk, calls.agent_later.pk]
    assert [r["id"] for r in api.get("/callbacks", when="today").json()["items"]] == [calls.agent_today.pk]
    today = timezone.localdate().isoformat()
    assert [r["id"] for r in api.get("/callbacks", due_from=today, due_to=today).json()["items"]] == [
        calls.agent_today.pk]
    assert api.get("/callbacks", agent=org.rep.pk).status_code == 403
    assert api.get("/callbacks", when="soon").status_code == 400
    everyone = Api(org.service_manager).get("/callbacks", agent="all", when="today").json()["items"]
    assert {r["id"] for r in everyone} == {calls.agent_today.pk, calls.rep_today.pk}
    assert everyone[0]["script"] == "Ask about the installation."

    url = f"/callbacks/{calls.agent_today.pk}/complete"
    r = api.post(url, {"status": "done", "outcome": "Fine", "satisfaction": 6})
    assert r.status_code == 422 and "satisfaction" in r.json()["errors"]
    r = api.post(url, {"status": "done", "outcome": "Fine", "satisfaction": 0})
    assert r.status_code == 422 and "satisfaction" in r.json()["errors"]
    r = api.post(url, {"status": "done", "outcome": "Fine", "satisfaction": 4, "version": 99})
    assert r.status_code == 409
    r = api.post(url, {"status": "done", "outcome": "Fine", "satisfaction": 4, "version": 1})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["satisfaction"] == 4
    assert api.post(url, {"status": "done", "outcome": "x", "bogus": 1}).status_code == 422


def test_api_rules_crud_by_role(org):
    body = {"name": "After delivery", "trigger": "order_delivered", "days": 3}
    for user in (org.agent, org.rep, org.analyst):
        assert Api(user).post("/callback-rules", body).status_code == 403
        assert Api(user).get("/callback-rules").status_code == 403
    api = Api(org.service_manager)
    assert api.post("/callback-rules", {**body, "trigger": "bogus"}).status_code == 422
    r = api.post("/callback-rules", body)
    assert r.status_code == 201
    rule_id = r.json()["id"]
    assert api.patch(f"/callback-rules/{rule_id}", {"days": 10}).json()["days"] == 10
    assert [x["id"] for x in api.get("/callback-rules").json()["items"]] == [rule_id]
    assert api.delete(f"/callback-rules/{rule_id}").status_code == 204
    assert api.get(f"/callback-rules/{rule_id}").status_code == 404


def test_ticket_callbacks_api(org, customers):
    CallbackRule.objects.create(name="After any ticket", trigger="ticket_closed", days=2)
    ticket = closed_ticket(org, customers.own)
    assert len(Api(org.rep).get(f"/tickets/{ticket.pk}/callbacks").json()) == 1
    assert Api(org.rep_west).get(f"/tickets/{ticket.pk}/callbacks").status_code == 404


def test_order_delivery_in_pages_and_api(org, customers):
    order = order_create(actor=org.rep, customer=customers.own, data={"ordered_at": timezone.now()})
    c = client_for(org.rep)
    r = c.post(f"/customers/orders/{order.pk}/edit/", {
        "status": "paid", "channel": "sales", "number": "", "version": order.version,
        "ordered_at": timezone.localtime(order.ordered_at).strftime("%Y-%m-%dT%H:%M"),
        "delivered_at": "2020-01-01T10:00"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 422 and "The delivery cannot be before the order date." in r.content.decode()
    delivered = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(f"/customers/orders/{order.pk}/edit/", {
        "status": "paid", "channel": "sales", "number": "", "version": order.version,
        "ordered_at": timezone.localtime(order.ordered_at).strftime("%Y-%m-%dT%H:%M"), "delivered_at": delivered},
        HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    page = c.get(f"/customers/orders/{order.pk}/").content.decode()
    assert delivered.replace("T", " ") in page and 'data-testid="order-delivered"' in page
    api = Api(org.rep)
    row = api.get(f"/orders/{order.pk}").json()
    assert row["delivered_at"] is not None
    r = api.patch(f"/orders/{order.pk}", {"version": row["version"], "delivered_at": None})
    assert r.status_code == 200 and r.json()["delivered_at"] is None


def test_list_query_count(org, customers, calls, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(10):
        Callback.objects.create(rule=calls.rule, customer=customers.other_dept, assignee=org.rep_west, due_date=today,
                                order=order_create(actor=org.admin, customer=customers.other_dept,
                                                   data={"ordered_at": timezone.now(), "number": f"N{i}"}))
    c = client_for(org.service_manager)
    c.get("/support/callbacks/", {"agent": "all"})
    with django_assert_max_num_queries(10):
        page = c.get("/support/callbacks/", {"agent": "all"}).content.decode()
    assert page.count('data-testid="callback-row"') == 12 and page.count('data-testid="callback-form"') == 12


def test_unreachable_stays_on_the_list_until_done(org, customers, calls):
    api = Api(org.agent)
    url = f"/callbacks/{calls.agent_overdue.pk}/complete"
    assert api.post(url, {"status": "unreachable", "outcome": "No answer"}).status_code == 200
    assert [r["id"] for r in api.get("/callbacks", when="overdue").json()["items"]] == [calls.agent_overdue.pk]
    assert api.post(url, {"status": "done", "outcome": "Reached on the second try"}).status_code == 200
    assert api.get("/callbacks", when="overdue").json()["items"] == []
    assert [r["id"] for r in api.get("/callbacks", when="finished").json()["items"]] == [calls.agent_overdue.pk]
