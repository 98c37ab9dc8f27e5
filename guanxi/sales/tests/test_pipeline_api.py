"""The pipeline API: opportunities CRUD and move (409, 422, won→open), pipelines, forecast, targets,
performance — each as the role that may or may not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from guanxi.sales.models import Stage
from guanxi.sales.selectors.opportunities import default_pipeline, stages_of


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

    def put(self, path: str, body: Any) -> Any:
        return self.client.put("/api" + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete("/api" + path)


def st(kind: str, index: int = 0) -> Stage:
    return [s for s in stages_of(default_pipeline()) if s.kind == kind][index]


@pytest.fixture
def created(org, customers):
    r = Api(org.rep).post("/opportunities", {"customer": customers.own.pk, "name": "API 商机", "amount": "1200.50"})
    assert r.status_code == 201, r.content
    return r.json()


def test_create_and_read(org, customers, created):
    assert created["stage"] == st("open").pk and created["owner"] == org.rep.pk and created["version"] == 1
    api = Api(org.rep)
    assert api.get(f"/opportunities/{created['id']}").json()["name"] == "API 商机"
    items = api.get("/opportunities", status="open").json()["items"]
    assert [i["id"] for i in items] == [created["id"]]
    assert api.get("/opportunities", status="nope").status_code == 400
    assert Api(org.rep_west).get(f"/opportunities/{created['id']}").status_code == 404
    assert Api(org.rep_west).get("/opportunities").json()["items"] == []
    assert api.get(f"/customers/{customers.own.pk}/opportunities").json()[0]["id"] == created["id"]


def test_create_bad_input(org, customers):
    api = Api(org.rep)
    r = api.post("/opportunities", {"customer": customers.other_dept.pk, "name": "x"})
    assert r.status_code == 422 and "customer" in r.json()["errors"]
    r = api.post("/opportunities", {"customer": customers.own.pk, "name": "x", "amount": "-1"})
    assert r.status_code == 422 and "amount" in r.json()["errors"]
    r = api.post("/opportunities", {"customer": customers.own.pk, "name": "x", "lines": [{"product": 999}]})
    assert r.status_code == 422 and "lines.0.product" in r.json()["errors"]
    r = api.post("/opportunities", {"customer": customers.own.pk, "name": "x", "stage": st("won").pk})
    assert r.status_code == 422 and "stage" in r.json()["errors"]


@pytest.mark.parametrize("role", ["analyst", "marketing"])
def test_read_only_roles_cannot_create(org, customers, role):
    r = Api(getattr(org, role)).post("/opportunities", {"customer": customers.own.pk, "name": "x"})
    assert r.status_code == 403


def test_update_and_stale_version(org, created):
    api = Api(org.rep)
    r = api.patch(f"/opportunities/{created['id']}", {"version": 1, "name": "改名"})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api.patch(f"/opportunities/{created['id']}", {"version": 1, "name": "again"})
    assert r.status_code == 409
    r = api.patch(f"/opportunities/{created['id']}", {"version": 2, "stage": st("won").pk})
    assert r.status_code == 422  # unknown field: the stage moves only through /move
    assert Api(org.analyst).patch(f"/opportunities/{created['id']}", {"version": 2, "name": "x"}).status_code == 403


def test_move_rules(org, created):
    api, oid = Api(org.rep), created["id"]
    r = api.post(f"/opportunities/{oid}/move", {"stage": st("lost").pk, "version": 1})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = api.post(f"/opportunities/{oid}/move", {"stage": st("open", 1).pk, "version": 1})
    assert r.status_code == 200 and r.json()["stage"] == st("open", 1).pk and r.json()["version"] == 2
    r = api.post(f"/opportunities/{oid}/move", {"stage": st("open", 2).pk, "version": 1})
    assert r.status_code == 409
    r = api.post(f"/opportunities/{oid}/move", {"stage": st("won").pk, "version": 2, "reason": "签约"})
    assert r.status_code == 200 and r.json()["closed_at"] and r.json()["stage_kind"] == "won"
    r = api.post(f"/opportunities/{oid}/move", {"stage": st("open").pk, "version": 3, "reason": "x"})
    assert r.status_code == 422 and "stage" in r.json()["errors"]
    r = Api(org.manager).post(f"/opportunities/{oid}/move", {"stage": st("open").pk, "version": 3, "reason": "x"})
    assert r.status_code == 422
    r = Api(org.admin).post(f"/opportunities/{oid}/move", {"stage": st("open").pk, "version": 3})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = Api(org.admin).post(f"/opportunities/{oid}/move", {"stage": st("open").pk, "version": 3, "reason": "合同作废"})
    assert r.status_code == 200 and r.json()["closed_at"] is None
    history = api.get(f"/opportunities/{oid}/history").json()
    assert [h["stage"] for h in history] == [st("open").pk, st("open", 1).pk, st("won").pk, st("open").pk]
    assert Api(org.rep_west).post(f"/opportunities/{oid}/move", {"stage": st("open", 1).pk}).status_code == 404
    assert Api(org.analyst).post(f"/opportunities/{oid}/move", {"stage": st("open", 1).pk}).status_code == 403


def test_delete(org, created):
    assert Api(org.rep).delete(f"/opportunities/{created['id']}").status_code == 403
    assert Api(org.manager).delete(f"/opportunities/{created['id']}").status_code == 204
    assert Api(org.manager).get(f"/opportunities/{created['id']}").status_code == 404


def test_pipelines(org):
    assert Api(org.rep).get("/pipelines").status_code == 200
    r = Api(org.rep).post("/pipelines", {"name": "x"})
    assert r.status_code == 403
    admin = Api(org.admin)
    r = admin.post("/pipelines", {"name": "华东", "department": org.east.pk})
    assert r.status_code == 201 and len(r.json()["stages"]) >= 3
    pid = r.json()["id"]
    r = admin.post(f"/pipelines/{pid}/stages", {"name": "再谈", "probability": 60})
    assert r.status_code == 201
    ids = [s["id"] for s in admin.get(f"/pipelines/{pid}").json()["stages"]]
    r = admin.put(f"/pipelines/{pid}/stages/order", {"stages": list(reversed(ids))})
    assert r.status_code == 200 and [s["id"] for s in r.json()] == list(reversed(ids))
    won = next(s for s in admin.get(f"/pipelines/{pid}").json()["stages"] if s["kind"] == "won")
    r = admin.delete(f"/stages/{won['id']}")
    assert r.status_code == 422
    r = admin.post(f"/pipelines/{pid}/stages", {"name": "bad", "probability": 120})
    assert r.status_code == 422


def test_forecast_and_targets(org, created):
    r = Api(org.rep).get("/forecast", period="2025-Q2")
    assert r.status_code == 200 and r.json()["period"] == "2025-Q2"
    assert Api(org.rep).get("/forecast", period="2025-13").status_code == 400
    body = {"period": "month", "period_start": "2025-05-01", "metric": "revenue", "value": "1000"}
    assert Api(org.rep).post("/targets", {**body, "user": org.rep.pk}).status_code == 403
    r = Api(org.manager).post("/targets", {**body, "user": org.rep.pk})
    assert r.status_code == 201
    r = Api(org.manager).post("/targets", {**body, "user": org.rep.pk})
    assert r.status_code == 422 and "period_start" in r.json()["errors"]
    r = Api(org.admin).post("/targets", {**body, "value": "-5"})
    assert r.status_code == 422 and "value" in r.json()["errors"]
    assert [t["user"] for t in Api(org.rep).get("/targets").json()["items"]] == [org.rep.pk]
    perf = Api(org.rep).get("/performance", period="2025-05").json()
    assert perf["targets"][0]["actual"] == "0" or float(perf["targets"][0]["actual"]) == 0
