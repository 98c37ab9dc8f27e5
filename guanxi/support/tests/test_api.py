from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


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


def test_ticket_api_flow(org, customers):
    api = Api(org.rep)
    r = api.post("/tickets", {"customer": customers.own.pk, "subject": "No power", "type": "repair"})
    assert r.status_code == 201, r.content
    t = r.json()
    assert t["number"].startswith("T") and t["status"] == "new" and t["messages"] == []
    r = api.post(f"/tickets/{t['id']}/messages", {"body": "We are on it"})
    assert r.status_code == 201
    assert api.get(f"/tickets/{t['id']}").json()["status"] == "open"
    r = api.patch(f"/tickets/{t['id']}", {"subject": "No power at all", "version": 1})
    assert r.status_code == 409
    version = api.get(f"/tickets/{t['id']}").json()["version"]
    r = api.patch(f"/tickets/{t['id']}", {"subject": "No power at all", "version": version})
    assert r.status_code == 200 and r.json()["subject"] == "No power at all"
    r = api.post(f"/tickets/{t['id']}/status", {"status": "closed"})
    assert r.status_code == 422 and "status" in r.json()["errors"]
    assert api.post(f"/tickets/{t['id']}/status", {"status": "resolved"}).json()["resolved_at"]
    assert api.post(f"/tickets/{t['id']}/status", {"status": "closed"}).json()["status"] == "closed"
    r = api.get("/tickets", status="closed")
    assert [row["id"] for row in r.json()["items"]] == [t["id"]]
    assert api.get("/tickets", q=t["number"]).json()["items"][0]["id"] == t["id"]


def test_ticket_api_bad_input_and_visibility(org, customers):
    api = Api(org.rep)
    assert api.post("/tickets", {"customer": customers.own.pk, "subject": "x", "type": "bogus"}).status_code == 422
    assert api.post("/tickets", {"customer": customers.other_dept.pk, "subject": "x"}).status_code == 404
    west = Api(org.rep_west).post("/tickets", {"customer": customers.other_dept.pk, "subject": "W"}).json()
    assert api.get(f"/tickets/{west['id']}").status_code == 404
    assert api.get("/tickets").json()["items"] == []
    assert api.get("/tickets", status="bogus").status_code == 400
    assert Api(org.analyst).post(f"/tickets/{west['id']}/messages", {"body": "x"}).status_code in (403, 404)


def test_ticket_list_by_assignee_id(org, customers):
    api = Api(org.service_manager)
    mine = api.post("/tickets", {"customer": customers.own.pk, "subject": "A", "assignee": org.agent.pk}).json()
    api.post("/tickets", {"customer": customers.own.pk, "subject": "B", "assignee": org.service_manager.pk})
    r = api.get("/tickets", assignee=str(org.agent.pk))
    assert [row["id"] for row in r.json()["items"]] == [mine["id"]]
    assert api.get("/tickets", assignee=str(org.rep.pk)).status_code == 400  # not service staff: not a choice
