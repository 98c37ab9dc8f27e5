"""Export: visibility, filters, formula neutralisation, formats, permissions, audit, API."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.governance.models import AuditLog


def read_csv(response) -> list[list[str]]:
    """The header and data rows (the last row, who exported the file and when, is checked and dropped)."""
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows[-1]) == 1 and rows[-1][0].startswith("Exported by ")
    return rows[:-1]


def read_xlsx(response) -> list[list[object]]:
    """As read_csv, for Excel."""
    body = b"".join(response.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert str(rows[-1][0]).startswith("Exported by ")
    return rows[:-1]


def names(rows: list[list[object]]) -> set[object]:
    col = rows[0].index("Name")
    return {r[col] for r in rows[1:]}


def test_rep_exports_only_visible_customers(client, org, customers):
    # a rep has no EXPORT capability; give the visibility check to a manager (department scope) instead
    client.force_login(org.manager)
    rows = read_csv(client.get(reverse("customers_io:export", args=["customer", "csv"])))
    assert names(rows) == {"张三贸易有限公司", "上海李四科技", "公海客户"}  # not the West rep's customer


def test_filters_are_the_list_filters(client, org, customers):
    client.force_login(org.admin)
    rows = read_csv(client.get(reverse("customers_io:export", args=["customer", "csv"]) + "?q=zs"))
    assert names(rows) == {"张三贸易有限公司"}
    rows = read_csv(client.get(reverse("customers_io:export", args=["customer", "csv"]) + "?owner=none"))
    assert names(rows) == {"公海客户"}
    response = client.get(reverse("customers_io:export", args=["customer", "csv"]) + "?owner=bogus")
    assert response.status_code == 400
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("id")
    assert entry.changes["filters"] == {"owner": "none"} and entry.changes["rows"] == 1


def test_formulas_are_neutralised(client, org):
    c = customer_create(actor=org.admin, data={"name": "=HYPERLINK(\"http://evil\")", "notes": "@SUM(A1)",
                                               "industry": "-2+3", "city": "+cmd"})
    contact_create(actor=org.admin, customer=c, data={"name": "=1+1"})
    client.force_login(org.admin)
    rows = read_csv(client.get(reverse("customers_io:export", args=["customer", "csv"])))
    flat = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(\"http://evil\")" in flat and "'@SUM(A1)" in flat and "'-2+3" in flat and "'+cmd" in flat
    assert not any(cell[:1] in "=+-@" for cell in flat if cell)
    rows = read_xlsx(client.get(reverse("customers_io:export", args=["contact", "xlsx"])))
    flat = [cell for row in rows[1:] for cell in row if isinstance(cell, str)]
    assert "'=1+1" in flat and not any(cell[:1] in "=+-@" for cell in flat if cell)


def test_xlsx_contacts_and_orders(client, org, customers):
    from django.utils import timezone

    from guanxi.customers.services.orders import order_create

    contact_create(actor=org.rep, customer=customers.own, data={"name": "张三", "mobile": "13800138000"})
    contact_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "王五"})
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": timezone.now(), "total_amount": 12})
    client.force_login(org.manager)
    rows = read_xlsx(client.get(reverse("customers_io:export", args=["contact", "xlsx"])))
    assert names(rows) == {"张三"}
    rows = read_xlsx(client.get(reverse("customers_io:export", args=["order", "xlsx"])))
    assert len(rows) == 2 and rows[1][rows[0].index("Amount")] == 12


@pytest.mark.parametrize("role", ["rep", "agent", "rep_west"])
def test_roles_without_export_get_403(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get(reverse("customers_io:export", args=["customer", "csv"])).status_code == 403
    assert client.get("/api/exports/customer.csv").status_code == 403
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()


def test_api_export(client, org, customers):
    client.force_login(org.analyst)
    response = client.get("/api/exports/customer.xlsx?lifecycle=prospect")
    assert response.status_code == 200 and len(read_xlsx(response)) == 5
    response = client.get("/api/exports/customer.csv?kind=nonsense")
    assert response.status_code == 422 and "kind" in response.json()["errors"]
    assert client.get("/api/exports/secret.csv").status_code in (400, 422)


def test_export_menu_partial(rf, org):
    from django.template.loader import render_to_string

    request = rf.get("/customers/?q=abc")
    request.user = org.admin
    html = render_to_string("customers/io/_export_menu.html", {"request": request})
    assert "/data/export/customer.xlsx?q=abc" in html
    assert "Export" not in render_to_string("customers/io/_export_menu.html",
                                            {"request": request, "can_export": False})
