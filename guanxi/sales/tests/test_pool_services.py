"""Claim, release, assign from the pool, lock; the pool rules as data; which pool a customer is in."""

from __future__ import annotations

import datetime
import os
import threading
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from conftest import seed_migration_defaults
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import AuditLog
from guanxi.sales.models import OwnerChange, Pool, PoolLevelRule
from guanxi.sales.selectors.pool import pool_index, pool_of, pool_status
from guanxi.sales.services.pool import (
    customer_lock,
    customer_unlock,
    pool_assign,
    pool_claim,
    pool_delete,
    pool_release,
    pool_save,
)

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def pool(db):
    seed_migration_defaults()  # transactional tests start without the migrations' rows
    pool = Pool.objects.get(department__isnull=True)
    Pool.objects.filter(pk=pool.pk).update(daily_claim_limit=None, holding_limit=None, reclaim_block_days=0,
                                           lock_limit=5)
    pool.refresh_from_db()
    return pool


def pooled(org, n: int, name: str = "池客户") -> list[Customer]:
    return [customer_create(actor=org.admin, data={"name": f"{name}{i}"}, owner=None) for i in range(n)]


# ---------------------------------------------------------------- claim


def test_claim_sets_owner_department_clock_and_logs(org, customers, pool):
    now = at(2025, 5, 1, 10)
    c = pool_claim(actor=org.rep_sh, customer=customers.pool, now=now)
    c.refresh_from_db()
    assert c.owner_id == org.rep_sh.pk and c.department_id == org.shanghai.pk and c.claimed_at == now
    change = OwnerChange.objects.get(entity="customer", object_id=c.pk)
    assert (change.kind, change.from_user_id, change.to_user_id, change.actor_id) == ("claim", None, org.rep_sh.pk,
                                                                                     org.rep_sh.pk)
    audit = AuditLog.objects.filter(customer_id=c.pk, action="assign").get()
    assert audit.changes["owner_id"] == [None, org.rep_sh.pk]


def test_claim_someone_elses_customer_is_refused_and_changes_nothing(org, customers, pool):
    # The manager sees the Shanghai rep's customer but it is not in the pool.
    with pytest.raises(ValidationError) as exc:
        pool_claim(actor=org.manager, customer=customers.same_dept)
    assert "rep_sh" in str(exc.value.message_dict["customer"])
    assert Customer.objects.get(pk=customers.same_dept.pk).owner_id == org.rep_sh.pk
    assert not OwnerChange.objects.exists()


def test_claim_own_customer_and_invisible_customer(org, customers, pool):
    with pytest.raises(ValidationError):
        pool_claim(actor=org.rep, customer=customers.own)
    with pytest.raises(NotFoundError):  # the rep cannot even see another rep's customer
        pool_claim(actor=org.rep, customer=customers.other_dept)


@pytest.mark.parametrize("who", ["marketing", "analyst", "agent", "service_manager"])
def test_roles_that_may_not_claim(org, customers, pool, who):
    with pytest.raises(PermissionDeniedError):
        pool_claim(actor=getattr(org, who), customer=customers.pool)


def test_daily_claim_limit_counts_the_shanghai_day(org, pool):
    Pool.objects.filter(pk=pool.pk).update(daily_claim_limit=2)
    a, b, c, d = pooled(org, 4)
    pool_claim(actor=org.rep, customer=a, now=at(2025, 5, 1, 0, 5))
    pool_claim(actor=org.rep, customer=b, now=at(2025, 5, 1, 23, 50))
    with pytest.raises(ValidationError) as exc:
        pool_claim(actor=org.rep, customer=c, now=at(2025, 5, 1, 23, 59))
    assert "2" in exc.value.message_dict["customer"][0]
    assert Customer.objects.get(pk=c.pk).owner_id is None
    # 00:01 in Shanghai is still the previous day in UTC: a new local day all the same.
    pool_claim(actor=org.rep, customer=c, now=at(2025, 5, 2, 0, 1))
    pool_claim(actor=org.rep_sh, customer=d, now=at(2025, 5, 1, 23, 59))  # another rep's own count


@pytest.mark.parametrize(("counts_won", "allowed"), [(True, False), (False, True)])
def test_holding_limit_with_and_without_won_customers(org, customers, pool, counts_won, allowed):
    Pool.objects.filter(pk=pool.pk).update(holding_limit=1, holding_counts_won=counts_won)
    Customer.objects.filter(pk=customers.own.pk).update(lifecycle=Customer.Lifecycle.ACTIVE)  # won
    if allowed:
        pool_claim(actor=org.rep, customer=customers.pool)
    else:
        with pytest.raises(ValidationError) as exc:
            pool_claim(actor=org.rep, customer=customers.pool)
        assert "limit is 1" in exc.value.message_dict["customer"][0]


