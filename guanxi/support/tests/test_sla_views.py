"""The SLA card on the ticket page, the reassign form, and the SLA column and filters of the ticket list."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guanxi.governance.models import AuditLog
from guanxi.support.models import SlaPolicy, Ticket
from guanxi.support.services.sla import check_sla
from guanxi.support.services.tickets import ticket_create, ticket_set_status

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, d, hh, mm, tzinfo=SH)  # 2 March 2026 is a Monday


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def ticket(org, customers):
    SlaPolicy.objects.create(name="Normal desk", priority="normal", first_response_minutes=60,
                             resolution_minutes=540, warning_minutes=30)
    with time_machine.travel(at(2, 17, 0), tick=False):
        return ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Printer", "team": org.service})


def test_ticket_page_loads_the_card_lazily(org, ticket):
    body = _client(org.rep).get(f"/support/{ticket.pk}/").content.decode()
    assert f'hx-get="/support/sla/ticket/{ticket.pk}/card/"' in body


def test_card_shows_policy_due_times_and_business_time_left(org, ticket):
    with time_machine.travel(at(2, 17, 50), tick=False):  # first response due Monday 18:00: 10 min left
        body = _client(org.rep).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    assert "Normal desk" in body and "2026-03-02 18:00" in body and "in 10 min" in body
    assert 'data-sla-state="on_track"' in body and "text-bg-success" in body
    with time_machine.travel(at(3, 10, 30), tick=False):  # first response overdue by 90 business minutes
        check_sla()
        body = _client(org.rep).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    assert "overdue by 1 h 30 min" in body and 'data-sla-state="breached"' in body and "text-bg-danger" in body
    assert 'data-testid="sla-escalated"' in body
    with time_machine.travel(at(3, 10, 40), tick=False):
        ticket_set_status(actor=org.rep, ticket=ticket, status="waiting")
        body = _client(org.rep).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    assert 'data-sla-state="paused"' in body and "text-bg-secondary" in body


def test_card_without_a_policy(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "x", "priority": "low"})
    body = _client(org.rep).get(f"/support/sla/ticket/{t.pk}/card/").content.decode()
    assert "No SLA policy applies" in body


def test_reassign_form_only_for_those_who_may_change(org, ticket):
    assert 'data-testid="reassign-form"' in _client(org.rep).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    body = _client(org.analyst).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    assert 'data-testid="sla-card"' in body and 'data-testid="reassign-form"' not in body
    assert _client(org.analyst).post(f"/support/sla/ticket/{ticket.pk}/assign/", {"assignee": org.agent.pk}
                                     ).status_code == 403
    assert _client(org.rep_west).get(f"/support/sla/ticket/{ticket.pk}/card/").status_code == 404


def test_reassign_choices_are_service_staff(org, ticket):
    body = _client(org.service_manager).get(f"/support/sla/ticket/{ticket.pk}/card/").content.decode()
    teams, users = body.split('data-testid="reassign-form"')[1].split('name="assignee"')
    assert f'value="{org.agent.pk}"' in users and f'value="{org.service_manager.pk}"' in users
    assert f'value="{org.rep_west.pk}"' not in users and f'value="{org.service.pk}"' in teams


def test_reassign_through_the_form(org, ticket):
    c = _client(org.service_manager)
    r = c.post(f"/support/sla/ticket/{ticket.pk}/assign/",
               {"team": org.service.pk, "assignee": org.agent.pk, "version": ticket.version}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["HX-Redirect"] == f"/support/{ticket.pk}/"
    assert Ticket.objects.get(pk=ticket.pk).assignee == org.agent
    assert AuditLog.objects.filter(action="assign", object_id=str(ticket.pk), actor=org.service_manager).exists()
    r = c.post(f"/support/sla/ticket/{ticket.pk}/assign/", {"team": "", "assignee": org.rep_west.pk})
    assert r.status_code == 422 and "invalid-feedback" in r.content.decode()
    r = c.post(f"/support/sla/ticket/{ticket.pk}/assign/", {"team": "", "assignee": "", "version": "1"})
    assert r.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).assignee == org.agent


def test_agent_giving_a_ticket_away_goes_back_to_the_list(org, customers):
    from guanxi.governance.models import Role
    from guanxi.governance.services import employee_create

    other = employee_create(actor=None, username="agent2", password="pw-Guanxi-2024", role=Role.SERVICE_AGENT,
                            department=org.service, first_name="agent2").user
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "x", "assignee": org.agent,
                                                                    "team": org.service})
    r = _client(org.agent).post(f"/support/sla/ticket/{t.pk}/assign/", {"team": org.service.pk, "assignee": other.pk})
    assert r.status_code == 302 and r["Location"] == "/support/"


def test_list_column_and_the_needs_attention_filter(org, ticket, customers, django_assert_max_num_queries):
    fine = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Calm", "priority": "low"})
    with time_machine.travel(at(3, 10, 30), tick=False):
        check_sla()
    c = _client(org.rep)
    body = c.get("/support/").content.decode()
    assert 'data-testid="sla-cell"' in body and 'data-sla-state="breached"' in body
    assert 'name="sla_state"' in body and 'name="team"' in body
    body = c.get("/support/", {"sla_state": "attention"}).content.decode()
    assert "Printer" in body and "Calm" not in body
    body = c.get("/support/", {"team": "none"}).content.decode()
    assert "Calm" in body and "Printer" not in body and fine.number in body
    c.get("/support/")
    with django_assert_max_num_queries(13):
        c.get("/support/")
