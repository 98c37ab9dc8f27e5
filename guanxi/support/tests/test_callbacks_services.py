"""Callbacks (回访): scheduling after delivery (idempotent) and after a ticket closes; completing a call."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Interaction, Order
from guanxi.customers.services.orders import order_create, order_update
from guanxi.governance.models import AuditLog
from guanxi.support.models import Callback, CallbackRule
from guanxi.support.services.callbacks import (
    callback_complete,
    callback_rule_save,
    schedule_order_callbacks,
)
from guanxi.support.services.tickets import ticket_set_status

from .surveys_helpers import closed_ticket

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 10)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _delivered_order(org, customer, day: datetime.date, actor=None, **data):
    order = order_create(actor=actor or org.admin, customer=customer,
                         data={"ordered_at": _at(day - datetime.timedelta(days=5)), **data})
    return order_update(actor=actor or org.admin, order=order, data={"delivered_at": _at(day, 23)}, version=None)


def test_order_rule_creates_callback_n_days_after_delivery_once(org, customers):
    rule = CallbackRule.objects.create(name="3 days after delivery", trigger="order_delivered", days=3,
                                       script="Ask whether the machine works.")
    CallbackRule.objects.create(name="Switched off", trigger="order_delivered", days=3, is_active=False)
    due = _delivered_order(org, customers.own, TODAY - datetime.timedelta(days=3), actor=org.rep)
    later = _delivered_order(org, customers.own, TODAY - datetime.timedelta(days=2), actor=org.rep)
    _delivered_order(org, customers.own, TODAY - datetime.timedelta(days=4), actor=org.rep, status="cancelled")
    _delivered_order(org, customers.pool, TODAY - datetime.timedelta(days=3))  # pool, no salesperson: skipped
    assert Order.objects.get(pk=due.pk).salesperson == org.rep

    assert schedule_order_callbacks(TODAY) == {"created": 1, "skipped": 1}
    [cb] = Callback.objects.all()
    assert (cb.rule, cb.order, cb.customer, cb.assignee, cb.due_date, cb.status) == (
        rule, due, customers.own, org.rep, TODAY, "pending")
    assert schedule_order_callbacks(TODAY) == {"created": 0, "skipped": 1}  # idempotent
    assert Callback.objects.count() == 1
    schedule_order_callbacks(TODAY + datetime.timedelta(days=1))
    assert sorted(Callback.objects.values_list("order_id", flat=True)) == [due.pk, later.pk]
    assert Callback.objects.get(order=later).due_date == TODAY + datetime.timedelta(days=1)


def test_assignee_falls_back_to_the_owner_and_new_rules_do_not_flood(org, customers):
    CallbackRule.objects.create(name="7 days", trigger="order_delivered", days=7)
    order = _delivered_order(org, customers.own, TODAY - datetime.timedelta(days=7))
    Order.objects.filter(pk=order.pk).update(salesperson=None)
    _delivered_order(org, customers.same_dept, TODAY - datetime.timedelta(days=300))  # long ago: not called now
    schedule_order_callbacks(TODAY)
    assert list(Callback.objects.values_list("order_id", "assignee_id")) == [(order.pk, org.rep.pk)]


def test_delivery_before_the_order_is_refused(org, customers):
    order = order_create(actor=org.rep, customer=customers.own, data={"ordered_at": _at(TODAY)})
    with pytest.raises(ValidationError) as exc:
        order_update(actor=org.rep, order=order, data={"delivered_at": _at(TODAY - datetime.timedelta(days=1))},
                     version=None)
    assert "delivered_at" in exc.value.message_dict
    assert Order.objects.get(pk=order.pk).delivered_at is None


def test_ticket_close_schedules_matching_rules_once(org, customers):
    rule = CallbackRule.objects.create(name="After inquiries", trigger="ticket_closed", days=7, ticket_type="inquiry")
    CallbackRule.objects.create(name="After repairs", trigger="ticket_closed", days=2, ticket_type="repair")
    anytype = CallbackRule.objects.create(name="Any ticket", trigger="ticket_closed", days=1)
    ticket = closed_ticket(org, customers.own, type="inquiry")
    closed_on = timezone.localdate(ticket.closed_at)
    rows = {cb.rule_id: cb for cb in Callback.objects.all()}
    assert set(rows) == {rule.pk, anytype.pk}
    assert rows[rule.pk].due_date == closed_on + datetime.timedelta(days=7)
    assert rows[rule.pk].assignee == org.agent and rows[rule.pk].ticket == ticket
    ticket_set_status(actor=org.admin, ticket=ticket, status="reopened")
    ticket_set_status(actor=org.admin, ticket=ticket, status="resolved")
    ticket_set_status(actor=org.admin, ticket=ticket, status="closed")
    assert Callback.objects.count() == 2


def test_unassigned_pool_ticket_gets_no_callback(org, customers):
    CallbackRule.objects.create(name="Any ticket", trigger="ticket_closed", days=1)
    closed_ticket(org, customers.pool, assignee=None)
    assert Callback.objects.count() == 0
    closed_ticket(org, customers.own, assignee=None)
    assert Callback.objects.get().assignee == org.rep  # the customer's owner


def _callback(org, customers, **extra):
    rule = CallbackRule.objects.create(name="Ask", trigger="order_delivered", days=3)
    return Callback.objects.create(rule=rule, customer=customers.own, assignee=org.agent, due_date=TODAY, **extra)


@pytest.mark.parametrize("satisfaction", [0, 6, "x", -1])
def test_satisfaction_out_of_range_is_refused(org, customers, satisfaction):
    cb = _callback(org, customers)
    with pytest.raises(ValidationError) as exc:
        callback_complete(actor=org.agent, callback=cb, status="done", outcome="Fine", satisfaction=satisfaction)
    assert list(exc.value.message_dict) == ["satisfaction"]
    cb.refresh_from_db()
    assert cb.status == "pending" and cb.satisfaction is None and not Interaction.objects.exists()


def test_completion_rules_and_follow_up(org, customers):
    cb = _callback(org, customers)
    with pytest.raises(ValidationError) as exc:
        callback_complete(actor=org.agent, callback=cb, status="done", outcome="  ")
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        callback_complete(actor=org.agent, callback=cb, status="pending")
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        callback_complete(actor=org.agent, callback=cb, status="unreachable", satisfaction=3)
    assert "satisfaction" in exc.value.message_dict
    with pytest.raises(ConflictError):
        callback_complete(actor=org.agent, callback=cb, status="done", outcome="x", version=cb.version + 1)

    done = callback_complete(actor=org.agent, callback=cb, status="done", outcome="Works well", satisfaction="4",
                             version=cb.version)
    assert (done.status, done.satisfaction, done.done_by, done.outcome) == ("done", 4, org.agent, "Works well")
    follow_up = Interaction.objects.get(customer=customers.own)
    assert "4/5" in follow_up.summary and "Works well" in follow_up.content and follow_up.staff == org.agent
    assert AuditLog.objects.filter(entity="callback", object_id=str(cb.pk), action="update").exists()
    with pytest.raises(ValidationError) as exc:
        callback_complete(actor=org.agent, callback=cb, status="cancelled")
    assert "status" in exc.value.message_dict


def test_unreachable_can_be_tried_again(org, customers):
    cb = _callback(org, customers)
    callback_complete(actor=org.agent, callback=cb, status="unreachable", outcome="No answer")
    again = callback_complete(actor=org.agent, callback=cb, status="done", outcome="Reached", satisfaction=5)
    assert again.status == "done" and Interaction.objects.filter(customer=customers.own).count() == 2


def test_who_may_complete(org, customers):
    cb = _callback(org, customers)
    for user in (org.rep_west, org.analyst, org.marketing):
        with pytest.raises(PermissionDeniedError):
            callback_complete(actor=user, callback=cb, status="cancelled")
    assert callback_complete(actor=org.rep, callback=cb, status="cancelled").status == "cancelled"  # the owner


def test_rule_settings_rights_and_validation(org):
    data = {"name": "After delivery", "trigger": "order_delivered", "days": 3}
    for user in (org.agent, org.rep, org.manager, org.analyst):
        with pytest.raises(PermissionDeniedError):
            callback_rule_save(actor=user, rule=None, data=data)
    with pytest.raises(ValidationError) as exc:
        callback_rule_save(actor=org.service_manager, rule=None, data={**data, "ticket_type": "repair"})
    assert "ticket_type" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        callback_rule_save(actor=org.service_manager, rule=None,
                           data={**data, "trigger": "ticket_closed", "ticket_type": "bogus"})
    assert "ticket_type" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        callback_rule_save(actor=org.service_manager, rule=None, data={**data, "days": 400})
    assert "days" in exc.value.message_dict
    rule = callback_rule_save(actor=org.service_manager, rule=None, data=data)
    changed = callback_rule_save(actor=org.admin, rule=rule, data={"days": 5})
    assert changed.days == 5 and CallbackRule.objects.count() == 1
    assert AuditLog.objects.filter(entity="callbackrule", object_id=str(rule.pk)).count() == 2