def test_former_owner_reclaim_block(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(reclaim_block_days=7)
    pool_release(actor=org.rep, customer=customers.own, reason="不再跟进", now=at(2025, 5, 1, 23))
    with pytest.raises(ValidationError) as exc:
        pool_claim(actor=org.rep, customer=customers.own, now=at(2025, 5, 7, 23, 59))
    assert "2025-05-08" in exc.value.message_dict["customer"][0]
    pool_claim(actor=org.rep_sh, customer=customers.own, now=at(2025, 5, 2))  # others may
    pool_release(actor=org.rep_sh, customer=customers.own, reason="x", now=at(2025, 5, 3))
    pool_claim(actor=org.rep, customer=customers.own, now=at(2025, 5, 8, 0, 1))


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                    reason="SQLite serialises writers; the row lock is exercised on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_only_one_wins(org, customers, pool):
    results: list[str] = []
    barrier = threading.Barrier(2)

    def claim(user):
        from django.db import connections

        try:
            barrier.wait()
            pool_claim(actor=user, customer=customers.pool)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (org.rep, org.rep_west)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert OwnerChange.objects.filter(kind="claim").count() == 1


# ---------------------------------------------------------------- release, assign


def test_release_needs_a_reason_and_the_owner_or_a_manager(org, customers, pool):
    with pytest.raises(ValidationError) as exc:
        pool_release(actor=org.rep, customer=customers.own, reason="  ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDeniedError):  # the Shanghai rep sees the pool only, not the East customer
        pool_release(actor=org.agent, customer=customers.own, reason="x")
    pool_release(actor=org.manager, customer=customers.same_dept, reason="调整")
    c = Customer.objects.get(pk=customers.same_dept.pk)
    assert c.owner_id is None and c.claimed_at is None and c.department_id == org.shanghai.pk
    change = OwnerChange.objects.get(kind="release")
    assert change.from_user_id == org.rep_sh.pk and change.actor_id == org.manager.pk and change.reason == "调整"
    with pytest.raises(ValidationError):
        pool_release(actor=org.manager, customer=customers.same_dept, reason="again")


def test_assign_from_pool_respects_the_holding_limit_unless_an_admin_overrides(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(holding_limit=1)
    with pytest.raises(PermissionDeniedError):
        pool_assign(actor=org.rep, customer=customers.pool, to_user=org.rep_sh)
    with pytest.raises(ValidationError) as exc:
        pool_assign(actor=org.manager, customer=customers.pool, to_user=org.rep)
    assert "to_user" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pool_assign(actor=org.manager, customer=customers.pool, to_user=org.rep, override=True)
    assert "override" in exc.value.message_dict
    with pytest.raises(ValidationError):  # a West rep is outside the East manager's reach
        pool_assign(actor=org.manager, customer=customers.pool, to_user=org.rep_west)
    pool_assign(actor=org.admin, customer=customers.pool, to_user=org.rep, reason="大客户", override=True)
    c = Customer.objects.get(pk=customers.pool.pk)
    assert c.owner_id == org.rep.pk and c.department_id == org.east.pk
    change = OwnerChange.objects.get(kind="assign")
    assert change.to_user_id == org.rep.pk and "大客户" in change.reason


def test_assign_to_a_departed_user_is_refused(org, customers, pool):
    from guanxi.governance.services_people import employee_depart

    employee_depart(actor=org.admin, employee=org.rep_sh.employee)
    with pytest.raises(ValidationError) as exc:
        pool_assign(actor=org.admin, customer=customers.pool, to_user=org.rep_sh)
    assert "left" in exc.value.message_dict["to_user"][0]


# ---------------------------------------------------------------- lock


def test_lock_limit_and_unlock(org, pool):
    Pool.objects.filter(pk=pool.pk).update(lock_limit=1)
    a, b = pooled(org, 2)
    pool_claim(actor=org.rep, customer=a)
    pool_claim(actor=org.rep, customer=b)
    customer_lock(actor=org.rep, customer=a)
    assert Customer.objects.get(pk=a.pk).locked_at is not None
    with pytest.raises(ValidationError) as exc:
        customer_lock(actor=org.rep, customer=b)
    assert "1" in exc.value.message_dict["customer"][0]
    with pytest.raises(PermissionDeniedError):
        customer_unlock(actor=org.agent, customer=a)
    customer_unlock(actor=org.rep, customer=a)
    customer_lock(actor=org.rep, customer=b)
    assert AuditLog.objects.filter(customer_id=b.pk, changes__has_key="locked_at").exists()


def test_release_clears_the_lock(org, customers, pool):
    customer_lock(actor=org.rep, customer=customers.own)
    pool_release(actor=org.rep, customer=customers.own, reason="x")
    assert Customer.objects.get(pk=customers.own.pk).locked_at is None


# ---------------------------------------------------------------- which pool


def test_nearest_department_pool_up_the_tree_else_company(org, customers, pool):
    east = Pool.objects.create(name="East", department=org.east)
    index = pool_index()
    assert pool_of(customers.own, index) == east
    assert pool_of(customers.same_dept, index) == east  # Shanghai is under East
    assert pool_of(customers.other_dept, index) == pool
    assert pool_of(customers.pool, index) == pool  # Sales (top level)


def test_department_pool_limits_apply_to_its_customers(org, customers, pool):
    Pool.objects.create(name="East", department=org.east, daily_claim_limit=0)
    east_pooled = customer_create(actor=org.manager, data={"name": "东区池"}, owner=None)
    with pytest.raises(ValidationError):
        pool_claim(actor=org.rep, customer=east_pooled)
    pool_claim(actor=org.rep, customer=customers.pool)  # the company pool has no limit


def test_pool_status_forecast(org, customers, pool):
    Pool.objects.filter(pk=pool.pk).update(is_active=True, no_follow_up_days=30)
    Customer.objects.filter(pk=customers.own.pk).update(claimed_at=at(2025, 5, 1, 9))
    c = Customer.objects.get(pk=customers.own.pk)
    status = pool_status(user=org.rep, customer=c, now=at(2025, 5, 21, 12))
    assert status.forecast is not None and status.forecast.on == datetime.date(2025, 5, 31)
    assert status.forecast.days_left == 10 and status.forecast.rule == "no_follow_up"
    Customer.objects.filter(pk=c.pk).update(locked_at=at(2025, 5, 2))
    c.refresh_from_db()
    status = pool_status(user=org.rep, customer=c, now=at(2025, 5, 21, 12))
    assert status.forecast is None and status.locked


# ---------------------------------------------------------------- rules as data


def test_pool_rules_validation(org, pool):
    with pytest.raises(ValidationError) as exc:
        pool_save(actor=org.admin, pool=pool, data={"no_follow_up_days": -5, "daily_claim_limit": -1})
    errors = exc.value.message_dict
    assert "no_follow_up_days" in errors and "daily_claim_limit" in errors
    with pytest.raises(ValidationError) as exc:
        pool_save(actor=org.admin, pool=pool, data={"no_follow_up_days": 0})
    assert "no_follow_up_days" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pool_save(actor=org.admin, pool=pool, data={"no_follow_up_days": 30, "warn_days_before": 5},
                  level_rules=[{"level": "C", "not_won_days": 5}])
    assert "warn_days_before" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pool_save(actor=org.admin, pool=pool, data={},
                  level_rules=[{"level": "Z", "no_follow_up_days": 5}, {"level": "A", "no_follow_up_days": -1}])
    assert set(exc.value.message_dict) == {"level_rules.0.level", "level_rules.1.no_follow_up_days"}
    with pytest.raises(ValidationError) as exc:
        pool_save(actor=org.admin, pool=None, data={"name": "Second company pool"})
    assert "department" in exc.value.message_dict
    pool.refresh_from_db()
    assert pool.no_follow_up_days == 30 and pool.warn_days_before == 3  # nothing changed
    assert not PoolLevelRule.objects.exists()


def test_pool_save_and_delete_are_audited(org, pool):
    with pytest.raises(PermissionDeniedError):
        pool_save(actor=org.manager, pool=pool, data={"no_follow_up_days": 45})
    pool_save(actor=org.admin, pool=pool, data={"no_follow_up_days": 45},
              level_rules=[{"level": "A", "no_follow_up_days": 90}, {"level": "B"}])
    assert list(PoolLevelRule.objects.values_list("level", "no_follow_up_days")) == [("A", 90)]
    audit = AuditLog.objects.get(entity="pool", action="update")
    assert audit.changes["no_follow_up_days"] == [30, 45] and "level_rules" in audit.changes
    east = pool_save(actor=org.admin, pool=None, data={"name": "East", "department": org.east})
    with pytest.raises(ValidationError):
        pool_save(actor=org.admin, pool=None, data={"name": "East 2", "department": org.east})
    with pytest.raises(ValidationError):
        pool_delete(actor=org.admin, pool=pool)
    pool_delete(actor=org.admin, pool=east)
    assert not Pool.objects.filter(pk=east.pk).exists()
