from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.support.models import Ticket, TicketMessage
from guanxi.support.selectors.tickets import ticket_get, ticket_list
from guanxi.support.services.tickets import (
    ticket_assign,
    ticket_create,
    ticket_reply,
    ticket_set_status,
    ticket_update,
)

pytestmark = pytest.mark.django_db


def _ticket(org, customers, **data):
    return ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Broken", **data})


def test_numbering_and_audit(org, customers):
    a = _ticket(org, customers)
    b = _ticket(org, customers)
    assert a.number[0] == "T" and len(a.number) == 13 and a.number.endswith("0001")
    assert b.number.endswith("0002") and a.number[:9] == b.number[:9]
    assert AuditLog.objects.filter(entity="ticket", object_id=str(a.pk), customer_id=customers.own.pk).exists()


def test_first_public_reply_sets_first_response_and_opens(org, customers):
    t = _ticket(org, customers)
    ticket_reply(actor=org.rep, ticket=t, body="internal", internal=True)
    t.refresh_from_db()
    assert t.first_responded_at is None and t.status == Ticket.Status.NEW
    ticket_reply(actor=org.rep, ticket=t, body="Hello")
    t.refresh_from_db()
    first = t.first_responded_at
    assert first is not None and t.status == Ticket.Status.OPEN
    ticket_reply(actor=org.rep, ticket=t, body="Again")
    t.refresh_from_db()
    assert t.first_responded_at == first
    assert list(TicketMessage.objects.filter(ticket=t).values_list("kind", flat=True)) == ["note", "reply", "reply"]
    with pytest.raises(ValidationError):
        ticket_reply(actor=org.rep, ticket=t, body="  ")


def test_status_rules(org, customers):
    t = _ticket(org, customers)
    with pytest.raises(ValidationError) as exc:
        ticket_set_status(actor=org.rep, ticket=t, status="closed")
    assert "status" in exc.value.message_dict
    t = ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    assert t.resolved_at is not None
    t = ticket_set_status(actor=org.rep, ticket=t, status="closed")
    assert t.closed_at is not None and t.status == "closed"
    t = ticket_set_status(actor=org.rep, ticket=t, status="reopened")
    assert t.resolved_at is None and t.closed_at is None
    with pytest.raises(ValidationError):
        ticket_set_status(actor=org.rep, ticket=t, status="bogus")


def test_version_conflict(org, customers):
    t = _ticket(org, customers)
    ticket_update(actor=org.rep, ticket=t, data={"subject": "New"}, version=1)
    with pytest.raises(ConflictError):
        ticket_update(actor=org.rep, ticket=t, data={"subject": "Stale"}, version=1)
    with pytest.raises(ValidationError):
        ticket_update(actor=org.rep, ticket=t, data={"status": "closed"}, version=None)


def test_assign(org, customers):
    t = _ticket(org, customers)
    t = ticket_assign(actor=org.rep, ticket=t, assignee=org.agent)
    assert t.assignee == org.agent


def test_visibility_per_role(org, customers):
    own = _ticket(org, customers)
    other = ticket_create(actor=org.rep_west, customer=customers.other_dept, data={"subject": "West"})
    assert set(ticket_list(user=org.rep)) == {own}
    assert set(ticket_list(user=org.rep_west)) == {other}
    assert {own, other} <= set(ticket_list(user=org.admin))
    with pytest.raises(NotFoundError):
        ticket_get(user=org.rep, pk=other.pk)
    with pytest.raises(PermissionDeniedError):
        ticket_create(actor=org.rep, customer=customers.other_dept, data={"subject": "x"})
    with pytest.raises(PermissionDeniedError):
        ticket_reply(actor=org.analyst, ticket=own, body="hi")


def test_service_roles_work_on_every_customers_tickets(org, customers):
    t = _ticket(org, customers)
    ticket_reply(actor=org.agent, ticket=t, body="Agent here")
    assert t in ticket_list(user=org.service_manager)
    assert ticket_list(user=org.rep_west).filter(pk=t.pk).count() == 0


def test_number_drawn_twice_is_retried(org, customers, monkeypatch):
    from guanxi.support.services import tickets as svc

    first = _ticket(org, customers)
    numbers = iter([first.number, svc.next_number()])
    monkeypatch.setattr(svc, "next_number", lambda today=None: next(numbers))
    second = _ticket(org, customers)
    assert second.number != first.number and second.number.endswith("0002")
