"""The SLA check job: the warning before a breach (once, exact in business minutes), the breach, the
escalation (priority up once, the team lead's task and e-mail), the periodic task, and its cost."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from guanxi.customers.models import Task
from guanxi.governance.models import AuditLog, Role
from guanxi.governance.services import employee_create
from guanxi.support.models import SlaPolicy, SlaState, Ticket
from guanxi.support.services.sla import check_sla
from guanxi.support.services.tickets import ticket_create

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture
def setup(org, customers):
    SlaPolicy.objects.create(name="Normal", priority="normal", first_response_minutes=60, resolution_minutes=540,
                             warning_minutes=30)
    SlaPolicy.objects.create(name="Urgent", priority="urgent", first_response_minutes=30, resolution_minutes=120,
                             warning_minutes=0)
    for user, email in ((org.agent, "agent@example.com"), (org.service_manager, "lead@example.com")):
        user.email = email
        user.save()
    return org


def _open(org, customers, when: datetime, **data) -> Ticket:
    with time_machine.travel(when, tick=False):
        return ticket_create(actor=org.rep, customer=customers.own, data={
            "subject": "Broken", "team": org.service, "assignee": org.agent, **data})


def _check(when: datetime) -> dict[str, int]:
    with time_machine.travel(when, tick=False):
        return check_sla()


def test_warning_once_before_the_breach(setup, customers):
    org = setup
    t = _open(org, customers, at(3, 2, 10))  # first response due 11:00, warning 30 business minutes
    assert _check(at(3, 2, 10, 29))["at_risk"] == 0
    assert Ticket.objects.get(pk=t.pk).sla_state == SlaState.ON_TRACK and mail.outbox == []
    assert _check(at(3, 2, 10, 30))["at_risk"] == 1
    assert Ticket.objects.get(pk=t.pk).sla_state == SlaState.AT_RISK
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["agent@example.com"]
    assert t.number in mail.outbox[0].body
    assert AuditLog.objects.filter(entity="ticket", object_id=str(t.pk), changes__sla_state__1="at_risk").exists()
    assert _check(at(3, 2, 10, 35))["at_risk"] == 0  # told once
    assert len(mail.outbox) == 1


def test_warning_counts_business_minutes_across_the_night(setup, customers):
    org = setup
    t = _open(org, customers, at(3, 2, 17, 50))  # first response due Tuesday 09:50
    assert t.first_response_due == at(3, 3, 9, 50)
    assert _check(at(3, 2, 17, 55))["at_risk"] == 0  # 5 + 50 business minutes left
    assert _check(at(3, 3, 9, 20))["at_risk"] == 1  # 30 left: inside the warning


def test_breach_escalates_once_and_notifies_the_team_lead(setup, customers):
    org = setup
    t = _open(org, customers, at(3, 2, 10))
    result = _check(at(3, 2, 11, 1))
    assert result == {"breached": 1, "escalated": 1, "at_risk": 0}
    t = Ticket.objects.get(pk=t.pk)
    assert t.first_response_breached and not t.resolution_breached and t.sla_state == SlaState.BREACHED
    assert t.priority == "high" and t.escalated_at == at(3, 2, 11, 1)
    task = Task.objects.get(related_type="ticket", related_id=t.pk)
    assert task.assignee == org.service_manager and task.due_at == at(3, 2, 11, 1) and task.customer_id == t.customer_id
    lead_mail = [m for m in mail.outbox if m.to == ["lead@example.com"]]
    assert len(lead_mail) == 1 and t.number in lead_mail[0].body
    audit = AuditLog.objects.get(entity="ticket", object_id=str(t.pk), changes__has_key="escalated_at")
    assert audit.changes["priority"] == ["normal", "high"] and audit.customer_id == t.customer_id
    # The resolution breaches later: flagged, but no second escalation.
    assert _check(at(3, 3, 10, 1)) == {"breached": 1, "escalated": 0, "at_risk": 0}
    t = Ticket.objects.get(pk=t.pk)
    assert t.resolution_breached and t.priority == "high" and Task.objects.filter(related_id=t.pk).count() == 1
    assert len([m for m in mail.outbox if m.to == ["lead@example.com"]]) == 1
    assert _check(at(3, 4, 10)) == {"breached": 0, "escalated": 0, "at_risk": 0}


def test_urgent_stays_urgent_and_lead_falls_back_to_the_managers_boss(setup, customers):
    org = setup
    org.agent.employee.manager = org.manager.employee
    org.agent.employee.save()
    t = _open(org, customers, at(3, 2, 10), priority="urgent", team=None)
    _check(at(3, 2, 10, 31))
    t = Ticket.objects.get(pk=t.pk)
    assert t.priority == "urgent" and t.escalated_at is not None
    assert Task.objects.get(related_type="ticket", related_id=t.pk).assignee == org.manager


def test_paused_resolved_and_deleted_clocks_are_left_alone(setup, customers):
    from guanxi.support.services.tickets import ticket_set_status

    org = setup
    waiting = _open(org, customers, at(3, 2, 10))
    resolved = _open(org, customers, at(3, 2, 10))
    with time_machine.travel(at(3, 2, 10, 10), tick=False):
        ticket_set_status(actor=org.rep, ticket=waiting, status="waiting")
        ticket_set_status(actor=org.rep, ticket=resolved, status="resolved")
    assert _check(at(3, 9, 10)) == {"breached": 0, "escalated": 0, "at_risk": 0}


def test_nothing_to_do_costs_the_same_whatever_the_number_of_tickets(setup, customers,
                                                                     django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = setup
    _open(org, customers, at(3, 2, 10))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _check(at(3, 2, 9))
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        _open(org, customers, at(3, 2, 10))
    assert count() == few
    with django_assert_max_num_queries(12):
        _check(at(3, 2, 9))


def test_the_periodic_task_runs_the_check(setup, customers):
    from guanxi.customers.schedule import SCHEDULE
    from guanxi.support.tasks_sla import check_sla as task

    org = setup
    t = _open(org, customers, at(3, 2, 10))
    job = next(j for j in SCHEDULE if j.task == "guanxi.support.tasks_sla.check_sla")
    assert job.every is not None and job.every.total_seconds() == 300
    with time_machine.travel(at(3, 2, 12), tick=False):
        result = task.enqueue()
    assert result.return_value["breached"] == 1
    assert Ticket.objects.get(pk=t.pk).escalated_at is not None


def test_new_lead_role_member_of_team_gets_the_task(setup, customers):
    org = setup
    second = employee_create(actor=None, username="lead2", password="pw-Guanxi-2024", role=Role.SERVICE_MANAGER,
                             department=org.service, first_name="lead2").user
    t = _open(org, customers, at(3, 2, 10))
    _check(at(3, 2, 11, 30))
    assert set(Task.objects.filter(related_id=t.pk).values_list("assignee_id", flat=True)) == {
        org.service_manager.pk, second.pk}
