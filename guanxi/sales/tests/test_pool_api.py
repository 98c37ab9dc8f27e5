"""The pool area's API: claim/release/assign/lock, pool rules, handovers, account teams, relationships."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from guanxi.api.tests.conftest import Api
from guanxi.customers.models import Contact, Customer, CustomerTeamMember
from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import Employee
from guanxi.sales.models import Handover, OwnerChange, Pool, PoolLevelRule


@pytest.fixture
def api():
    return Api


@pytest.fixture
def company_pool(db):
    pool = Pool.objects.get(department__isnull=True)
    Pool.objects.filter(pk=pool.pk).update(daily_claim_limit=1, holding_limit=None, reclaim_block_days=0)
    return pool


def test_pool_list_filters_masks_and_shows_the_former_owner(org, customers, api, company_pool):
    Contact.objects.create(customer=customers.pool, name="王", mobile="+8613800138000", is_primary=True)
    Customer.objects.filter(pk=customers.pool.pk).update(level="B", province="上海")
    assert api(org.rep).post(f"/pool/{customers.own.pk}/release", {"reason": "不合适"}).status_code == 200
    items = api(org.rep_west).walk("/pool")
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {customers.pool.pk, customers.own.pk}
    assert by_id[customers.pool.pk]["mobile"] == "138****8000"
    assert by_id[customers.own.pk]["former_owner"] == org.rep.pk
    assert by_id[customers.own.pk]["former_owner_name"] == "rep"
    assert [i["id"] for i in api(org.rep_west).walk("/pool", level="B")] == [customers.pool.pk]
    assert [i["id"] for i in api(org.rep_west).walk("/pool", province="上海")] == [customers.pool.pk]
    assert api(org.rep_west).walk("/pool", min_days="1") == []
    assert len(api(org.rep_west).walk("/pool", max_days="0")) == 2
    r = api(org.rep).get("/pool", level="Z")
    assert r.status_code == 400 and "level" in r.json()["errors"]
    assert api(org.rep).get("/pool", nonsense="1").status_code == 400


def test_claim_limits_and_someone_elses_customer(org, customers, api, company_pool):
    second = customer_create(actor=org.admin, data={"name": "第二个"}, owner=None)
    rep = api(org.rep)
    r = rep.post(f"/pool/{customers.pool.pk}/claim")
    assert r.status_code == 200 and r.json()["owner"] == org.rep.pk
    r = rep.post(f"/pool/{second.pk}/claim")
    assert r.status_code == 422 and "limit" in r.json()["errors"]["customer"][0]
    assert Customer.objects.get(pk=second.pk).owner_id is None
    r = api(org.manager).post(f"/pool/{customers.same_dept.pk}/claim")
    assert r.status_code == 422 and "rep_sh" in r.json()["errors"]["customer"][0]
    assert api(org.rep).post(f"/pool/{customers.other_dept.pk}/claim").status_code == 404
    assert api(org.analyst).post(f"/pool/{second.pk}/claim").status_code == 403
    assert OwnerChange.objects.filter(kind="claim").count() == 1


def test_status_release_lock_assign(org, customers, api, company_pool):
    rep = api(org.rep)
    r = rep.get(f"/pool/{customers.own.pk}")
    assert r.status_code == 200 and r.json()["pool_name"] == company_pool.name
    assert rep.post(f"/pool/{customers.own.pk}/lock").json()["locked"] is True
    assert rep.post(f"/pool/{customers.own.pk}/unlock").json()["locked"] is False
    r = rep.post(f"/pool/{customers.own.pk}/release", {})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = rep.post(f"/pool/{customers.own.pk}/release", {"reason": "  "})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    assert rep.post(f"/pool/{customers.own.pk}/release", {"reason": "没有需求"}).json()["owner"] is None
    assert rep.post(f"/pool/{customers.own.pk}/assign", {"to_user": org.rep_sh.pk}).status_code == 403
    r = api(org.manager).post(f"/pool/{customers.own.pk}/assign", {"to_user": org.rep_sh.pk, "reason": "分配"})
    assert r.status_code == 200 and r.json()["owner"] == org.rep_sh.pk
    r = api(org.admin).post(f"/pool/{customers.pool.pk}/assign", {"to_user": 99999})
    assert r.status_code == 422 and "to_user" in r.json()["errors"]


def test_pool_rules_api(org, api, company_pool):
    admin = api(org.admin)
    pools = admin.get("/pools").json()
    assert [p["department"] for p in pools] == [None]
    r = admin.patch(f"/pools/{company_pool.pk}", {"no_follow_up_days": -3, "lock_limit": -1})
    assert r.status_code == 422 and {"no_follow_up_days", "lock_limit"} <= set(r.json()["errors"])
    r = admin.patch(f"/pools/{company_pool.pk}", {"level_rules": [{"level": "A", "not_won_days": -1}]})
    assert r.status_code == 422 and "level_rules.0.not_won_days" in r.json()["errors"]
    r = admin.patch(f"/pools/{company_pool.pk}", {"warn_days_before": 30})
    assert r.status_code == 422 and "warn_days_before" in r.json()["errors"]
    assert Pool.objects.get(pk=company_pool.pk).no_follow_up_days == 30
    r = admin.patch(f"/pools/{company_pool.pk}", {"no_follow_up_days": 45, "is_active": True,
                                                 "level_rules": [{"level": "A", "no_follow_up_days": 90}]})
    assert r.status_code == 200, r.content
    assert r.json()["level_rules"] == [{"level": "A", "no_follow_up_days": 90, "no_opportunity_days": None,
                                        "not_won_days": None}]
    r = admin.post("/pools", {"name": "East", "department": org.east.pk, "no_follow_up_days": 20})
    assert r.status_code == 201
    east = r.json()["id"]
    assert admin.post("/pools", {"name": "Again", "department": org.east.pk}).status_code == 422
    assert admin.delete(f"/pools/{east}").status_code == 204
    assert admin.delete(f"/pools/{company_pool.pk}").status_code == 422
    assert admin.patch(f"/pools/{company_pool.pk}", {"surprise": 1}).status_code == 422
    for who in ("manager", "rep", "analyst"):
        assert api(getattr(org, who)).get("/pools").status_code == 403
        assert api(getattr(org, who)).patch(f"/pools/{company_pool.pk}", {"lock_limit": 1}).status_code == 403
    assert PoolLevelRule.objects.count() == 1


def test_handover_api(org, customers, api):
    admin = api(org.admin)
    r = admin.get("/handovers/preview", from_user=org.rep.pk)
    assert r.status_code == 200 and r.json()["counts"]["customers"] == 1
    from guanxi.governance.services_people import employee_depart

    employee_depart(actor=org.admin, employee=Employee.objects.get(user=org.rep_west))
    r = admin.post("/handovers", {"from_user": org.rep.pk, "receivers": [org.rep_west.pk]})
    assert r.status_code == 422 and "receivers" in r.json()["errors"]
    r = admin.post("/handovers", {"from_user": org.rep.pk, "receivers": [org.rep.pk]})
    assert r.status_code == 422 and "themselves" in r.json()["errors"]["receivers"][0]
    assert not Handover.objects.exists() and Customer.objects.get(pk=customers.own.pk).owner_id == org.rep.pk
    until = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    r = admin.post("/handovers", {"from_user": org.rep.pk, "receivers": [org.rep_sh.pk], "departed": True,
                                  "keep_read_until": until, "reason": "离职"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["summary"]["customers"]["total"] == 1 and body["deactivate"] is True
    assert [h["id"] for h in admin.walk("/handovers")] == [body["id"]]
    assert admin.get(f"/handovers/{body['id']}").status_code == 200
    assert api(org.manager).post("/handovers", {"from_user": org.rep_sh.pk, "receivers": [org.manager.pk]}
                                 ).status_code == 403
    assert api(org.manager).get("/handovers").status_code == 403


def test_team_api(org, customers, api):
    rep = api(org.rep)
    path = f"/customers/{customers.own.pk}/team"
    r = rep.post(path, {"user": org.rep_west.pk, "access": "read"})
    assert r.status_code == 200 and r.json()["access"] == "read"
    west = api(org.rep_west)
    assert west.get(f"/customers/{customers.own.pk}").status_code == 200
    assert west.patch(f"/customers/{customers.own.pk}", {"version": 1, "industry": "x"}).status_code == 403
    assert west.post(path, {"user": org.rep_sh.pk}).status_code == 403
    assert [m["user"] for m in rep.get(path).json()] == [org.rep_west.pk]
    r = rep.post(path, {"user": org.rep_west.pk, "access": "owner"})
    assert r.status_code == 422 and "access" in r.json()["errors"]
    assert rep.delete(f"{path}/{org.rep_west.pk}").status_code == 204
    assert west.get(f"/customers/{customers.own.pk}").status_code == 404
    assert not CustomerTeamMember.objects.exists()


def test_relationship_api(org, customers, api):
    r = api(org.manager).get("/relationships")
    assert r.status_code == 200 and {row["name"] for row in r.json()} == {"rep", "rep_sh"}
    assert api(org.manager).get("/relationships", sort="bogus").status_code == 400
    assert api(org.rep).get("/relationships").status_code == 403
    r = api(org.rep).get(f"/customers/{customers.own.pk}/relationship")
    assert r.status_code == 200 and r.json()["follow_ups"] == 0
