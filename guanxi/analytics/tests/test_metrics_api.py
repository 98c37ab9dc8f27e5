"""API of the metrics job: a customer's metrics through customer visibility; runs for the reports roles only."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from guanxi.analytics.models import MetricsRun
from guanxi.analytics.services.metrics import compute_metrics
from guanxi.customers.models import Customer

from .metrics_helpers import AS_OF, NOW, every

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any, language: str = "en"):
        self.client = Client(headers={"accept-language": language})
        self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post("/api" + path, json.dumps(body), content_type="application/json")


@pytest.fixture
def computed(customers):
    every(customers.own, start=100, step=30, count=3, amount=120)
    every(customers.other_dept, start=50, step=10, count=4)
    compute_metrics(as_of=AS_OF, create_tasks=False)
    return customers


def test_rep_sees_own_customers_metrics_only(org, computed):
    r = Api(org.rep).get(f"/customers/{computed.own.pk}/metrics")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["customer"] == computed.own.pk and body["as_of"] == AS_OF.isoformat()
    assert body["orders_count"] == 3 and body["typical_interval_days"] == 30 and body["method"] == "rules"
    assert "usually buys every 30 days" in body["explanation"] and body["treatment"]
    assert body["churn_state"] == "active" and 0 <= body["p_alive"] <= 1
    assert Api(org.rep).get(f"/customers/{computed.other_dept.pk}/metrics").status_code == 404
    pool_visible = Customer.objects.visible_to(org.rep).filter(pk=computed.pool.pk).exists()
    assert Api(org.rep).get(f"/customers/{computed.pool.pk}/metrics").status_code == (200 if pool_visible else 404)
    assert Api(org.manager).get(f"/customers/{computed.same_dept.pk}/metrics").status_code == 200
    assert Api(org.manager).get(f"/customers/{computed.other_dept.pk}/metrics").status_code == 404
    assert Api(org.analyst).get(f"/customers/{computed.other_dept.pk}/metrics").status_code == 200
    assert Api(org.rep).get("/customers/999999/metrics").status_code == 404


def test_no_metrics_before_the_first_run(org, customers):
    r = Api(org.rep).get(f"/customers/{customers.own.pk}/metrics")
    assert r.status_code == 404 and "next analysis run" in r.json()["detail"]


def test_start_a_run_and_follow_it(org, customers, django_capture_on_commit_callbacks):
    api = Api(org.analyst)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        r = api.post("/analytics/runs", {"as_of": "2025-06-01"})
    assert r.status_code == 202, r.content
    run_id = r.json()["id"]
    assert r.json()["status"] == "queued" and r.json()["as_of"] == "2025-06-01"
    detail = api.get(f"/analytics/runs/{run_id}").json()
    assert detail["status"] == "done" and detail["progress"] == detail["total"] and detail["summary"]["customers"] == 4
    listing = api.get("/analytics/runs").json()
    assert [row["id"] for row in listing["items"]] == [run_id]
    assert Api(org.manager).post("/analytics/runs", {}).status_code == 202
    assert Api(org.analyst).post("/analytics/runs", {}).status_code == 409  # the manager's is still queued


def test_rep_may_not_run_or_see_runs(org, customers):
    api = Api(org.rep)
    assert api.post("/analytics/runs", {}).status_code == 403
    run = MetricsRun.objects.create(as_of=AS_OF)
    assert api.get("/analytics/runs").status_code == 403
    assert api.get(f"/analytics/runs/{run.pk}").status_code == 403
    assert not MetricsRun.objects.exclude(pk=run.pk).exists()


def test_bad_input(org, customers):
    api = Api(org.analyst)
    assert api.post("/analytics/runs", {"as_of": "yesterday"}).status_code == 422
    assert api.post("/analytics/runs", {"as_of": "2025-01-01", "force": True}).status_code == 422
    r = api.post("/analytics/runs", {"as_of": "2999-01-01"})
    assert r.status_code == 422 and "as_of" in r.json()["errors"]
    assert api.get("/analytics/runs/12345").status_code == 404
    assert not MetricsRun.objects.exists()
