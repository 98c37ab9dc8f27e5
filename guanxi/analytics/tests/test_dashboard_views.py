"""The dashboard page per role, its htmx fragment and filters, the menu entries, and the Excel download (a sheet
per chart, audited, formula-safe, within the daily row limit)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from guanxi.analytics.models import ChurnState, Quadrant
from guanxi.governance.masking import forget_policy
from guanxi.governance.models import AuditLog, RolePolicy

from .reports_helpers import HX, client, clock, customer, metrics, order  # noqa: F401

pytestmark = pytest.mark.django_db
PAGE = reverse("analytics:dashboard")
EXPORT = reverse("analytics:report_export", kwargs={"report": "dashboard"})


@pytest.fixture
def shop(org, clock):  # noqa: F811
    east = customer(org.rep, "=东方客户")
    order(east, date(2025, 3, 3), 500)
    metrics(east, quadrant=Quadrant.CORE, monetary=Decimal(500), churn_state=ChurnState.AT_RISK, p_alive=0.25,
            clv=Decimal("1200"))
    west = customer(org.rep_west, "西部客户")
    order(west, date(2025, 4, 4), 300)
    metrics(west, quadrant=Quadrant.KEEP, monetary=Decimal(300), churn_state=ChurnState.AT_RISK, p_alive=0.1)
    return east, west


def charts(response) -> dict:
    body = response.content.decode()
    start = body.index('<script id="report-charts" type="application/json">') + len(
        '<script id="report-charts" type="application/json">')
    return json.loads(body[start: body.index("</script>", start)])


def test_page_for_report_roles(org, shop):
    response = client(org.admin).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "=东方客户" in body and "西部客户" in body and 'data-testid="report-export"' in body
    assert 'data-testid="sum-at-risk">2<' in body
    assert 'data-testid="definitions"' in body and "vendor/echarts.min.js" in body
    options = charts(response)
    assert set(options) == {"chart-lifecycle", "chart-quadrants", "chart-tiers", "chart-tier-moves", "chart-revenue",
                            "chart-churn", "chart-forecast", "chart-next"}
    assert options["chart-quadrants"]["series"][0]["data"] == [1, 1, 0, 0]
    revenue = options["chart-revenue"]["series"][0]["data"]
    assert len(revenue) == 12 and revenue[8:10] == [500.0, 300.0]  # March and April 2025
    for who in ("analyst", "service_manager"):
        assert client(getattr(org, who)).get(PAGE).status_code == 200


def test_manager_sees_their_department_only(org, shop):
    response = client(org.manager).get(PAGE)
    body = response.content.decode()
    assert "=东方客户" in body and "西部客户" not in body
    assert charts(response)["chart-quadrants"]["series"][0]["data"] == [1, 0, 0, 0]
    assert f'<option value="{org.west.pk}"' not in body and f'<option value="{org.east.pk}"' in body


@pytest.mark.parametrize("who", ["rep", "agent", "marketing"])
def test_others_get_403(org, who):
    assert client(getattr(org, who)).get(PAGE).status_code == 403
    assert client(getattr(org, who)).get(EXPORT).status_code == 403


def test_htmx_gets_the_results_fragment_and_bad_filters_say_so(org, shop):
    fragment = client(org.admin).get(PAGE, {"department": org.west.pk}, **HX).content.decode()
    assert fragment.lstrip().startswith('<div id="report-results"') and "<html" not in fragment
    assert "西部客户" in fragment and "=东方客户" not in fragment
    page = client(org.admin).get(PAGE, {"from": "2025-05-01", "to": "2025-01-01"}).content.decode()
    assert 'data-testid="filter-errors"' in page and "The last day cannot be before the first day." in page
    assert client(org.manager).get(PAGE, {"department": org.west.pk}).status_code == 200  # error shown, defaults used


def test_menu_entries(org):
    page = client(org.analyst).get(reverse("home")).content.decode()
    assert 'data-testid="nav-value-dashboard"' in page and reverse("analytics:runs") in page
    assert 'data-testid="nav-value-dashboard"' not in client(org.rep).get(reverse("home")).content.decode()


def test_excel_has_a_sheet_per_chart_and_is_audited(org, shop):
    response = client(org.analyst).get(EXPORT, {"period": "12"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "value_dashboards-" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Lifecycle", "Value × loyalty", "Tiers", "Tier moves", "Revenue", "Churn and win-back",
                               "Top at-risk customers", "Forecast by quadrant", "Next purchases by month"]
    quadrants = list(book["Value × loyalty"].iter_rows(values_only=True))
    assert quadrants[0][:2] == ("Quadrant", "Customers") and quadrants[1][1] == 1
    at_risk = list(book["Top at-risk customers"].iter_rows(values_only=True))
    assert at_risk[1][0] == "'=东方客户" and at_risk[1][5] == 0.25  # formula neutralised
    assert any(r[0] and str(r[0]).startswith("Exported by") for r in at_risk)
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT, entity="value_dashboard")
    assert entry.actor == org.analyst and entry.changes["rows"] > 20 and entry.changes["filters"]["period"] == "12"


def test_excel_refused_over_the_daily_limit(org, shop):
    RolePolicy.objects.filter(role="analyst").update(export_daily_rows=5)
    forget_policy(org.analyst)
    response = client(org.analyst).get(EXPORT)
    assert response.status_code == 302 and PAGE in response["Location"]
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()
    assert client(org.analyst).get(EXPORT, {"period": "9"}).status_code == 400


@pytest.mark.parametrize("name", ["analytics:dashboard", "analytics:pareto", "analytics:churn", "analytics:runs"])
def test_pages_render_in_chinese(org, shop, name):
    response = client(org.manager).get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()
