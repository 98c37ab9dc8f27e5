"""Proactive tasks: next purchase / run-out and core customers at risk, for the owner, never twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from guanxi.analytics.models import AnalyticsPolicy, CustomerMetrics, UsageRate
from guanxi.analytics.services.metrics import compute_metrics
from guanxi.analytics.services.proactive import AT_RISK, NEXT_PURCHASE
from guanxi.customers.models import Task
from guanxi.customers.selectors.tasks import my_tasks
from guanxi.customers.services.activity import task_complete, task_create

from .metrics_helpers import AS_OF, NOW, SH, customer, every, metrics_rows, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(org):
    """due: buys every 30 days, last 25 days ago; core: the biggest buyer, now silent for 4 intervals;
    small: bought twice long ago; orphan: like "due" but in the public pool."""
    due, core, small = customer(org.rep, "due"), customer(org.rep, "core"), customer(org.rep, "small")
    orphan = customer(None, "orphan")
    every(due, start=115, step=30, count=4, amount=100)
    every(orphan, start=115, step=30, count=4, amount=100)
    every(core, start=420, step=20, count=19, amount=5000)  # last purchase 60 days ago, every 20 days
    every(small, start=400, step=100, count=2, amount=10)  # silent for 3 intervals: at risk, low value
    return {"due": due, "core": core, "small": small, "orphan": orphan}


def _tasks(kind=None):
    qs = Task.objects.filter(related_type__startswith="analytics.")
    return qs.filter(related_type=kind) if kind else qs


def test_tasks_for_the_owner_once(org, book, clock):
    first = compute_metrics(as_of=AS_OF)
    assert first["method"] == "rules"
    assert CustomerMetrics.objects.get(customer=book["core"]).quadrant in ("core", "keep")
    assert CustomerMetrics.objects.get(customer=book["core"]).churn_state == "at_risk"
    nxt, risk = _tasks(NEXT_PURCHASE).get(), _tasks(AT_RISK).get()
    assert (nxt.customer, nxt.related_id, nxt.assignee) == (book["due"], book["due"].pk, org.rep)
    assert nxt.due_at == datetime.combine(AS_OF + timedelta(days=4), time(9), tzinfo=SH)  # the day before
    assert "usually buys every 30 days" in nxt.notes and nxt.created_by is None and not nxt.is_done
    assert risk.customer == book["core"] and risk.title.startswith("★ ")
    assert risk.due_at == datetime.combine(AS_OF, time.min, tzinfo=SH)
    assert first["tasks"] == {"next_purchase": 1, "at_risk": 1, "skipped_no_owner": 1}  # the orphan

    rows = metrics_rows()
    second = compute_metrics(as_of=AS_OF)
    assert metrics_rows() == rows
    assert second["tasks"]["next_purchase"] == 0 and second["tasks"]["at_risk"] == 0
    assert _tasks().count() == 2


def test_core_at_risk_heads_the_owners_list(org, book, clock):
    task_create(actor=org.rep, data={"title": "Call the bank", "due_at": timezone.make_aware(
        datetime.combine(AS_OF, time(8, 30)))})
    compute_metrics(as_of=AS_OF)
    today = list(my_tasks(user=org.rep, when="today"))
    assert today[0].related_type == AT_RISK and today[0].title.startswith("★")


def test_a_closed_prompt_is_not_repeated_until_the_next_purchase(org, book, clock):
    compute_metrics(as_of=AS_OF)
    task = _tasks(NEXT_PURCHASE).get()
    task_complete(actor=org.rep, task=task)
    compute_metrics(as_of=AS_OF)
    assert _tasks(NEXT_PURCHASE).count() == 1  # same purchase cycle: no new prompt
    order(book["due"], AS_OF + timedelta(days=27), 100)  # bought again; next purchase ~30 days later
    with time_machine.travel(NOW + timedelta(days=52), tick=False):
        compute_metrics(as_of=AS_OF + timedelta(days=52))
    assert _tasks(NEXT_PURCHASE).filter(customer=book["due"]).count() == 2  # a new cycle, a new prompt


def test_at_risk_task_only_when_moving_to_at_risk(org, book, clock):
    compute_metrics(as_of=AS_OF)
    task_complete(actor=org.rep, task=_tasks(AT_RISK).get())
    compute_metrics(as_of=AS_OF)
    assert _tasks(AT_RISK).count() == 1  # still at risk, not newly: no second task


def test_run_out_prompts_and_back_dated_runs_do_not(org, clock):
    from guanxi.customers.models import Product

    c = customer(org.rep, "rice")
    rice = Product.objects.create(sku="RICE", name="Rice")
    order(c, 400, 50, lines=[(rice, 10)])
    order(c, 18, 50, lines=[(rice, 10)])
    UsageRate.objects.create(customer=c, product=rice, units_per_day=Decimal("0.5"))  # runs out in 2 days
    compute_metrics(as_of=AS_OF - timedelta(days=1))
    assert not _tasks().exists()  # not as of today
    compute_metrics(as_of=AS_OF)
    task = _tasks(NEXT_PURCHASE).get()
    assert task.title.startswith("About to run out") and task.due_at.date() == AS_OF + timedelta(days=1)


def test_departed_owner_is_skipped(org, book, clock):
    from guanxi.governance.models import Employee

    Employee.objects.filter(user=org.rep).update(status=Employee.Status.DEPARTED)
    summary = compute_metrics(as_of=AS_OF)
    assert not _tasks().exists() and summary["tasks"]["skipped_no_owner"] == 3


def test_lead_days_from_the_policy(org, book, clock):
    AnalyticsPolicy.objects.filter(pk=AnalyticsPolicy.current().pk).update(task_lead_days=2)
    compute_metrics(as_of=AS_OF)
    assert not _tasks(NEXT_PURCHASE).exists()  # due in 5 days: outside two days
