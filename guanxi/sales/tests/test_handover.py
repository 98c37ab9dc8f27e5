"""离职交接: one transaction, one batch, everything the person owns, clear refusals."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Contact, Customer, CustomerTeamMember, Task
from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import ApiToken, AuditLog, Employee
from guanxi.governance.services import api_token_authenticate, api_token_create
from guanxi.sales.models import Handover, Lead, Opportunity, OwnerChange, Pipeline, Stage
from guanxi.sales.selectors.pool import handover_preview
from guanxi.sales.services.handover import handover_execute


@pytest.fixture
def book(org, customers):
    """The East rep owns 3 customers (one with 2 contacts), 2 leads (+1 converted), 2 open and 1 won
    opportunity, 2 open tasks (+1 done)."""
    extra = [customer_create(actor=org.rep, data={"name": f"客户{i}"}) for i in range(2)]
    owned = [customers.own, *extra]
    Contact.objects.create(customer=customers.own, name="王经理")
    Contact.objects.create(customer=customers.own, name="李总")
    Lead.objects.create(name="线索一", owner=org.rep)
    Lead.objects.create(name="线索二", owner=org.rep)
    Lead.objects.create(name="已转化", owner=org.rep, status=Lead.Status.CONVERTED)
    pipeline = Pipeline.objects.get(is_default=True)
    open_stage = Stage.objects.filter(pipeline=pipeline, kind="open").first()
    won = Stage.objects.get(pipeline=pipeline, kind="won")
    Opportunity.objects.create(customer=extra[0], name="商机A", pipeline=pipeline, stage=open_stage, owner=org.rep)
    Opportunity.objects.create(customer=customers.same_dept, name="商机B", pipeline=pipeline, stage=open_stage,
                               owner=org.rep)
    Opportunity.objects.create(customer=extra[1], name="赢单", pipeline=pipeline, stage=won, owner=org.rep)
    due = timezone.now() + datetime.timedelta(days=1)
    Task.objects.create(title="回访", assignee=org.rep, due_at=due, customer=extra[1])
    Task.objects.create(title="整理", assignee=org.rep, due_at=due)
    Task.objects.create(title="已完成", assignee=org.rep, due_at=due, done_at=timezone.now())
    return owned


def test_preview_counts(org, book):
    preview = handover_preview(user=org.admin, from_user=org.rep)
    assert preview["counts"] == {"customers": 3, "contacts": 2, "leads": 2, "opportunities": 2, "tasks": 2}
    with pytest.raises(PermissionDeniedError):
        handover_preview(user=org.manager, from_user=org.rep)


def test_everything_to_one_receiver_keeping_read_access_and_departing(org, book):
    token, key = api_token_create(actor=org.rep, name="phone")
    until = timezone.localdate() + datetime.timedelta(days=30)
    handover = handover_execute(actor=org.admin, from_user=org.rep, receivers=[org.rep_sh], mode="one",
                                reason="离职", keep_read_until=until, departed=True)
    assert Customer.objects.filter(owner=org.rep).count() == 0
    assert Customer.objects.filter(owner=org.rep_sh).count() == 4  # + her own
    moved = Customer.objects.get(pk=book[1].pk)
    assert moved.department_id == org.shanghai.pk and moved.claimed_at is not None
    assert set(Lead.objects.filter(owner=org.rep).values_list("name", flat=True)) == {"已转化"}
    assert Opportunity.objects.filter(owner=org.rep).values_list("name", flat=True).get() == "赢单"
    assert Task.objects.filter(assignee=org.rep).values_list("title", flat=True).get() == "已完成"
    changes = OwnerChange.objects.filter(batch=handover)
    assert changes.filter(entity="customer").count() == 3 and changes.filter(entity="lead").count() == 2
    assert set(changes.values_list("to_user_id", flat=True)) == {org.rep_sh.pk}
    assert handover.summary["customers"] == {"total": 3, "to": {str(org.rep_sh.pk): 3}, "pool": 0}
    assert handover.summary["contacts"] == 2 and handover.summary["tasks"]["total"] == 2
    # Read-only team member until the day, then nothing.
    member = CustomerTeamMember.objects.get(customer=book[0], user=org.rep)
    assert member.access == "read" and timezone.localtime(member.expires_at).date() == until + datetime.timedelta(1)
    # The person has left: no login, no API.
    org.rep.refresh_from_db()
    assert not org.rep.is_active and Employee.objects.get(user=org.rep).status == "departed"
    assert api_token_authenticate(key) is None and ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditLog.objects.filter(entity="handover", object_id=str(handover.pk)).exists()
    assert AuditLog.objects.filter(entity="customer", customer_id=book[0].pk, action="assign").exists()


def test_split_evenly_and_opportunities_follow_their_customer(org, book):
    handover_execute(actor=org.admin, from_user=org.rep, receivers=[org.rep_sh, org.manager], mode="even")
    owners = list(Customer.objects.filter(pk__in=[c.pk for c in book]).order_by("id").values_list("owner_id",
                                                                                                  flat=True))
    assert owners == [org.rep_sh.pk, org.manager.pk, org.rep_sh.pk]
    opp = Opportunity.objects.get(name="商机A")
    assert opp.owner_id == Customer.objects.get(pk=opp.customer_id).owner_id
    task = Task.objects.get(title="回访")
    assert task.assignee_id == Customer.objects.get(pk=task.customer_id).owner_id


def test_by_list(org, book):
    assignments = {book[0].pk: org.manager.pk, book[1].pk: org.manager.pk}
    handover_execute(actor=org.admin, from_user=org.rep, receivers=[org.rep_sh, org.manager], mode="list",
                     assignments=assignments)
    assert Customer.objects.get(pk=book[0].pk).owner_id == org.manager.pk
    assert Customer.objects.get(pk=book[2].pk).owner_id == org.rep_sh.pk  # unlisted: split evenly
    with pytest.raises(ValidationError) as exc:
        handover_execute(actor=org.admin, from_user=org.rep_sh, receivers=[org.manager], mode="list",
                         assignments={book[0].pk: org.rep_west.pk})
    assert "assignments" in exc.value.message_dict


def test_customers_back_to_the_pool(org, book):
    handover = handover_execute(actor=org.admin, from_user=org.rep, receivers=[org.manager], mode="pool")
    assert Customer.objects.filter(pk__in=[c.pk for c in book], owner__isnull=True).count() == 3
    assert Task.objects.filter(assignee=org.manager, done_at__isnull=True).count() == 2
    assert handover.summary["customers"]["pool"] == 3
    assert OwnerChange.objects.filter(batch=handover, entity="customer", to_user__isnull=True).count() == 3


def test_pool_without_receivers_needs_no_tasks(org, book):
    with pytest.raises(ValidationError) as exc:
        handover_execute(actor=org.admin, from_user=org.rep, receivers=[], mode="pool")
    assert "open tasks" in exc.value.message_dict["receivers"][0]


@pytest.mark.parametrize("case", ["departed", "inactive", "self", "none"])
def test_refusals_change_nothing(org, book, case):
    from guanxi.governance.services_people import employee_depart

    if case == "departed":
        employee_depart(actor=org.admin, employee=org.rep_sh.employee)
        receivers = [org.rep_sh]
    elif case == "inactive":
        type(org.rep_sh).objects.filter(pk=org.rep_sh.pk).update(is_active=False)
        receivers = [org.rep_sh]
    elif case == "self":
        receivers = [org.rep]
    else:
        receivers = []
    with pytest.raises(ValidationError) as exc:
        handover_execute(actor=org.admin, from_user=org.rep, receivers=receivers, mode="one", departed=True)
    assert exc.value.message_dict["receivers"]
    assert Customer.objects.filter(owner=org.rep).count() == 3
    assert not Handover.objects.exists() and not OwnerChange.objects.exists()
    assert Employee.objects.get(user=org.rep).status == "active"


def test_only_admins_hand_over(org, book):
    with pytest.raises(PermissionDeniedError):
        handover_execute(actor=org.manager, from_user=org.rep, receivers=[org.rep_sh])


def test_past_read_access_day_is_refused(org, book):
    with pytest.raises(ValidationError) as exc:
        handover_execute(actor=org.admin, from_user=org.rep, receivers=[org.rep_sh],
                         keep_read_until=timezone.localdate() - datetime.timedelta(days=1))
    assert "keep_read_until" in exc.value.message_dict
