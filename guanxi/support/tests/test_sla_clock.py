"""The SLA clock on tickets: due times at opening, the exact breach moment, pause/resume, priority change,
resolution and reopening, the policy for the customer's level (frozen clock)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from guanxi.support.models import Holiday, SlaPolicy, SlaState, Ticket
from guanxi.support.services.sla import check_sla
from guanxi.support.services.tickets import ticket_create, ticket_reply, ticket_set_status, ticket_update

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, ss, tzinfo=SH)


@pytest.fixture
def policies(db):
    normal = SlaPolicy.objects.create(name="Normal", priority="normal", first_response_minutes=60,
                                      resolution_minutes=540, warning_minutes=30)
    urgent = SlaPolicy.objects.create(name="Urgent", priority="urgent", first_response_minutes=15,
                                      resolution_minutes=120, warning_minutes=10)
    return normal, urgent


def _open(org, customers, when: datetime, **data) -> Ticket:
    with time_machine.travel(when, tick=False):
        return ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Broken", **data})


def _fresh(t: Ticket) -> Ticket:
    return Ticket.objects.get(pk=t.pk)


def test_due_times_at_opening(org, customers, policies):
    t = _open(org, customers, at(3, 2, 17, 30))  # Monday 17:30
    assert t.sla_policy == policies[0] and t.sla_state == SlaState.ON_TRACK
    assert t.first_response_due == at(3, 3, 9, 30)  # 30 min Monday, 30 min Tuesday
    assert t.resolution_due == at(3, 3, 17, 30)


def test_due_times_skip_a_holiday_and_use_a_worked_saturday(org, customers, policies):
    Holiday.objects.create(date=at(10, 9, 0).date(), name="假日")  # Friday off
    Holiday.objects.create(date=at(10, 10, 0).date(), is_workday=True, name="调休")  # Saturday worked
    t = _open(org, customers, at(10, 8, 17, 30))  # Thursday 17:30
    assert t.first_response_due == at(10, 10, 9, 30)


def test_no_policy_no_clock(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10), priority="low")
    assert t.sla_policy is None and t.first_response_due is None and t.sla_state == ""
    with time_machine.travel(at(4, 2, 10), tick=False):
        assert check_sla() == {"breached": 0, "escalated": 0, "at_risk": 0}


def test_level_specific_policy_wins(org, customers, policies):
    a_level = SlaPolicy.objects.create(name="A normal", priority="normal", customer_level="A",
                                       first_response_minutes=20, resolution_minutes=240)
    SlaPolicy.objects.create(name="B normal", priority="normal", customer_level="B",
                             first_response_minutes=50, resolution_minutes=240)
    customers.own.level = "A"
    customers.own.save()
    t = _open(org, customers, at(3, 2, 10))
    assert t.sla_policy == a_level and t.first_response_due == at(3, 2, 10, 20)
    customers.own.level = "C"
    customers.own.save()
    assert _open(org, customers, at(3, 2, 10)).sla_policy == policies[0]
    a_level.is_active = False
    a_level.save()
    customers.own.level = "A"
    customers.own.save()
    assert _open(org, customers, at(3, 2, 10)).sla_policy == policies[0]


@pytest.mark.parametrize(("reply_at", "late"), [((11, 0, 0), False), ((10, 59, 0), False), ((11, 0, 1), True),
                                                 ((11, 1, 0), True)])
def test_first_response_on_time_up_to_the_due_second(org, customers, policies, reply_at, late):
    t = _open(org, customers, at(3, 2, 10))
    assert t.first_response_due == at(3, 2, 11)
    with time_machine.travel(at(3, 2, *reply_at), tick=False):
        ticket_reply(actor=org.rep, ticket=t, body="We are on it")
    t = _fresh(t)
    assert t.first_response_breached is late
    assert t.sla_state == (SlaState.BREACHED if late else SlaState.ON_TRACK)


def test_breach_at_the_exact_minute_by_the_check_job(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10))
    with time_machine.travel(at(3, 2, 10, 59), tick=False):  # due - 1 min: about to breach, not breached
        check_sla()
    assert _fresh(t).sla_state == SlaState.AT_RISK and not _fresh(t).first_response_breached
    with time_machine.travel(at(3, 2, 11), tick=False):  # exactly at the due moment: still on time
        assert check_sla()["breached"] == 0
    assert not _fresh(t).first_response_breached
    with time_machine.travel(at(3, 2, 11, 0, 1), tick=False):  # one second later: breached
        assert check_sla()["breached"] == 1
    t = _fresh(t)
    assert t.first_response_breached and t.sla_state == SlaState.BREACHED and not t.resolution_breached


def test_pause_and_resume_push_the_due_times(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10))  # first response due 11:00, resolution Tuesday 10:00
    with time_machine.travel(at(3, 2, 10, 30), tick=False):
        ticket_set_status(actor=org.rep, ticket=t, status="waiting")
    t = _fresh(t)
    assert t.sla_state == SlaState.PAUSED and t.sla_paused_at == at(3, 2, 10, 30)
    with time_machine.travel(at(3, 2, 15), tick=False):  # past the first-response due, but paused
        assert check_sla()["breached"] == 0
    with time_machine.travel(at(3, 3, 10, 30), tick=False):  # paused 450 + 90 = 540 business minutes
        ticket_set_status(actor=org.rep, ticket=t, status="open")
    t = _fresh(t)
    assert t.sla_paused_at is None and t.sla_state == SlaState.ON_TRACK
    assert t.first_response_due == at(3, 3, 11) and t.resolution_due == at(3, 4, 10)


def test_pause_after_the_first_response_pushes_only_the_resolution(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10))
    with time_machine.travel(at(3, 2, 10, 10), tick=False):
        ticket_reply(actor=org.rep, ticket=t, body="Hello")
        ticket_set_status(actor=org.rep, ticket=t, status="waiting")
    with time_machine.travel(at(3, 2, 12, 10), tick=False):
        ticket_set_status(actor=org.rep, ticket=t, status="open")
    t = _fresh(t)
    assert t.first_response_due == at(3, 2, 11) and t.resolution_due == at(3, 3, 12)


def test_resolution_met_or_breached(org, customers, policies):
    on_time = _open(org, customers, at(3, 2, 10))
    late = _open(org, customers, at(3, 2, 10))
    with time_machine.travel(at(3, 2, 10, 30), tick=False):
        ticket_reply(actor=org.rep, ticket=on_time, body="Hi")
        ticket_reply(actor=org.rep, ticket=late, body="Hi")
    with time_machine.travel(at(3, 3, 10), tick=False):  # exactly at the resolution due
        ticket_set_status(actor=org.rep, ticket=on_time, status="resolved")
    with time_machine.travel(at(3, 3, 10, 0, 1), tick=False):
        ticket_set_status(actor=org.rep, ticket=late, status="resolved")
    assert _fresh(on_time).sla_state == SlaState.MET and not _fresh(on_time).resolution_breached
    assert _fresh(late).sla_state == SlaState.BREACHED and _fresh(late).resolution_breached


def test_reopening_resumes_with_the_time_left(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10))  # resolution due Tuesday 10:00
    with time_machine.travel(at(3, 2, 10, 30), tick=False):
        ticket_reply(actor=org.rep, ticket=t, body="Looking")
    with time_machine.travel(at(3, 3, 9), tick=False):  # resolved with 60 business minutes left
        ticket_set_status(actor=org.rep, ticket=t, status="resolved")
        ticket_set_status(actor=org.rep, ticket=t, status="closed")
    with time_machine.travel(at(3, 4, 15), tick=False):
        ticket_set_status(actor=org.rep, ticket=t, status="reopened")
    t = _fresh(t)
    assert t.resolution_due == at(3, 4, 16) and t.sla_state == SlaState.ON_TRACK and not t.resolution_breached


def test_priority_change_picks_the_new_policy_counting_the_pause(org, customers, policies):
    t = _open(org, customers, at(3, 2, 10))
    with time_machine.travel(at(3, 2, 10, 5), tick=False):
        ticket_set_status(actor=org.rep, ticket=t, status="waiting")
    with time_machine.travel(at(3, 2, 10, 35), tick=False):  # paused 30 business minutes
        ticket_set_status(actor=org.rep, ticket=t, status="open")
        ticket_update(actor=org.rep, ticket=t, data={"priority": "urgent"}, version=None)
    t = _fresh(t)
    assert t.sla_policy == policies[1]
    assert t.first_response_due == at(3, 2, 10, 45)  # opened 10:00 + 15 + 30 paused
    assert t.resolution_due == at(3, 2, 12, 30)  # opened 10:00 + 120 + 30 paused
    with time_machine.travel(at(3, 2, 11), tick=False):
        ticket_update(actor=org.rep, ticket=t, data={"priority": "low"}, version=None)  # no policy: no clock
    t = _fresh(t)
    assert t.sla_policy is None and t.first_response_due is None and t.sla_state == ""
