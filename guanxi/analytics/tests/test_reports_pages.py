"""The 80/20 and churn pages and their Excel downloads; the JSON API of the three reports (shapes, the same
numbers as the pages, filters, 400 on bad input, 403 without the right)."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from guanxi.analytics.models import ChurnState, Quadrant
from guanxi.customers.models import Customer
from guanxi.governance.models import AuditLog

from .reports_helpers import HX, client, clock, customer, metrics, order  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(org, clock):  # noqa: F811
    """Ten East buyers (the top two with 80% of the spend) and a churned West customer with a recorded reason."""
    big = customer(org.rep, "大客户")
    order(big, date(2025, 2, 1), 750, cost=200)
    order(customer(org.rep, "second"), date(2025, 2, 2), 50)
    for i in range(8):
        order(customer(org.rep, f"small {i}"), date(2025, 2, 2), 25)
    gone = customer(org.rep_west, "流失客户", lifecycle=Customer.Lifecycle.CHURNED, churn_reason="价格太高",
                    province="四川")
    order(gone, date(2024, 3, 1), 50)
    metrics(gone, churn_state=ChurnState.CHURNED, quadrant=Quadrant.LOW)
    return big, gone


def test_pareto_page_and_fragment(org, shop):
    url = reverse("analytics:pareto")
    body = client(org.analyst).get(url).content.decode()
    assert 'data-testid="revenue-share"' in body and "80.0%" in body and "大客户" in body
    assert '"chart-pareto"' in body and '"chart-pareto-time"' in body
    fragment = client(org.manager).get(url, {"by": "year"}, **HX).content.decode()
    assert fragment.lstrip().startswith('<div id="report-results"') and "2025" in fragment
    assert client(org.rep).get(url).status_code == 403


def test_churn_page(org, shop):
    url = reverse("analytics:churn")
    body = client(org.admin).get(url).content.decode()
    assert 'data-testid="churn-by-reason"' in body and "价格太高" in body and "四川" in body and "流失客户" in body
    assert 'data-testid="sum-churned">1<' in body and '"chart-reasons"' in body and '"chart-owner"' in body
    manager = client(org.manager).get(url).content.decode()
    assert "流失客户" not in manager and 'data-testid="sum-churned">0<' in manager
    assert client(org.rep_west).get(url).status_code == 403


@pytest.mark.parametrize("report, sheets", [
    ("pareto", ["Top 20%", "Pareto curve", "Share over time", "Top customers"]),
    ("churn", ["Summary", "By reason", "By tier", "By region", "By product", "By owner", "By quarter", "Customers"])])
def test_excel_of_each_report(org, shop, report, sheets):
    response = client(org.manager).get(reverse("analytics:report_export", kwargs={"report": report}))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == sheets
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, entity=f"{report}_report")
    assert entry.actor == org.manager
    if report == "pareto":
        rows = {r[0]: r[1] for r in book["Top 20%"].iter_rows(values_only=True) if r}
        assert rows["Revenue share of the top 20% (%)"] == 80.0 and rows["Customers who bought"] == 10
    else:
        assert not [r for r in book["By reason"].iter_rows(values_only=True) if r and r[0] == "价格太高"]
    assert client(org.rep).get(reverse("analytics:report_export", kwargs={"report": report})).status_code == 403


def test_api_shapes_and_numbers(org, shop):
    api = client(org.analyst)
    board = api.get("/api/analytics/dashboard", {"period": "12"})
    assert board.status_code == 200, board.content
    body = board.json()
    assert set(body) == {"period", "filters", "as_of", "customers", "at_risk_count", "lifecycle", "quadrants", "tiers", "tier_moves",
                         "revenue", "churn", "at_risk", "forecast"}
    assert body["customers"] == 11 and body["period"] == {"start": "2024-07-01", "end": "2025-06-30"}
    assert {q["key"]: q["count"] for q in body["quadrants"]}["low"] == 1
    pareto = api.get("/api/analytics/pareto", {"by": "year"}).json()
    assert pareto["total"]["revenue_share"] == 80.0 and pareto["total"]["top_count"] == 2
    assert pareto["curve"][0] == {"customers": 0.0, "revenue": 0.0}
    assert [p["label"] for p in pareto["over_time"]] == ["2024", "2025"] and pareto["filters"]["by"] == "year"
    churn = api.get("/api/analytics/churn").json()
    assert churn["churned"] == 1 and churn["by"]["reason"][0]["label"] == "价格太高"
    assert churn["by"]["reason"][0]["source"] == "recorded" and churn["customers"][0]["state"] == "churned"
    east = api.get("/api/analytics/churn", {"department": org.east.pk}).json()
    assert east["churned"] == 0


def test_api_rights_and_bad_input(org, shop):
    assert client(org.rep).get("/api/analytics/dashboard").status_code == 403
    assert client(org.rep).get("/api/analytics/pareto").status_code == 403
    bad = client(org.admin).get("/api/analytics/churn", {"from": "2025-05-01", "to": "2025-01-01"})
    assert bad.status_code in (400, 422) and "to" in bad.content.decode()
    assert client(org.manager).get("/api/analytics/dashboard", {"department": org.west.pk}).status_code in (400, 422)
    manager = client(org.manager).get("/api/analytics/pareto").json()
    assert manager["total"]["customers"] == 10


def test_api_excel(org, shop):
    response = client(org.analyst).get("/api/analytics/churn/export.xlsx", {"by": "year"})
    assert response.status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, entity="churn_report").count() == 1
    assert client(org.analyst).get("/api/analytics/nothing/export.xlsx").status_code == 404
    assert client(org.rep).get("/api/analytics/pareto/export.xlsx").status_code == 403
