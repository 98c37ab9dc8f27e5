"""API of member tiers: CRUD with validation, tier policy, re-tier (202), a customer's tier, movements,
distribution, analysis policy — each with the roles that may and may not."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from guanxi.analytics.models import AnalyticsPolicy, CustomerTier, Tier, TierChange, TierPolicy
from guanxi.analytics.services.tiers import retier

from .tiers_helpers import make_tiers, order

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any):
        self.client = Client()
        self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post("/api" + path, json.dumps(body or {}), content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch("/api" + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete("/api" + path)


@pytest.fixture
def tiered(customers):
    tiers = make_tiers()
    order(customers.own, date(2025, 3, 1), 4000)
    order(customers.other_dept, date(2025, 3, 1), 12000)
    retier(as_of=date(2025, 4, 1))
    return tiers


def test_tier_crud(org):
    api = Api(org.admin)
    r = api.post("/analytics/tiers", {"name": "注册", "position": 0})
    assert r.status_code == 201, r.content
    assert r.json()["min_spend"] == "0" or float(r.json()["min_spend"]) == 0
    r = api.post("/analytics/tiers", {"name": "金牌", "position": 1, "min_spend": "10000", "min_points": 900,
                                      "benefits": "95折"})
    gold = r.json()["id"]
    assert r.status_code == 201 and r.json()["min_points"] == 900
    r = api.patch(f"/analytics/tiers/{gold}", {"min_points": None, "benefits": "92折"})
    assert r.status_code == 200 and r.json()["min_points"] is None and r.json()["benefits"] == "92折"
    assert [t["name"] for t in api.get("/analytics/tiers").json()["items"]] == ["注册", "金牌"]
    assert api.get(f"/analytics/tiers/{gold}").json()["name"] == "金牌"
    assert api.patch(f"/analytics/tiers/{gold}", {"is_active": False}).json()["is_active"] is False
    assert api.delete(f"/analytics/tiers/{gold}").status_code == 204
    assert api.get(f"/analytics/tiers/{gold}").status_code == 404
    assert Tier.objects.count() == 1


def test_tier_bad_input(org):
    api = Api(org.admin)
    api.post("/analytics/tiers", {"name": "银牌", "position": 1, "min_spend": "3000"})
    r = api.post("/analytics/tiers", {"name": "金牌", "position": 1, "min_spend": "1000"})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"position"}
    r = api.post("/analytics/tiers", {"name": "金牌", "position": 2, "min_spend": "1000"})
    assert r.status_code == 422 and "more spend" in r.json()["errors"]["min_spend"][0]
    r = api.post("/analytics/tiers", {"name": "金牌", "position": 2, "min_spend": "abc", "colour": "gold"})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"min_spend", "colour"}
    r = api.post("/analytics/tiers", {"position": 2})
    assert r.status_code == 422 and "name" in r.json()["errors"]
    r = api.patch(f"/analytics/tiers/{Tier.objects.get().pk}", {"name": None})
    assert r.status_code == 422 and r.json()["errors"] == {"name": ["This field may not be null."]}
    assert Tier.objects.count() == 1


def test_tier_rights(org, tiered):
    gold = tiered["金牌"].pk
    for user in (org.manager, org.analyst, org.rep):
        api = Api(user)
        assert api.get("/analytics/tiers").status_code == 200  # definitions are readable
        assert api.post("/analytics/tiers", {"name": "x", "position": 9}).status_code == 403
        assert api.patch(f"/analytics/tiers/{gold}", {"name": "x"}).status_code == 403
        assert api.delete(f"/analytics/tiers/{gold}").status_code == 403
        assert api.patch("/analytics/tier-policy", {"window_months": 3}).status_code == 403
        assert api.post("/analytics/tiers/retier").status_code == 403
        assert api.patch("/analytics/policy", {"task_lead_days": 3}).status_code == 403
    assert Tier.objects.get(pk=gold).name == "金牌" and TierPolicy.current().window_months == 12
    r = Api(org.admin).delete(f"/analytics/tiers/{gold}")
    assert r.status_code == 422 and "deactivate it instead" in r.json()["errors"]["is_active"][0]


def test_tier_policy(org):
    api = Api(org.admin)
    assert api.get("/analytics/tier-policy").json() == {"period": "quarter", "window_months": 12,
                                                        "downgrade_protection": True, "last_run_on": None}
    r = api.patch("/analytics/tier-policy", {"period": "month", "downgrade_protection": False})
    assert r.status_code == 200 and r.json()["period"] == "month" and r.json()["downgrade_protection"] is False
    r = api.patch("/analytics/tier-policy", {"period": "week", "window_months": 0})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"period"}  # the schema rejects the choice first
    r = api.patch("/analytics/tier-policy", {"window_months": 0})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"window_months"}
    r = api.patch("/analytics/tier-policy", {"last_run_on": "2025-01-01"})
    assert r.status_code == 422 and r.json()["errors"] == {"last_run_on": ["Unknown field."]}
    assert TierPolicy.current().period == "month"


@time_machine.travel(date(2025, 7, 1), tick=False)
def test_retier_202_with_summary(org, tiered, customers):
    order(customers.own, date(2025, 5, 1), 7000)
    r = Api(org.admin).post("/analytics/tiers/retier")
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["status"] == "SUCCESSFUL" and body["task_id"]
    assert body["result"] == {"as_of": "2025-07-01", "customers": 4, "up": 1, "down": 0, "kept": 0, "first": 0,
                              "unchanged": 3}
    assert CustomerTier.objects.get(customer=customers.own).tier.name == "金牌"
    again = Api(org.admin).post("/analytics/tiers/retier").json()["result"]
    assert again["up"] == 0 and again["unchanged"] == 4
    assert TierChange.objects.filter(as_of=date(2025, 7, 1)).count() == 1
    # The test backend keeps no results: an unknown id is 404.
    assert Api(org.admin).get(f"/analytics/tiers/retier/{body['task_id']}").status_code == 404


def test_retier_without_tiers_is_422(org):
    r = Api(org.admin).post("/analytics/tiers/retier")
    assert r.status_code == 422 and "tiers" in r.json()["errors"]


def test_customer_tier(org, tiered, customers):
    r = Api(org.rep).get(f"/customers/{customers.own.pk}/tier")
    assert r.status_code == 200
    body = r.json()
    assert body["tier"]["name"] == "银牌" and body["since"] == "2025-04-01" and float(body["rolling_spend"]) == 4000
    assert body["protected_until"] is None and body["points"] == 0
    (change,) = body["history"]
    assert change["direction"] == "first" and change["to_tier"]["name"] == "银牌" and change["from_tier"] is None
    assert change["reason"] == "rolling 12-month spend ¥4,000 ≥ 银牌 threshold ¥3,000"
    assert change["reason_data"] == {"k": "spend", "m": 12, "s": "4000.00", "t": "3000.00"}
    assert Api(org.rep).get(f"/customers/{customers.other_dept.pk}/tier").status_code == 404
    assert Api(org.rep).get(f"/customers/{customers.own.pk}/tier", history=999).status_code == 400
    CustomerTier.objects.all().delete()
    empty = Api(org.admin).get(f"/customers/{customers.own.pk}/tier").json()
    assert empty["tier"] is None and empty["history"][0]["direction"] == "first"


def test_movements_changes_and_distribution(org, tiered):
    api = Api(org.analyst)
    r = api.get("/analytics/tier-movements", **{"from": "2025-04-01", "to": "2025-04-30"})
    assert r.status_code == 200
    assert {(m["to_name"], m["direction"]): m["count"] for m in r.json()} == {
        ("注册", "first"): 2, ("银牌", "first"): 1, ("金牌", "first"): 1}
    assert api.get("/analytics/tier-movements", **{"from": "2025-05-01"}).json() == []
    assert api.get("/analytics/tier-movements", direction="up").json() == []
    changes = api.get("/analytics/tier-changes", **{"from": "2025-04-01"}).json()["items"]
    assert len(changes) == 4 and all(c["as_of"] == "2025-04-01" for c in changes)
    dist = api.get("/analytics/tier-distribution").json()
    assert [(d["tier"]["name"] if d["tier"] else None, d["count"]) for d in dist] == [
        ("钻石", 0), ("金牌", 1), ("银牌", 1), ("注册", 2)]
    manager = {(m["to_name"]): m["count"] for m in Api(org.manager).get("/analytics/tier-movements").json()}
    assert "金牌" not in manager  # West's customer is not the East manager's
    rep = Api(org.rep)
    assert rep.get("/analytics/tier-movements").status_code == 403
    assert rep.get("/analytics/tier-changes").status_code == 403
    assert rep.get("/analytics/tier-distribution").status_code == 403


def test_movement_filter_bad_input(org):
    api = Api(org.analyst)
    r = api.get("/analytics/tier-movements", **{"from": "2025-05-01", "to": "2025-04-01"})
    assert r.status_code == 400 and "to" in r.json()["errors"]
    r = api.get("/analytics/tier-movements", **{"from": "yesterday", "direction": "sideways"})
    assert r.status_code == 400 and set(r.json()["errors"]) == {"from", "direction"}
    r = api.get("/analytics/tier-changes", colour="red")
    assert r.status_code == 400 and "colour" in r.json()["errors"]


def test_analysis_policy(org):
    assert Api(org.analyst).get("/analytics/policy").json()["high_value_percentile"] == 80
    assert Api(org.rep).get("/analytics/policy").status_code == 403
    api = Api(org.admin)
    r = api.patch("/analytics/policy", {"value_basis": "profit", "at_risk_p_alive": "0.35"})
    assert r.status_code == 200 and r.json()["value_basis"] == "profit"
    assert AnalyticsPolicy.current().at_risk_p_alive == Decimal("0.35")
    r = api.patch("/analytics/policy", {"monthly_discount_rate": "0.9", "churned_after_days": 10})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"monthly_discount_rate", "churned_after_days"}
    r = api.patch("/analytics/policy", {"task_lead_days": None})
    assert r.status_code == 422 and "task_lead_days" in r.json()["errors"]
