"""Lead export (issue 3 item 14) and the one masking rule for leads (item 13): permission, audit, daily limit,
the exporter's name in the file, masking in the export, the list's filters; dedup results masked alike."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.governance import masking
from guanxi.governance.models import AuditLog, RolePolicy
from guanxi.sales.models import Lead
from guanxi.sales.services.dedup import find_duplicates
from guanxi.sales.services.leads import lead_create

EXPORT_URL = "sales:lead_export"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def read_csv(response) -> tuple[list[list[str]], str]:
    """Header + data rows, and the last row (who exported the file, when)."""
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows[-1]) == 1
    return rows[:-1], rows[-1][0]


def by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {r[header.index("Name")]: dict(zip(header, r, strict=True)) for r in rows[1:]}


@pytest.fixture
def leads(org):
    """rep owns 张三; rep_sh owns 李四 (East subtree); rep_west owns 王五; one unassigned."""
    return {
        "mine": lead_create(actor=org.rep, data={"name": "张三", "mobile": "13800138000",
                                                 "email": "zhangsan@example.com", "company": "张三贸易"}),
        "sh": lead_create(actor=org.rep_sh, data={"name": "李四", "mobile": "13900139000", "status": "qualified"}),
        "west": lead_create(actor=org.rep_west, data={"name": "王五", "mobile": "13700137000"}),
        "none": lead_create(actor=org.admin, data={"name": "赵六", "mobile": "13600136000"}, owner=None),
    }


# ---------------------------------------------------------------- permission


@pytest.mark.parametrize("role", ["rep", "agent", "rep_west"])
def test_roles_without_export_get_403(org, leads, role):
    client = client_for(getattr(org, role))
    assert client.get(reverse(EXPORT_URL, args=["csv"])).status_code == 403
    assert client.get("/api/leads/export.csv").status_code == 403
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()


def test_unknown_format_is_404(org):
    assert client_for(org.admin).get(reverse(EXPORT_URL, args=["pdf"])).status_code == 404


# ---------------------------------------------------------------- content, audit, name


def test_manager_exports_what_the_list_shows_and_it_is_audited(org, leads):
    rows, footer = read_csv(client_for(org.manager).get(reverse(EXPORT_URL, args=["csv"])))
    assert set(by_name(rows)) == {"张三", "李四", "赵六"}  # the East subtree and unassigned, not the West rep's
    assert footer.startswith("Exported by manager")
    entry = AuditLog.objects.get(action=AuditLog.Action.EXPORT)
    assert (entry.actor, entry.entity, entry.changes["rows"], entry.changes["format"]) == (org.manager, "lead", 3,
                                                                                         "csv")


def test_filters_are_the_lead_list_filters(org, leads):
    client = client_for(org.admin)
    rows, _footer = read_csv(client.get(reverse(EXPORT_URL, args=["csv"]) + "?status=qualified"))
    assert set(by_name(rows)) == {"李四"}
    rows, _footer = read_csv(client.get(reverse(EXPORT_URL, args=["csv"]) + "?owner=none&q="))
    assert set(by_name(rows)) == {"赵六"}
    entry = AuditLog.objects.filter(action=AuditLog.Action.EXPORT).latest("id")
    assert entry.changes["filters"] == {"owner": "none"} and entry.changes["rows"] == 1
    assert client.get(reverse(EXPORT_URL, args=["csv"]) + "?owner=bogus").status_code == 400
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == 2


def test_api_export_xlsx_names_the_exporter_and_takes_the_list_query(org, leads):
    client = client_for(org.analyst)
    response = client.get("/api/leads/export.xlsx?status=qualified")
    assert response.status_code == 200
    assert "analyst" in response["Content-Disposition"] and response["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0][:3] == ["ID", "External id", "Name"] and [r[2] for r in rows[1:-1]] == ["李四"]
    assert str(rows[-1][0]).startswith("Exported by analyst")
    assert book.properties.creator == "analyst"
    assert book.active.title == "Leads"
    response = client.get("/api/leads/export.csv?score_min=50&score_max=10")
    assert response.status_code == 400 and "score_max" in response.json()["errors"]  # as GET /api/leads
    assert client.get("/api/leads/export.pdf").status_code in (400, 404, 422)  # not a format
    assert AuditLog.objects.filter(action=AuditLog.Action.EXPORT).count() == 1


# ---------------------------------------------------------------- the daily limit


def test_over_the_daily_limit_nothing_is_exported_or_audited(org, leads):
    RolePolicy.objects.filter(role="sales_manager").update(export_daily_rows=1)
    client = client_for(org.manager)
    response = client.get("/api/leads/export.csv")
    assert response.status_code == 403 and "1 row is left" in response.json()["detail"]
    list_url = reverse("sales:leads") + "?status=open"
    response = client.get(reverse(EXPORT_URL, args=["csv"]), headers={"Referer": "http://testserver" + list_url})
    assert response.status_code == 302 and response["Location"] == "http://testserver" + list_url
    assert "1 row is left" in client.get(list_url).content.decode()
    assert not AuditLog.objects.filter(action=AuditLog.Action.EXPORT).exists()
    # Narrowed to one row it goes through, and then the day's allowance is used up.
    rows, _footer = read_csv(client.get(reverse(EXPORT_URL, args=["csv"]) + "?q=13800138000"))
    assert set(by_name(rows)) == {"张三"}
    response = client.get("/api/leads/export.csv?q=13800138000")
    assert response.status_code == 403 and "daily export limit" in response.json()["detail"]


# ---------------------------------------------------------------- masking


def test_export_masks_as_the_list_does(org, leads):
    rows, _footer = read_csv(client_for(org.marketing).get(reverse(EXPORT_URL, args=["csv"])))
    shown = by_name(rows)
    assert shown["张三"]["Mobile"] == "138****8000" and shown["张三"]["Email"] == "zh***@example.com"
    assert shown["赵六"]["Mobile"] == "136****6000"
    # A role whose policy does not mask sees the numbers (as stored, E.164).
    rows, _footer = read_csv(client_for(org.manager).get(reverse(EXPORT_URL, args=["csv"])))
    assert by_name(rows)["张三"]["Mobile"] == "'+8613800138000"  # spreadsheet_safe: no formula
    # The API list agrees with the export.
    row = client_for(org.marketing).get("/api/leads", {"q": "张三"}).json()["items"][0]
    assert (row["mobile"], row["masked"]) == ("138****8000", True)


def test_one_rule_for_leads_owner_clear_missing_policy_masked(org, leads):
    mine = leads["mine"]
    assert not masking.for_user(org.rep).should_mask_lead(mine)  # the owner
    assert masking.for_user(org.rep_sh).should_mask_lead(mine)  # policy masks reps
    assert not masking.for_user(org.manager).should_mask_lead(mine)  # policy off for sales managers
    RolePolicy.objects.filter(role="sales_manager").delete()
    masking.forget_policy(org.manager)
    assert masking.for_user(org.manager).should_mask_lead(mine)  # no policy stored: masked, as for contacts
    assert masking.for_user(org.manager).mask_lead(mine).mobile == "138****8000"
    assert masking.for_user(None).should_mask_lead(mine)


def test_lead_list_and_page_mask_with_a_missing_policy(org, leads):
    RolePolicy.objects.filter(role="sales_manager").delete()
    client = client_for(org.manager)
    page = client.get(reverse("sales:leads")).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    page = client.get(reverse("sales:lead_detail", args=[leads["mine"].pk])).content.decode()
    assert "138****8000" in page
    assert client.get("/api/leads", {"q": "张三"}).json()["items"][0]["masked"] is True


def test_duplicate_results_follow_the_same_rule(org):
    customer = customer_create(actor=org.rep, data={"name": "杭州张三贸易有限公司"})
    contact_create(actor=org.rep, customer=customer, data={"name": "张三", "mobile": "13800138000",
                                                           "email": "zhang@example.com"})
    lead = lead_create(actor=org.rep, data={"name": "李四", "mobile": "13900139000"})
    # Marketing sees every record but its policy masks: names shown, numbers masked.
    for match in find_duplicates(actor=org.marketing, mobile="13800138000") + find_duplicates(
            actor=org.marketing, mobile="13900139000"):
        assert match.visible and match.name in {"杭州张三贸易有限公司", "李四"}
        assert "****" in match.mobile
    # The owner and an unmasked role see them in clear.
    assert find_duplicates(actor=org.rep, mobile="13800138000")[0].mobile == "+8613800138000"
    assert find_duplicates(actor=org.manager, mobile="13900139000")[0].mobile == "+8613900139000"
    # Someone who may not open the record: name and numbers masked.
    hidden = find_duplicates(actor=org.rep_west, mobile="13800138000")[0]
    assert not hidden.visible and hidden.mobile == "138****8000" and hidden.name != customer.name
    assert Lead.objects.get(pk=lead.pk).owner == org.rep


def test_lead_list_shows_the_export_menu_to_exporters_only(org, leads):
    page = client_for(org.manager).get(reverse("sales:leads") + "?status=open").content.decode()
    assert reverse(EXPORT_URL, args=["xlsx"]) + "?status=open" in page
    page = client_for(org.rep).get(reverse("sales:leads")).content.decode()
    assert reverse(EXPORT_URL, args=["csv"]) not in page
