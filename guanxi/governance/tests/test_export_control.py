"""Export control: the EXPORT capability, the per-role daily row limit (Asia/Shanghai day, from the audit
trail), one audit row per export for customers, contacts and orders, and the exporter's name in the file."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.customers import customer_create
from guanxi.customers.services.orders import order_create
from guanxi.governance.masking import forget_policy
from guanxi.governance.models import AuditLog, RolePolicy
from guanxi.governance.services_export import (
    check_export_allowed,
    export_allowance,
    export_recorded,
    exported_by_line,
    exported_today,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def limit(role, rows, *users):
    """Set a role's daily limit; `users` whose objects already read the policy (it is cached on the user
    object, i.e. once per request) forget it."""
    RolePolicy.objects.filter(role=role).update(export_daily_rows=rows)
    for user in users:
        forget_policy(user)


def exports():
    return AuditLog.objects.filter(action=AuditLog.Action.EXPORT)


def recorded_at(entry, moment):
    AuditLog.objects.filter(pk=entry.pk).update(created_at=moment)  # append-only model: bypass save()


# ---- the service ------------------------------------------------------------------------------------------


def test_allowance_sums_todays_exports(org):
    limit("analyst", 100)
    assert export_allowance(user=org.analyst) == 100
    export_recorded(actor=org.analyst, entity="customer", rows=30, fmt="csv")
    export_recorded(actor=org.analyst, entity="lead", rows=50, fmt="xlsx")  # any entity counts
    export_recorded(actor=org.marketing, entity="customer", rows=99, fmt="csv")  # someone else's
    assert exported_today(user=org.analyst) == 80 and export_allowance(user=org.analyst) == 20
    check_export_allowed(user=org.analyst, rows=20)
    with pytest.raises(PermissionDeniedError) as exc:
        check_export_allowed(user=org.analyst, rows=21)
    assert "20 rows are left" in exc.value.message


def test_the_day_is_the_shanghai_day(org):
    limit("analyst", 100)
    now = timezone.now().astimezone(SHANGHAI)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    before = export_recorded(actor=org.analyst, entity="customer", rows=60, fmt="csv")
    recorded_at(before, midnight - datetime.timedelta(seconds=1))  # 23:59:59 yesterday, Shanghai time
    at = export_recorded(actor=org.analyst, entity="customer", rows=7, fmt="csv")
    recorded_at(at, midnight)  # 00:00:00 today
    assert exported_today(user=org.analyst) == 7


def test_limits_zero_none_and_no_capability(org):
    limit("analyst", 0)
    with pytest.raises(PermissionDeniedError) as exc:
        check_export_allowed(user=org.analyst, rows=1)
    assert "daily export limit" in exc.value.message
    check_export_allowed(user=org.analyst, rows=0)
    limit("analyst", None, org.analyst)
    assert export_allowance(user=org.analyst) is None
    check_export_allowed(user=org.analyst, rows=10**9)
    with pytest.raises(PermissionDeniedError):
        check_export_allowed(user=org.rep, rows=0)  # no EXPORT capability


def test_exported_by_line_names_person_and_time(org):
    org.analyst.first_name, org.analyst.last_name = "伟", "张"
    at = datetime.datetime(2026, 11, 23, 7, 0, tzinfo=datetime.UTC)
    assert exported_by_line(org.analyst, at) == "Exported by 张伟 (analyst) at 2026-11-23 15:00"


# ---- over the limit: refused, nothing written, nothing audited -------------------------------------------------


def test_web_export_over_the_limit_is_refused_with_a_message(client, org, customers):
    limit("analyst", 3)
    client.force_login(org.analyst)
    url = reverse("customers_io:export", args=["customer", "csv"])
    response = client.get(url, HTTP_REFERER="http://testserver/customers/?kind=company")
    assert response.status_code == 302 and response["Location"] == "http://testserver/customers/?kind=company"
    assert not exports().exists()
    page = client.get(reverse("customers:list")).content.decode()
    assert "3 rows are left" in page
    # Narrowed to what is left: allowed, and it uses up the allowance.
    response = client.get(url, {"owner": "none"})
    assert response.status_code == 200 and b"".join(response.streaming_content)
    assert exports().get().changes["rows"] == 1
    assert export_allowance(user=org.analyst) == 2


def test_api_export_over_the_limit_is_403_with_rows_left(client, org, customers):
    limit("analyst", 4)
    export_recorded(actor=org.analyst, entity="contact", rows=2, fmt="csv")
    client.force_login(org.analyst)
    response = client.get("/api/exports/customer.xlsx")
    assert response.status_code == 403
    assert "2 rows are left" in response.json()["detail"]
    assert exports().count() == 1  # only the earlier one


def test_limit_counts_all_rows_not_a_capped_page(client, org):
    limit("analyst", 10)
    for i in range(11):
        customer_create(actor=org.admin, data={"name": f"客户{i}"}, owner=None)
    client.force_login(org.analyst)
    assert client.get("/api/exports/customer.csv").status_code == 403
    limit("analyst", 11)
    response = client.get("/api/exports/customer.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + 11 + 1  # header, the rows, who exported it


# ---- audited for all three entities; exporter named in the file ------------------------------------------------


@pytest.mark.parametrize("entity", ["customer", "contact", "order"])
def test_each_export_is_audited(client, org, customers, entity):
    order_create(actor=org.rep, customer=customers.own, data={"ordered_at": timezone.now(), "total_amount": 5})
    client.force_login(org.manager)
    response = client.get(f"/api/exports/{entity}.csv")
    assert response.status_code == 200
    entry = exports().get()
    assert entry.entity == entity and entry.actor == org.manager and entry.changes["format"] == "csv"
    assert isinstance(entry.changes["rows"], int) and "filters" in entry.changes


def test_csv_names_the_exporter(client, org, customers):
    org.manager.first_name, org.manager.last_name = "伟", "张"
    org.manager.save()
    client.force_login(org.manager)
    response = client.get(reverse("customers_io:export", args=["customer", "csv"]), {"q": "zs"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "-manager.csv" in disposition and "customers-" in disposition
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "ID" and len(rows) == 3
    assert rows[-1] == [f"Exported by 张伟 (manager) at {timezone.localtime():%Y-%m-%d} "
                        + rows[-1][0].rsplit(" ", 1)[1]]
    assert exports().get().changes["filters"] == {"q": "zs"}


def test_xlsx_names_the_exporter(client, org, customers):
    org.manager.first_name, org.manager.last_name = "伟", "张"
    org.manager.save()
    client.force_login(org.manager)
    response = client.get(reverse("customers_io:export", args=["contact", "xlsx"]))
    assert "-manager.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.properties.creator == "张伟"
    assert book.properties.title == "Contacts"
    assert book.properties.description.startswith("Exported by 张伟 (manager) at ")
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0][0] == "ID" and str(rows[-1][0]).startswith("Exported by 张伟 (manager) at ")
    assert "Exported by 张伟" in book.active.oddFooter.left.text


def test_chinese_username_in_file_name(client, org, customers):
    org.manager.username = "张伟"
    org.manager.save()
    client.force_login(org.manager)
    response = client.get(reverse("customers_io:export", args=["customer", "csv"]))
    assert "filename*=utf-8''" in response["Content-Disposition"]
