"""The service report page, its menu item, the Excel download (content, audit, limit) and the JSON API."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from guanxi.governance.masking import forget_policy
from guanxi.governance.models import AuditLog, RolePolicy

from .reports_data import PERIOD, build

PAGE = "support:reports_service"
EXPORT = "support:reports_service_export"


@pytest.fixture
def data(org, customers):
    return build(org, customers)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_shows_numbers_charts_and_links(org, data, django_assert_max_num_queries):
    client = client_for(org.analyst)
    with django_assert_max_num_queries(40):  # grouped queries: no query per agent, team or week
        response = client.get(reverse(PAGE), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="report-agents"' in html and "wall-clock hours" in html
    assert f"?assignee={org.agent.pk}" in html  # a row opens the agent's tickets in the ticket list
    assert 'id="report-charts"' in html and "vendor/echarts.min.js" in html and "web/report_charts.js" in html
    assert response.context["report"].total.tickets == 16
    charts = response.context["charts"]
    assert set(charts) == {"chart-volume", "chart-response", "chart-sla", "chart-satisfaction"}
    assert charts["chart-volume"]["series"][0]["data"] == [13, 3]
    assert "report-export" in html  # analysts may export


def test_htmx_gets_the_results_fragment_sorted(org, data):
    response = client_for(org.admin).get(reverse(PAGE), {**PERIOD, "sort": "-frt_median"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="report-results"' in html
    assert html.index(">Bob<") < html.index(">agent<") < html.index(">Cathy<")  # slowest first response first


def test_service_manager_sees_their_teams_only(org, data):
    response = client_for(org.service_manager).get(reverse(PAGE), PERIOD)
    assert response.status_code == 200
    assert response.context["report"].total.tickets == 13
    assert "Bob" not in response.content.decode()


@pytest.mark.parametrize("role", ["agent", "rep", "marketing"])
def test_forbidden_without_view_reports(org, data, role):
    client = client_for(getattr(org, role))
    assert client.get(reverse(PAGE)).status_code == 403
    assert client.get(reverse(EXPORT)).status_code == 403
    assert client_for(getattr(org, role)).get("/api/support/reports/service").status_code == 403


def test_menu_item_only_with_view_reports(org, data):
    url = reverse(PAGE)
    assert url in client_for(org.service_manager).get(reverse("support:list")).content.decode()
    assert url not in client_for(org.agent).get(reverse("support:list")).content.decode()


def test_bad_filters_are_shown_and_default_period_used(org, data):
    response = client_for(org.analyst).get(reverse(PAGE), {"from": "2026-03-10", "to": "2026-03-01", "type": "x"})
    assert response.status_code == 200
    assert len(response.context["errors"]) == 2
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_excel_download_one_sheet_per_table_and_audited(org, data):
    response = client_for(org.analyst).get(reverse(EXPORT), {**PERIOD, "sort": "-tickets"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and "analyst" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Agents", "Teams", "Tickets by type", "Tickets by product", "Complaints by product",
                               "Return reasons", "Return reasons by product", "Weekly trends"]
    agents = [list(r) for r in book["Agents"].iter_rows(values_only=True)]
    assert agents[0][:4] == ["Agent", "Tickets", "Resolved", "First response, median (h)"]
    first = agents[1]
    assert first[0] == "agent" and first[1:4] == [10, 8, 5.5]
    assert first[-1] == 30  # NPS
    total = next(r for r in agents if r[0] == "Total")
    assert total[1] == 16
    assert any(r[0] and str(r[0]).startswith("Exported by") for r in agents)
    trends = list(book["Weekly trends"].iter_rows(values_only=True))
    assert trends[1][:3] == ("2026-03-02", 13, 8)
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, entity="service_report")
    assert entry.actor == org.analyst
    assert entry.changes["filters"]["from"] == "2026-03-02" and entry.changes["rows"] > 10


def test_excel_cells_are_spreadsheet_safe(org, data):
    data.p1.name = "=HYPERLINK(\"http://x\")"
    data.p1.save()
    response = client_for(org.analyst).get(reverse(EXPORT), PERIOD)
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    labels = [r[0] for r in book["Complaints by product"].iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in labels


def test_excel_refused_over_the_daily_limit(org, data):
    RolePolicy.objects.filter(role="analyst").update(export_daily_rows=0)
    forget_policy(org.analyst)
    response = client_for(org.analyst).get(reverse(EXPORT), PERIOD)
    assert response.status_code == 302 and reverse(PAGE) in response["Location"]
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()


def test_api_shape_and_numbers(org, data):
    response = client_for(org.analyst).get("/api/support/reports/service", {**PERIOD, "sort": "-nps"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"period", "filters", "total", "agents", "teams", "by_type", "by_product",
                         "complaints_by_product", "return_reasons", "return_reasons_by_product", "trends"}
    assert body["period"] == {"from": "2026-03-02", "to": "2026-03-15", "days": 14}
    agent = body["agents"][0]
    assert agent["key"] == org.agent.pk and agent["nps"] == 30.0 and agent["frt_median"] == 5.5
    assert agent["fr_attainment"] == 80.0 and agent["reopen_rate"] == 22.2 and agent["csat_avg"] == 3.6
    assert body["trends"]["weeks"] == ["2026-03-02", "2026-03-09"]
    assert {t["key"] for t in body["teams"]} == {org.service.pk, data.team_b.pk, None}
    team = client_for(org.analyst).get("/api/support/reports/service",
                                       {**PERIOD, "team": data.team_b.pk, "type": "complaint"}).json()
    assert team["total"]["tickets"] == 3 and team["filters"]["type"] == "complaint"


def test_api_bad_input(org, data):
    client = client_for(org.analyst)
    response = client.get("/api/support/reports/service", {"from": "2026-03-10", "to": "2026-03-01"})
    assert response.status_code in (400, 422)
    assert "to" in json.dumps(response.json())
    assert client.get("/api/support/reports/service", {"team": "424242"}).status_code in (400, 422)


def test_api_excel(org, data):
    response = client_for(org.service_manager).get("/api/support/reports/service/export.xlsx", PERIOD)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "Bob" not in [r[0] for r in book["Agents"].iter_rows(values_only=True)]
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT, actor=org.service_manager).count() == 1
