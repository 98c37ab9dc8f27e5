"""Back-test pages and API: start, follow, the result with its verdict and charts; rights and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from guanxi.analytics.models import BacktestRun

from .metrics_helpers import NOW, random_shop

pytestmark = pytest.mark.django_db
BODY = {"calibration_end": "2025-03-31", "holdout_end": "2025-06-29"}


class Api:
    def __init__(self, user: Any, language: str = "en"):
        self.client = Client(headers={"accept-language": language})
        self.client.force_login(user)

    def get(self, path: str) -> Any:
        return self.client.get("/api" + path)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post("/api" + path, json.dumps(body), content_type="application/json")


@pytest.fixture
def shop(org):
    with time_machine.travel(NOW, tick=False):
        yield random_shop(org.rep)


def test_api_start_follow_and_list(org, shop, django_capture_on_commit_callbacks):
    api = Api(org.analyst)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/analytics/backtests", BODY)
    assert r.status_code == 202, r.content
    assert r.json()["status"] == "queued" and r.json()["calibration_end"] == "2025-03-31"
    detail = api.get(f"/analytics/backtests/{r.json()['id']}").json()
    assert detail["status"] == "done" and detail["created_by"] == org.analyst.pk
    result = detail["result"]
    assert result["holdout_days"] == 90 and result["fit"]["converged"] and set(result["fit"]["params"]) == {
        "r", "alpha", "a", "b"}
    assert result["purchases"]["model"]["mae"] >= 0 and result["purchases"]["rule"]["total"] >= 0
    assert result["groups"]["repeat"][0]["key"] == "0" and sum(g["customers"] for g in result["groups"]["repeat"]) == result["customers"]
    assert "90-day predictions were off by" in detail["verdict"] and detail["error"] == ""
    listing = api.get("/analytics/backtests").json()
    assert [row["id"] for row in listing["items"]] == [detail["id"]]
    assert Api(org.manager).get(f"/analytics/backtests/{detail['id']}").status_code == 200
    assert api.get("/analytics/backtests/999999").status_code == 404


def test_api_bad_input(org, shop):
    api = Api(org.analyst)
    r = api.post("/analytics/backtests", {**BODY, "holdout_end": "2025-03-01"})
    assert r.status_code == 422 and "after the calibration period" in r.json()["errors"]["holdout_end"][0]
    assert api.post("/analytics/backtests", {"calibration_end": "2025-03-31"}).status_code == 422
    assert api.post("/analytics/backtests", {**BODY, "extra": 1}).status_code == 422
    assert api.post("/analytics/backtests", {**BODY, "holdout_end": "not a date"}).status_code == 422
    zh = Api(org.analyst, "zh-hans").post("/analytics/backtests", {**BODY, "holdout_end": "2030-01-01"})
    assert zh.status_code == 422 and "holdout_end" in zh.json()["errors"]
    assert not BacktestRun.objects.exists()


def test_rep_gets_403_everywhere(org, customers):
    run = BacktestRun.objects.create(calibration_end="2025-03-31", holdout_end="2025-06-29")
    api = Api(org.rep)
    assert api.post("/analytics/backtests", BODY).status_code == 403
    assert api.get("/analytics/backtests").status_code == 403
    assert api.get(f"/analytics/backtests/{run.pk}").status_code == 403
    assert api.client.get(reverse("analytics:backtest")).status_code == 403
    assert api.client.get(reverse("analytics:backtest_detail", args=[run.pk])).status_code == 403
    assert api.client.post(reverse("analytics:backtest"), BODY).status_code == 403


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_start_and_show_a_back_test(org, shop, language, django_capture_on_commit_callbacks):
    client = Client(headers={"accept-language": language})
    client.force_login(org.manager)
    page = client.get(reverse("analytics:backtest"))
    assert page.status_code == 200 and 'data-testid="backtest-form"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("analytics:backtest"), BODY)
    run = BacktestRun.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("analytics:backtest_detail", args=[run.pk])
    body = client.get(r["Location"]).content.decode()
    assert 'data-testid="backtest-verdict"' in body and 'id="backtest-chart-repeat"' in body
    assert "analytics/backtest.js" in body and "echarts.min.js" in body
    options = body.split('id="backtest-chart-repeat" type="application/json">', 1)[1].split("</script>", 1)[0]
    series = json.loads(options)["series"]
    assert len(series) == 3 and all(len(s["data"]) == len(json.loads(options)["xAxis"]["data"]) for s in series)
    if language == "en":
        assert "90-day predictions were off by" in body and "Actual" in options
    listing = client.get(reverse("analytics:backtest")).content.decode()
    assert reverse("analytics:backtest_detail", args=[run.pk]) in listing


def test_page_shows_errors_under_the_fields(org, shop):
    client = Client()
    client.force_login(org.analyst)
    r = client.post(reverse("analytics:backtest"), {"calibration_end": "2025-03-31", "holdout_end": "2099-01-01"})
    body = r.content.decode()
    assert r.status_code == 422 and "today or earlier" in body and 'data-field="holdout_end"' in body
    r = client.post(reverse("analytics:backtest"), {"calibration_end": "", "holdout_end": "2025-06-29"})
    assert r.status_code == 422 and "is-invalid" in r.content.decode()
    assert not BacktestRun.objects.exists()


def test_running_back_test_page_polls_and_failed_one_says_so(org, customers):
    client = Client()
    client.force_login(org.analyst)
    running = BacktestRun.objects.create(calibration_end="2025-03-31", holdout_end="2025-06-29", status="running")
    body = client.get(reverse("analytics:backtest_detail", args=[running.pk])).content.decode()
    assert 'hx-trigger="load delay:2s"' in body and "backtest-verdict" not in body
    failed = BacktestRun.objects.create(calibration_end="2025-03-31", holdout_end="2025-06-29", status="failed",
                                        result={"error": "failed"})
    fragment = client.get(reverse("analytics:backtest_detail", args=[failed.pk]), headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert "unexpected error" in text and "<html" not in text and "hx-trigger" not in text


def test_menu_links_the_back_tests_for_the_reports_roles_only(org, customers):
    for user, shown in ((org.analyst, True), (org.manager, True), (org.rep, False)):
        client = Client()
        client.force_login(user)
        body = client.get("/").content.decode()
        assert ('data-testid="nav-backtest"' in body) is shown, user
        assert (reverse("analytics:backtest") in body) is shown
