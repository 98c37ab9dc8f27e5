"""Settings → Received e-mail (service managers, web and API) and tickets on the customer's timeline."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.support.models import InboundEmail
from guanxi.support.services.mail import receive_email
from guanxi.support.services.tickets import ticket_create, ticket_set_status

from .mail_helpers import customer_contact, raw_mail

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def log_rows(org, customers):
    customer_contact(org, customers.own)
    accepted = receive_email(raw_mail("li.si@example.com", "Accepted one"))
    rejected = receive_email(raw_mail("stranger@spam.example", "Rejected one"))
    return accepted, rejected


def test_received_page_lists_filters_and_links(org, log_rows):
    accepted, _rejected = log_rows
    manager = _client(org.service_manager)
    url = reverse("support:mail_received")
    body = manager.get(url).content.decode()
    assert "Accepted one" in body and "Rejected one" in body and "Unknown sender" in body
    assert reverse("support:detail", args=[accepted.ticket_id]) in body
    assert f'href="{url}"' in body  # the settings side menu links the page
    only_rejected = manager.get(url, {"outcome": "rejected"}, **HX).content.decode()
    assert "Rejected one" in only_rejected and "Accepted one" not in only_rejected
    assert "<html" not in only_rejected  # htmx gets the results fragment
    assert manager.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


@pytest.mark.parametrize("who", ["agent", "rep", "analyst"])
def test_received_page_is_for_service_managers(org, log_rows, who):
    assert _client(getattr(org, who)).get(reverse("support:mail_received")).status_code == 403


def test_received_log_api(org, log_rows):
    accepted, rejected = log_rows
    manager = _client(org.service_manager)
    rows = manager.get("/api/support/inbound-emails").json()["items"]
    assert [r["id"] for r in rows] == [rejected.pk, accepted.pk]
    rows = manager.get("/api/support/inbound-emails", {"outcome": "new_ticket"}).json()["items"]
    assert [(r["id"], r["ticket"]) for r in rows] == [(accepted.pk, accepted.ticket_id)]
    response = manager.get("/api/support/inbound-emails", {"outcome": "lost"})
    assert response.status_code == 400 and "outcome" in response.json()["errors"]
    assert _client(org.agent).get("/api/support/inbound-emails").status_code == 403


def test_tickets_on_the_customer_timeline(org, customers):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "门锁坏了"})
    ticket_set_status(actor=org.rep, ticket=ticket, status="resolved")
    rep = _client(org.rep)
    page = rep.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert ticket.number in page and "门锁坏了" in page and reverse("support:detail", args=[ticket.pk]) in page
    assert 'data-testid="timeline-ticket-status">Resolved<' in page
    assert "?kind=ticket" in page  # the kind filter button
    only = rep.get(reverse("customers:timeline", args=[customers.own.pk]), {"kind": "ticket"}, **HX).content.decode()
    assert ticket.number in only and 'data-kind="ticket"' in only and 'data-kind="change"' not in only
    # Opening the ticket is the ticket item itself, not also a "created" change.
    assert rep.get(reverse("customers:timeline", args=[customers.own.pk])).content.decode().count(
        'data-kind="ticket"') == 1
    items = rep.get(f"/api/customers/{customers.own.pk}/timeline", {"kinds": "ticket"}).json()["items"]
    assert [(i["kind"], i["id"], i["data"]["status"]) for i in items] == [("ticket", ticket.pk, "resolved")]
    assert items[0]["title"] == f"{ticket.number} 门锁坏了"


def test_timeline_shows_only_tickets_the_user_sees(org, customers):
    theirs = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "East team's", "team": org.east})
    queue = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Unrouted"})
    agent = _client(org.agent)
    body = agent.get(reverse("customers:timeline", args=[customers.own.pk]), {"kind": "ticket"}, **HX).content.decode()
    assert queue.number in body and theirs.number not in body


def test_customer_page_queries_stay_within_the_pin(org, customers, django_assert_max_num_queries):
    for i in range(8):
        ticket_create(actor=org.rep, customer=customers.own, data={"subject": f"Ticket {i}"})
    rep = _client(org.rep)
    with django_assert_max_num_queries(22):  # the pin of customers/tests/test_views_customers.py
        response = rep.get(reverse("customers:detail", args=[customers.own.pk]))
    assert response.content.decode().count('data-kind="ticket"') == 8
    assert InboundEmail.objects.count() == 0
