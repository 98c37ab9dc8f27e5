from __future__ import annotations

import pytest
from django.test import Client

from guanxi.support.models import Ticket
from guanxi.support.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_list_filters_and_nav(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Leaking pipe"})
    ticket_create(actor=org.rep_west, customer=customers.other_dept, data={"subject": "West only"})
    c = _client(org.rep)
    r = c.get("/support/")
    body = r.content.decode()
    assert r.status_code == 200 and "Leaking pipe" in body and "West only" not in body and 'data-testid="nav-support"' in body
    r = c.get("/support/", {"status": "closed"}, HTTP_HX_REQUEST="true")
    assert "Leaking pipe" not in r.content.decode() and "<html" not in r.content.decode()
    assert "Leaking pipe" in c.get("/support/", {"q": t.number}).content.decode()
    assert c.get("/support/", {"status": "bogus"}).status_code == 200


def test_create_reply_and_status(org, customers):
    c = _client(org.rep)
    form = c.get("/support/new/").content.decode()
    assert customers.own.name in form and customers.other_dept.name not in form
    r = c.post("/support/new/", {"customer": customers.other_dept.pk, "subject": "x", "type": "inquiry",
                                 "priority": "normal", "channel": "phone"})
    assert r.status_code == 422
    r = c.post("/support/new/", {"customer": customers.own.pk, "subject": "Cold", "type": "complaint",
                                 "priority": "high", "channel": "wechat"})
    t = Ticket.objects.get(subject="Cold")
    assert r.status_code == 302 and r["Location"] == f"/support/{t.pk}/"
    r = c.post(f"/support/{t.pk}/reply/", {"body": "Note to self", "internal": "on"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "Note to self" in r.content.decode()
    c.post(f"/support/{t.pk}/reply/", {"body": "Sorry!"}, HTTP_HX_REQUEST="true")
    t.refresh_from_db()
    assert t.status == "open" and t.first_responded_at is not None
    assert c.post(f"/support/{t.pk}/reply/", {"body": ""}).status_code == 422
    c.post(f"/support/{t.pk}/status/", {"status": "closed", "version": t.version})
    t.refresh_from_db()
    assert t.status == "open"
    c.post(f"/support/{t.pk}/status/", {"status": "resolved", "version": t.version})
    t.refresh_from_db()
    assert t.status == "resolved"
    page = c.get(f"/support/{t.pk}/").content.decode()
    assert "Sorry!" in page and "Note to self" in page


def test_other_department_gets_404(org, customers):
    t = ticket_create(actor=org.rep_west, customer=customers.other_dept, data={"subject": "W"})
    c = _client(org.rep)
    assert c.get(f"/support/{t.pk}/").status_code == 404
    assert c.post(f"/support/{t.pk}/reply/", {"body": "x"}).status_code == 404


def test_list_query_count(org, customers, django_assert_max_num_queries):
    for i in range(5):
        ticket_create(actor=org.rep, customer=customers.own, data={"subject": f"T{i}", "assignee": org.rep})
    c = _client(org.rep)
    c.get("/support/")
    with django_assert_max_num_queries(12):
        r = c.get("/support/")
    assert r.content.decode().count("/support/") >= 5


def test_list_shows_open_work_first(org, customers):
    done = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Long solved"})
    Ticket.objects.filter(pk=done.pk).update(status=Ticket.Status.CLOSED)
    ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Still broken"})
    c = _client(org.rep)
    first = c.get("/support/").content.decode()
    assert "Still broken" in first and "Long solved" not in first
    assert "Long solved" in c.get("/support/", {"status": ""}).content.decode()  # "All statuses"


def test_edit_ticket_type_makes_a_complaint(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Rude courier"})
    c = _client(org.rep)
    assert c.get(f"/support/{t.pk}/edit/").status_code == 200
    r = c.post(f"/support/{t.pk}/edit/", {"subject": "Rude courier", "type": "complaint", "priority": "high",
                                          "channel": "phone", "version": t.version})
    assert r.status_code == 302
    t.refresh_from_db()
    assert (t.type, t.priority) == ("complaint", "high") and t.complaint_steps.count() == 6
    r = c.post(f"/support/{t.pk}/edit/", {"subject": "Stale", "type": "complaint", "priority": "high",
                                          "channel": "phone", "version": 1})
    assert r.status_code == 422 and "Someone else changed this ticket" in r.content.decode()
    t.refresh_from_db()
    assert t.subject == "Rude courier"
    r = c.post(f"/support/{t.pk}/edit/", {"subject": "", "type": "bogus", "priority": "high", "channel": "phone",
                                          "version": t.version})
    assert r.status_code == 422
    assert _client(org.rep_west).get(f"/support/{t.pk}/edit/").status_code == 404
