from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Task
from guanxi.customers.services.activity import task_complete
from guanxi.governance.models import AuditLog
from guanxi.support.models import Compensation, ComplaintStep, Ticket
from guanxi.support.services.complaints import compensation_add, open_steps, step_mark
from guanxi.support.services.tickets import ticket_create, ticket_set_status, ticket_update

pytestmark = pytest.mark.django_db

FROZEN = datetime.datetime(2026, 3, 2, 10, 30, tzinfo=datetime.UTC)


def _complaint(org, customers, **data):
    return ticket_create(actor=org.rep, customer=customers.own,
                         data={"subject": "Kettle leaks", "type": "complaint", **data})


def _steps(ticket):
    return list(ComplaintStep.objects.filter(ticket=ticket).order_by("position").values_list("position", "step"))


def test_six_steps_created_once(org, customers):
    t = _complaint(org, customers)
    expected = [(1, "apologise"), (2, "restate"), (3, "empathise"), (4, "compensate"), (5, "follow_up"),
                (6, "exceed")]
    assert _steps(t) == expected
    ticket_update(actor=org.rep, ticket=t, data={"subject": "Kettle leaks badly"}, version=None)
    open_steps(Ticket.objects.get(pk=t.pk))
    assert _steps(t) == expected


def test_ticket_becoming_a_complaint_gets_steps(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Question"})
    assert _steps(t) == []
    ticket_update(actor=org.rep, ticket=t, data={"type": "complaint"}, version=None)
    assert len(_steps(t)) == 6


def test_mark_records_who_and_when_and_can_be_undone(org, customers):
    t = _complaint(org, customers)
    with time_machine.travel(FROZEN, tick=False):
        step = step_mark(actor=org.agent, ticket=t, step="apologise", done=True, note="Called, said sorry")
    assert step.done_by == org.agent and step.done_at == FROZEN and step.note == "Called, said sorry"
    assert AuditLog.objects.filter(entity="complaintstep", object_id=str(step.pk),
                                   customer_id=customers.own.pk).exists()
    # Ticking again keeps the first who/when; a note of None leaves the note.
    again = step_mark(actor=org.rep, ticket=t, step="apologise", done=True)
    assert again.done_by == org.agent and again.done_at == FROZEN and again.note == "Called, said sorry"
    undone = step_mark(actor=org.rep, ticket=t, step="apologise", done=False)
    assert undone.done_at is None and undone.done_by is None


def test_mark_bad_input_and_rights(org, customers):
    t = _complaint(org, customers)
    with pytest.raises(ValidationError) as exc:
        step_mark(actor=org.rep, ticket=t, step="bribe", done=True)
    assert "step" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        step_mark(actor=org.rep, ticket=t, step="apologise", done=True, note="x" * 1001)
    assert "note" in exc.value.message_dict
    with pytest.raises(PermissionDeniedError):
        step_mark(actor=org.analyst, ticket=t, step="apologise", done=True)
    with pytest.raises(PermissionDeniedError):
        step_mark(actor=org.rep_west, ticket=t, step="apologise", done=True)
    inquiry = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Q"})
    with pytest.raises(ValidationError):
        step_mark(actor=org.rep, ticket=inquiry, step="apologise", done=True)
    assert not ComplaintStep.objects.filter(done_at__isnull=False).exists()


def test_steps_frozen_after_close(org, customers):
    t = _complaint(org, customers)
    step_mark(actor=org.rep, ticket=t, step="follow_up", done=True)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    ticket_set_status(actor=org.rep, ticket=t, status="closed")
    with pytest.raises(ValidationError):
        step_mark(actor=org.rep, ticket=t, step="follow_up", done=False)
    assert ComplaintStep.objects.get(ticket=t, step="follow_up").done_at is not None


def test_follow_up_task_due_exactly_seven_days_after_resolution(org, customers):
    t = _complaint(org, customers, assignee=org.agent)
    with time_machine.travel(FROZEN, tick=False):
        t = ticket_set_status(actor=org.agent, ticket=t, status="resolved")
    step = ComplaintStep.objects.select_related("task").get(ticket=t, step="follow_up")
    task = step.task
    assert t.resolved_at == FROZEN
    assert task.due_at == FROZEN + datetime.timedelta(days=7)
    assert task.assignee == org.agent and task.customer == customers.own
    assert task.related_type == "ticket" and task.related_id == t.pk and t.number in task.title
    # Reopened and resolved again: still one task, due a week after the new resolution.
    ticket_set_status(actor=org.agent, ticket=t, status="reopened")
    later = FROZEN + datetime.timedelta(days=2)
    with time_machine.travel(later, tick=False):
        ticket_set_status(actor=org.agent, ticket=t, status="resolved")
    assert Task.objects.filter(related_type="ticket", related_id=t.pk).count() == 1
    assert Task.objects.get(pk=task.pk).due_at == later + datetime.timedelta(days=7)


def test_follow_up_task_for_unassigned_ticket_goes_to_the_resolver(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    task = ComplaintStep.objects.get(ticket=t, step="follow_up").task
    assert task.assignee == org.rep and task.created_by == org.rep


def test_resolving_someone_elses_complaint_does_not_fail_on_task_assignment(org, customers):
    # A sales rep may not give tasks to an agent; the follow-up task is then created by the system.
    t = _complaint(org, customers, assignee=org.agent)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    task = ComplaintStep.objects.get(ticket=t, step="follow_up").task
    assert task.assignee == org.agent and task.created_by is None


def test_close_refused_while_follow_up_open(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    with pytest.raises(ValidationError) as exc:
        ticket_set_status(actor=org.rep, ticket=t, status="closed")
    assert "status" in exc.value.message_dict and "follow-up" in str(exc.value)
    t.refresh_from_db()
    assert t.status == "resolved" and t.closed_at is None


def test_close_with_reason_by_service_manager(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    t = ticket_set_status(actor=org.service_manager, ticket=t, status="closed",
                          override_reason="Customer emigrated; cannot be reached")
    t.refresh_from_db()
    assert t.status == "closed" and t.close_override_by == org.service_manager
    assert t.close_override_reason == "Customer emigrated; cannot be reached"
    entry = AuditLog.objects.filter(entity="ticket", object_id=str(t.pk)).order_by("-id").first()
    assert "close_override_reason" in entry.changes


def test_close_reason_by_agent_refused(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    with pytest.raises(ValidationError) as exc:
        ticket_set_status(actor=org.agent, ticket=t, status="closed", override_reason="Tired of it")
    assert "override_reason" in exc.value.message_dict and "right" in str(exc.value)
    t.refresh_from_db()
    assert t.status == "resolved" and t.close_override_reason == "" and t.close_override_by is None


def test_completed_task_counts_as_follow_up_done(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    task = ComplaintStep.objects.get(ticket=t, step="follow_up").task
    task_complete(actor=org.rep, task=task)
    t = ticket_set_status(actor=org.rep, ticket=t, status="closed")
    assert t.status == "closed" and t.close_override_reason == ""


def test_ticking_follow_up_completes_its_task(org, customers):
    t = _complaint(org, customers)
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    step_mark(actor=org.rep, ticket=t, step="follow_up", done=True, note="Customer happy")
    step = ComplaintStep.objects.select_related("task").get(ticket=t, step="follow_up")
    assert step.task.done_at is not None
    step_mark(actor=org.rep, ticket=t, step="follow_up", done=False)
    assert Task.objects.get(pk=step.task_id).done_at is None
    with pytest.raises(ValidationError):
        ticket_set_status(actor=org.rep, ticket=t, status="closed")


def test_non_complaints_close_freely(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Q"})
    ticket_set_status(actor=org.rep, ticket=t, status="resolved")
    assert ticket_set_status(actor=org.rep, ticket=t, status="closed").status == "closed"
    assert not Task.objects.filter(related_type="ticket", related_id=t.pk).exists()


def test_compensation_recorded_and_ticks_step(org, customers):
    t = _complaint(org, customers)
    comp = compensation_add(actor=org.rep, ticket=t, kind="coupon", amount="50", cost="20.5",
                            description="Coupon for next order")
    assert comp.amount == Decimal("50.00") and comp.cost == Decimal("20.50") and comp.created_by == org.rep
    step = ComplaintStep.objects.get(ticket=t, step="compensate")
    assert step.done_by == org.rep and step.done_at is not None
    assert AuditLog.objects.filter(entity="compensation", object_id=str(comp.pk),
                                   customer_id=customers.own.pk).exists()


@pytest.mark.parametrize(("kind", "amount", "cost", "field"), [
    ("refund", "0", "0", "amount"),
    ("coupon", "-1", "0", "amount"),
    ("gift", "0", "-5", "cost"),
    ("gift", "0", "abc", "cost"),
    ("bribe", "1", "1", "kind"),
])
def test_compensation_bad_input(org, customers, kind, amount, cost, field):
    t = _complaint(org, customers)
    with pytest.raises(ValidationError) as exc:
        compensation_add(actor=org.rep, ticket=t, kind=kind, amount=amount, cost=cost)
    assert field in exc.value.message_dict
    assert not Compensation.objects.exists()
    assert ComplaintStep.objects.get(ticket=t, step="compensate").done_at is None


def test_compensation_needs_change_right(org, customers):
    t = _complaint(org, customers)
    with pytest.raises(PermissionDeniedError):
        compensation_add(actor=org.analyst, ticket=t, kind="gift", amount=0, cost=10)
    assert not Compensation.objects.exists()
