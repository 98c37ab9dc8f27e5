"""The nightly recycling job on a frozen clock (Asia/Shanghai), at the edges of each rule.

Decision under test: "N days" are calendar days in the company's time zone. A clock started at
any moment of local day D runs out at 00:00 on day D+N: a run on day D+N-1 (even at 23:59) keeps
the customer, a run on day D+N (even at 00:01) recycles it, as does any later run.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from guanxi.customers.models import Customer, Task
from guanxi.governance.models import AuditLog
from guanxi.sales.models import Opportunity, OwnerChange, Pipeline, Pool, PoolLevelRule, Stage
from guanxi.sales.services.recycle import WARNING_TYPE, pool_recycle

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def pool(db):
    pool = Pool.objects.get(department__isnull=True)
    pool.is_active = True
    pool.no_follow_up_days = 10
    pool.no_opportunity_days = None
    pool.not_won_days = None
    pool.warn_days_before = 0
    pool.exempt_won = True
    pool.exempt_open_opportunity = True
    pool.save()
    return pool


def claimed(customer: Customer, when: datetime.datetime, *, last: datetime.datetime | None = None,
            level: str = "") -> Customer:
    Customer.objects.filter(pk=customer.pk).update(claimed_at=when, last_interaction_at=last, level=level)
    customer.refresh_from_db()
    return customer


def owner_of(customer: Customer) -> int | None:
    return Customer.objects.values_list("owner_id", flat=True).get(pk=customer.pk)


@pytest.mark.parametrize("claim_time", [(0, 0), (23, 59)])
@pytest.mark.parametrize(("run", "kept"), [
    (at(2025, 3, 10, 23, 59), True),   # day N-1, last minute: kept
    (at(2025, 3, 11, 0, 1), False),    # day N, first minute: recycled
    (at(2025, 3, 11, 23, 0), False),   # day N, late
    (at(2025, 3, 12, 2, 0), False),    # day N+1
])
def test_no_follow_up_clock_edges(org, customers, pool, claim_time, run, kept):
    customer = claimed(customers.own, at(2025, 3, 1, *claim_time))  # day D = 1 March, N = 10
    result = pool_recycle(now=run)
    if kept:
        assert owner_of(customer) == org.rep.pk
        assert result["recycled"] == 0 and customer.pk not in _recycled_ids()
    else:
        assert owner_of(customer) is None
        change = OwnerChange.objects.get(entity="customer", object_id=customer.pk, kind="recycle")
        assert change.from_user_id == org.rep.pk and change.to_user_id is None
        assert "10" in change.reason and change.at == run


def _recycled_ids() -> set[int]:
    return set(OwnerChange.objects.filter(kind="recycle").values_list("object_id", flat=True))


def test_clock_counts_from_the_later_of_claim_and_last_follow_up(org, customers, pool):
    customer = claimed(customers.own, at(2025, 3, 1, 9), last=at(2025, 3, 5, 22))
    pool_recycle(now=at(2025, 3, 14, 23, 59))  # 10 days after the claim, 9 after the follow-up
    assert owner_of(customer) == org.rep.pk
    pool_recycle(now=at(2025, 3, 15, 0, 1))
    assert owner_of(customer) is None


def test_the_time_zone_is_shanghai_not_utc(org, customers, pool):
    # 1 March 23:30 in Shanghai is 1 March 15:30 UTC; a UTC-day clock would make no difference here,
    # but 2 March 00:30 Shanghai (= 1 March 16:30 UTC) starts on local day 2 March.
    customer = claimed(customers.own, datetime.datetime(2025, 3, 1, 16, 30, tzinfo=datetime.UTC))
    pool_recycle(now=at(2025, 3, 11, 12))
    assert owner_of(customer) == org.rep.pk  # local day D = 2 March: runs out on 12 March
    pool_recycle(now=at(2025, 3, 12, 0, 1))
    assert owner_of(customer) is None


def test_result_and_ledger_and_one_summary_audit_row(org, customers, pool):
    for c in (customers.own, customers.same_dept, customers.other_dept):
        claimed(c, at(2025, 1, 1))
    result = pool_recycle(now=at(2025, 3, 1))
    assert result["recycled"] == 3
    assert Customer.objects.filter(owner__isnull=True).count() == 4
    assert Customer.objects.get(pk=customers.own.pk).claimed_at is None
    assert OwnerChange.objects.filter(kind="recycle").count() == 3
    assert AuditLog.objects.filter(entity="pool", object_id="recycle").count() == 1
    # Idempotent: nothing left to do.
    assert pool_recycle(now=at(2025, 3, 1, 0, 5))["recycled"] == 0
    assert OwnerChange.objects.filter(kind="recycle").count() == 3


def test_locked_and_exempt_customers_are_kept(org, customers, pool):
    for c in (customers.own, customers.same_dept, customers.other_dept):
        claimed(c, at(2025, 1, 1))
    Customer.objects.filter(pk=customers.own.pk).update(locked_at=at(2025, 1, 2))
    Customer.objects.filter(pk=customers.same_dept.pk).update(lifecycle=Customer.Lifecycle.ACTIVE)  # has bought
    pipeline = Pipeline.objects.get(is_default=True)
    Opportunity.objects.create(customer=customers.other_dept, name="Deal", pipeline=pipeline,
                               stage=Stage.objects.get(pipeline=pipeline, kind="open", position=0))
    assert pool_recycle(now=at(2025, 3, 1))["recycled"] == 0
    # Without the exemptions the won and the open-opportunity customers go; the locked one never does.
    Pool.objects.filter(pk=pool.pk).update(exempt_won=False, exempt_open_opportunity=False)
    pool_recycle(now=at(2025, 3, 1))
    assert owner_of(customers.own) == org.rep.pk
    assert owner_of(customers.same_dept) is None and owner_of(customers.other_dept) is None


def test_inactive_pool_recycles_nothing(org, customers, pool):
    claimed(customers.own, at(2025, 1, 1))
    Pool.objects.filter(pk=pool.pk).update(is_active=False)
    assert pool_recycle(now=at(2025, 3, 1))["recycled"] == 0
    assert owner_of(customers.own) == org.rep.pk


def test_level_specific_day_counts(org, customers, pool):
    PoolLevelRule.objects.create(pool=pool, level="A", no_follow_up_days=30)
    a = claimed(customers.own, at(2025, 3, 1), level="A")
    b = claimed(customers.same_dept, at(2025, 3, 1), level="B")
    pool_recycle(now=at(2025, 3, 11, 0, 1))
    assert owner_of(a) == org.rep.pk and owner_of(b) is None
    pool_recycle(now=at(2025, 3, 30, 23, 59))
    assert owner_of(a) == org.rep.pk
    pool_recycle(now=at(2025, 3, 31, 0, 1))
    assert owner_of(a) is None
    assert "(level A)" in OwnerChange.objects.get(object_id=a.pk, kind="recycle").reason


def test_no_opportunity_rule(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(no_follow_up_days=None, no_opportunity_days=5,
                                           exempt_open_opportunity=False)
    with_opp = claimed(customers.own, at(2025, 3, 1))
    without = claimed(customers.same_dept, at(2025, 3, 1))
    pipeline = Pipeline.objects.get(is_default=True)
    lost = Stage.objects.get(pipeline=pipeline, kind="lost")
    opp = Opportunity.objects.create(customer=with_opp, name="Deal", pipeline=pipeline, stage=lost)
    Opportunity.objects.filter(pk=opp.pk).update(created_at=at(2025, 3, 3))
    pool_recycle(now=at(2025, 3, 5, 23, 59))
    assert owner_of(without) == org.rep_sh.pk
    pool_recycle(now=at(2025, 3, 6, 0, 1))
    assert owner_of(without) is None
    assert owner_of(with_opp) == org.rep.pk


def test_not_won_rule(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(no_follow_up_days=None, not_won_days=20, exempt_won=False)
    won = claimed(customers.own, at(2025, 3, 1))
    Customer.objects.filter(pk=won.pk).update(lifecycle=Customer.Lifecycle.WON_BACK)
    pipeline = Pipeline.objects.get(is_default=True)
    won_by_deal = claimed(customers.other_dept, at(2025, 3, 1))
    Opportunity.objects.create(customer=won_by_deal, name="Deal", pipeline=pipeline,
                               stage=Stage.objects.get(pipeline=pipeline, kind="won"))
    not_won = claimed(customers.same_dept, at(2025, 3, 1))
    pool_recycle(now=at(2025, 3, 20, 23, 59))
    assert owner_of(not_won) is not None
    pool_recycle(now=at(2025, 3, 21, 0, 1))
    assert owner_of(not_won) is None
    assert owner_of(won) == org.rep.pk and owner_of(won_by_deal) == org.rep_west.pk


def test_department_pool_applies_to_its_subtree(org, customers, pool):
    Pool.objects.create(name="East pool", department=org.east, is_active=True, no_follow_up_days=40,
                        warn_days_before=0)
    for c in (customers.own, customers.same_dept, customers.other_dept):  # East, Shanghai (under East), West
        claimed(c, at(2025, 1, 1))
    pool_recycle(now=at(2025, 1, 20))
    assert owner_of(customers.own) is not None and owner_of(customers.same_dept) is not None
    assert owner_of(customers.other_dept) is None  # the company pool's 10 days
    pool_recycle(now=at(2025, 2, 10))
    assert owner_of(customers.own) is None and owner_of(customers.same_dept) is None


def test_warnings_created_once_then_closed_when_recycled(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(warn_days_before=3)
    customer = claimed(customers.own, at(2025, 3, 1, 15))  # runs out on 11 March
    claimed(customers.same_dept, at(2025, 3, 5))  # runs out on 15 March: outside the window
    pool_recycle(now=at(2025, 3, 7, 23, 59))  # window: runs out by 10 March
    assert not Task.objects.filter(related_type=WARNING_TYPE).exists()
    result = pool_recycle(now=at(2025, 3, 8, 2))  # runs out by 11 March
    assert result["warned"] == 1
    task = Task.objects.get(related_type=WARNING_TYPE)
    assert task.assignee_id == org.rep.pk and task.customer_id == customer.pk and task.related_id == customer.pk
    assert "2025-03-11" in task.title
    assert task.due_at == at(2025, 3, 11)
    assert pool_recycle(now=at(2025, 3, 9, 2))["warned"] == 0  # no duplicate while it is open
    assert Task.objects.filter(related_type=WARNING_TYPE).count() == 1
    pool_recycle(now=at(2025, 3, 11, 2))
    task.refresh_from_db()
    assert owner_of(customer) is None and task.done_at is not None


def test_warning_uses_the_earliest_rule(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(warn_days_before=5, not_won_days=8, exempt_won=False)
    claimed(customers.own, at(2025, 3, 1), last=at(2025, 3, 6))  # follow-up clock: 16 March; not won: 9 March
    pool_recycle(now=at(2025, 3, 5))
    task = Task.objects.get(related_type=WARNING_TYPE)
    assert "2025-03-09" in task.title


def test_the_nightly_task_is_scheduled_and_runs(org, customers, pool):
    from guanxi.customers.schedule import SCHEDULE
    from guanxi.sales.tasks import recycle_public_pool

    assert any(job.task == "guanxi.sales.tasks.recycle_public_pool" for job in SCHEDULE)
    claimed(customers.own, at(2020, 1, 1))
    result = recycle_public_pool.enqueue()  # the test settings run tasks immediately
    assert result.return_value["recycled"] == 1
    assert owner_of(customers.own) is None


def test_warned_owner_gets_one_email(org, customers, pool, mailoutbox):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(pk=org.rep.pk).update(email="rep@example.com")
    Pool.objects.filter(pk=pool.pk).update(warn_days_before=3)
    claimed(customers.own, at(2025, 3, 1, 15))  # runs out on 11 March
    pool_recycle(now=at(2025, 3, 8, 2))
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["rep@example.com"]
    assert customers.own.name in mailoutbox[0].body and "2025-03-11" in mailoutbox[0].body
    pool_recycle(now=at(2025, 3, 9, 2))  # still warned: no second e-mail
    assert len(mailoutbox) == 1
