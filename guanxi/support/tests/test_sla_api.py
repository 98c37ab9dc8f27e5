"""API of the SLA area: policies, holidays, routing rules, reassigning; the SLA fields and filters of the
ticket list."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from guanxi.governance.models import AuditLog
from guanxi.support.models import Holiday, RoutingRule, SlaPolicy, Ticket
from guanxi.support.services.sla import check_sla
from guanxi.support.services.tickets import ticket_create

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
POLICY = {"name": "Normal", "priority": "normal", "first_response_minutes": 60, "resolution_minutes": 540}


class Api:
    def __init__(self, user: Any):
        self.client = Client()
        self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post("/api" + path, json.dumps(body), content_type="application/json")

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch("/api" + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete("/api" + path)


@pytest.mark.parametrize("path", ["/support/sla-policies", "/support/holidays", "/support/routing-rules"])
def test_agents_get_403_managers_200(org, path):
    assert Api(org.agent).get(path).status_code == 403
    assert Api(org.agent).post(path, {}).status_code in (403, 422)
    assert Api(org.service_manager).get(path).status_code == 200


def test_agent_cannot_create(org):
    assert Api(org.agent).post("/support/sla-policies", POLICY).status_code == 403
    assert Api(org.agent).post("/support/holidays", {"date": "2026-10-01"}).status_code == 403
    assert Api(org.agent).post("/support/routing-rules", {"name": "x", "team": org.service.pk}).status_code == 403
    assert not SlaPolicy.objects.exists() and not Holiday.objects.exists() and not RoutingRule.objects.exists()


def test_policy_crud(org):
    api = Api(org.service_manager)
    r = api.post("/support/sla-policies", {**POLICY, "weekdays": [1, 2, 3, 4, 5, 6], "business_start": "08:30"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["weekdays"] == [1, 2, 3, 4, 5, 6] and body["business_start"].startswith("08:30")
    pid = body["id"]
    assert api.get("/support/sla-policies").json()["items"][0]["id"] == pid
    r = api.patch(f"/support/sla-policies/{pid}", {"is_active": False, "warning_minutes": 15})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["warning_minutes"] == 15
    assert AuditLog.objects.filter(entity="slapolicy", action="update").exists()
    assert api.delete(f"/support/sla-policies/{pid}").status_code == 204
    assert not SlaPolicy.objects.exists()


@pytest.mark.parametrize(("body", "field"), [
    ({**POLICY, "first_response_minutes": 0}, "first_response_minutes"),
    ({**POLICY, "resolution_minutes": 30}, "resolution_minutes"),
    ({**POLICY, "business_start": "18:00", "business_end": "09:00"}, "business_end"),
    ({**POLICY, "weekdays": [0, 8]}, "weekdays"),
    ({**POLICY, "weekdays": []}, "weekdays"),
    ({**POLICY, "customer_level": "Z"}, "customer_level"),
    ({**POLICY, "priority": "bogus"}, "priority"),
    ({**POLICY, "warning_minutes": None}, "warning_minutes"),
    ({**POLICY, "colour": "red"}, "colour"),
])
def test_policy_bad_input(org, body, field):
    r = Api(org.service_manager).post("/support/sla-policies", body)
    assert r.status_code == 422 and field in r.json()["errors"], r.content
    assert not SlaPolicy.objects.exists()


def test_policy_in_use_cannot_be_deleted(org, customers):
    policy = SlaPolicy.objects.create(**POLICY)
    ticket_create(actor=org.rep, customer=customers.own, data={"subject": "x"})
    r = Api(org.service_manager).delete(f"/support/sla-policies/{policy.pk}")
    assert r.status_code == 422 and "is_active" in r.json()["errors"]


def test_holidays_api(org):
    api = Api(org.service_manager)
    r = api.post("/support/holidays/import", {"text": "2026-10-01..2026-10-07 国庆节\n2026-10-10 workday 调休"})
    assert r.json() == {"created": 8, "updated": 0, "unchanged": 0}
    assert api.post("/support/holidays/import", {"text": "2026-10-10 workday 调休"}).json()["unchanged"] == 1
    r = api.post("/support/holidays/import", {"text": "2026-10-11 ok\n2026-1-x bad"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["lines.2"]
    assert Holiday.objects.count() == 8
    items = api.get("/support/holidays", year=2026).json()["items"]
    assert len(items) == 8 and items[-1] == {"id": items[-1]["id"], "date": "2026-10-10", "is_workday": True,
                                             "name": "调休"}
    assert api.get("/support/holidays", year=2027).json()["items"] == []
    assert api.get("/support/holidays", year="x").status_code == 400
    r = api.post("/support/holidays", {"date": "2026-10-01", "name": "again"})
    assert r.status_code == 422 and "date" in r.json()["errors"]
    r = api.post("/support/holidays", {"date": "2027-01-01", "name": "元旦"})
    assert r.status_code == 201
    hid = r.json()["id"]
    assert api.patch(f"/support/holidays/{hid}", {"is_workday": True}).json()["is_workday"] is True
    assert api.delete(f"/support/holidays/{hid}").status_code == 204
    assert Api(org.agent).delete(f"/support/holidays/{items[0]['id']}").status_code == 403


def test_routing_rules_api(org):
    api = Api(org.service_manager)
    r = api.post("/support/routing-rules", {"name": "Repairs", "ticket_type": "repair", "team": org.service.pk})
    assert r.status_code == 201 and r.json()["position"] == 1 and r.json()["round_robin"] is True
    first = r.json()["id"]
    second = api.post("/support/routing-rules", {"name": "A", "customer_level": "a", "team": org.east.pk}).json()
    assert second["customer_level"] == "A" and second["position"] == 2
    assert api.post(f"/support/routing-rules/{second['id']}/move", {"direction": "up"}).json()["position"] == 1
    assert [r["name"] for r in api.get("/support/routing-rules").json()["items"]] == ["A", "Repairs"]
    assert api.post(f"/support/routing-rules/{first}/move", {"direction": "sideways"}).status_code == 422
    r = api.patch(f"/support/routing-rules/{first}", {"team": 999999, "ticket_type": "bogus"})
    assert r.status_code == 422
    r = api.patch(f"/support/routing-rules/{first}", {"team": 999999})
    assert r.status_code == 422 and "team" in r.json()["errors"]
    assert api.patch(f"/support/routing-rules/{first}", {"province": "广东"}).json()["province"] == "广东"
    assert api.delete(f"/support/routing-rules/{first}").status_code == 204
    assert api.get(f"/support/routing-rules/{first}").status_code == 404


def test_assign_api(org, customers):
    t = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "x"})
    api = Api(org.service_manager)
    r = api.post(f"/tickets/{t.pk}/assign", {"assignee": org.agent.pk, "team": org.service.pk, "version": t.version})
    assert r.status_code == 200 and r.json()["assignee"] == org.agent.pk and r.json()["team"] == org.service.pk
    assert api.post(f"/tickets/{t.pk}/assign", {"assignee": None, "version": 1}).status_code == 409
    r = api.post(f"/tickets/{t.pk}/assign", {"assignee": None})
    assert r.status_code == 200 and r.json()["assignee"] is None and r.json()["team"] == org.service.pk
    assert api.post(f"/tickets/{t.pk}/assign", {"assignee": 999999}).json()["errors"]["assignee"]
    assert AuditLog.objects.filter(action="assign", object_id=str(t.pk)).count() == 2
    assert Api(org.analyst).post(f"/tickets/{t.pk}/assign", {"assignee": None}).status_code == 403


def test_ticket_list_shows_and_filters_the_sla(org, customers):
    SlaPolicy.objects.create(**POLICY, warning_minutes=30)
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=SH), tick=False):
        late = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "late", "team": org.service})
        fine = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "fine", "priority": "low"})
    with time_machine.travel(datetime(2026, 3, 2, 11, 5, tzinfo=SH), tick=False):
        check_sla()
    api = Api(org.rep)
    row = next(r for r in api.get("/tickets").json()["items"] if r["id"] == late.pk)
    assert row["sla_state"] == "breached" and row["first_response_breached"] is True and row["escalated_at"]
    assert row["first_response_due"] == "2026-03-02T03:00:00Z" and row["sla_policy"] is not None  # 11:00 in Shanghai
    assert [r["id"] for r in api.get("/tickets", sla_state="attention").json()["items"]] == [late.pk]
    assert [r["id"] for r in api.get("/tickets", sla_state="none").json()["items"]] == [fine.pk]
    assert [r["id"] for r in api.get("/tickets", team=str(org.service.pk)).json()["items"]] == [late.pk]
    assert [r["id"] for r in api.get("/tickets", team="none").json()["items"]] == [fine.pk]
    assert api.get("/tickets", sla_state="bogus").status_code == 400
    assert api.get("/tickets", team="999999").status_code == 400
    assert Ticket.objects.get(pk=late.pk).priority == "high"
