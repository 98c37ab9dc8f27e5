"""Import: encodings and formats, mapping memory, dry run, errors, batches, idempotency, permissions, API."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Contact, Customer, ImportJob, Order, OrderLine, Product
from guanxi.customers.services.import_parsing import ImportFileError
from guanxi.customers.services.imports import import_errors_xlsx, import_job_create, import_job_start
from guanxi.governance.models import AuditLog

CREDIT = "91110000600037341L"  # a valid unified social credit code


def csv_bytes(text: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def committed():
    """The task is queued on commit; tests run inside a transaction, so run the callbacks here."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def start(actor, job, **kwargs):
    with committed():
        job = import_job_start(actor=actor, job=job, **kwargs)
    job.refresh_from_db()
    return job


def run(actor, entity, content, *, mode="commit", mapping=None, filename="data.csv", source="import"):
    job = import_job_create(actor=actor, entity=entity, filename=filename, content=content, source=source)
    return start(actor, job, mode=mode, mapping=mapping)


CUSTOMERS_CSV = (
    "客户编号,客户名称,统一社会信用代码,省份,标签,备注\n"
    f"C1,北京测试科技有限公司,{CREDIT},北京,\"VIP,华北\",=1+1\n"
    "C2,上海贸易公司,,上海,,\n"
)


@pytest.mark.parametrize("encoding,bom", [("gbk", False), ("gb18030", False), ("utf-8", True), ("utf-8", False)])
def test_customers_from_csv_in_any_chinese_encoding(org, encoding, bom):
    job = run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV, encoding, bom))
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count, job.processed_rows, job.total_rows) == (2, 0, 2, 2)
    c1 = Customer.objects.get(external_id="C1")
    assert c1.name == "北京测试科技有限公司" and c1.credit_code == CREDIT and c1.province == "北京"
    assert sorted(t.name for t in c1.tags.all()) == ["VIP", "华北"]
    assert c1.owner == org.admin and c1.search_initials  # service rules: owner, pinyin keys
    assert c1.notes == "=1+1"  # stored as typed; neutralised only on export


def test_customers_from_xlsx(org):
    content = xlsx_bytes([["Name", "External ID", "Type", "Birthday"], ["王小明", "P1", "个人", "1990/5/31"]])
    job = run(org.admin, "customer", content, filename="c.xlsx")
    assert job.file_format == "xlsx" and job.status == "done", job.errors
    c = Customer.objects.get(external_id="P1")
    assert c.kind == Customer.Kind.INDIVIDUAL and c.birthday.isoformat() == "1990-05-31"


def test_mapping_is_guessed_and_remembered(org):
    job = import_job_create(actor=org.admin, entity="customer", filename="a.csv",
                            content=csv_bytes("公司名称,手机,奇怪的列\nA公司,13800138000,x\n"))
    assert job.mapping == {"公司名称": "name", "手机": "", "奇怪的列": ""}
    start(org.admin, job, mode="dry_run",
          mapping={"公司名称": "name", "手机": "", "奇怪的列": "industry"})
    again = import_job_create(actor=org.admin, entity="customer", filename="b.csv",
                              content=csv_bytes("公司名称,奇怪的列\nB公司,制造\n"))
    assert again.mapping == {"公司名称": "name", "奇怪的列": "industry"}
    other_user = import_job_create(actor=org.manager, entity="customer", filename="b.csv",
                                   content=csv_bytes("公司名称,奇怪的列\nB公司,制造\n"))
    assert other_user.mapping["奇怪的列"] == ""


def test_dry_run_writes_nothing(org):
    audits = AuditLog.objects.count()
    job = run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV), mode="dry_run")
    assert job.status == "done" and job.dry_run_ok and job.created_count == 2
    assert not Customer.objects.filter(external_id__in=["C1", "C2"]).exists()
    assert AuditLog.objects.count() == audits
    # ... then commit the same job
    job = start(org.admin, job, mode="commit")
    assert job.status == "done" and Customer.objects.filter(external_id__in=["C1", "C2"]).count() == 2


def test_row_errors_name_line_and_field(org):
    text = (
        "客户编号,客户名称,统一社会信用代码,类型,生日\n"
        "E1,好公司,,公司,2000-01-01\n"
        "E2,,,公司,\n"
        "E3,坏代码公司,123456789012345679,公司,\n"
        "E4,个人客户,,火星人,31/12/2000\n"
        "E1,重复,,,\n"
    )
    job = run(org.admin, "customer", csv_bytes(text))
    assert job.status == "done"
    assert job.created_count == 1 and job.error_count == 4
    by_line = {}
    for e in job.errors:
        by_line.setdefault(e["line"], []).append(e)
    assert by_line[3][0]["field"] == "Name" and by_line[3][0]["column"] == "客户名称"
    assert by_line[4][0]["column"] == "统一社会信用代码" and "check digit" in by_line[4][0]["message"]
    assert {e["column"] for e in by_line[5]} == {"类型", "生日"}
    assert "line 2" in by_line[6][0]["message"]
    assert list(Customer.objects.filter(external_id__startswith="E").values_list("external_id", flat=True)) == ["E1"]
    report = openpyxl.load_workbook(io.BytesIO(import_errors_xlsx(job)))
    sheet = report.active
    assert sheet.cell(1, 1).value == "Line" and sheet.max_row == len(job.errors) + 1


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03binary\x00junk", "not a CSV or Excel"),
    (b"PK\x03\x04broken zip", "not a CSV or Excel"),
    ("客户名称\n".encode(), "no rows"),
])
def test_bad_files_are_refused_with_a_clear_message(org, content, message):
    with pytest.raises(ImportFileError) as exc:
        import_job_create(actor=org.admin, entity="customer", filename="x.csv", content=content)
    assert message in exc.value.message
    assert ImportJob.objects.count() == 0


@override_settings(GUANXI_IMPORT_MAX_BYTES=100)
def test_too_large(org):
    with pytest.raises(ImportFileError, match="too large"):
        import_job_create(actor=org.admin, entity="customer", filename="x.csv", content=b"name\n" + b"a\n" * 100)


def test_mapping_without_required_field_is_refused(org):
    from django.core.exceptions import ValidationError

    job = import_job_create(actor=org.admin, entity="customer", filename="x.csv", content=b"foo,bar\n1,2\n")
    with pytest.raises(ValidationError, match="Name"):
        import_job_start(actor=org.admin, job=job, mode="dry_run")


@override_settings(GUANXI_IMPORT_BATCH_SIZE=2)
def test_batches_and_progress(org):
    rows = "".join(f"B{i},客户{i}\n" for i in range(5))
    job = run(org.admin, "customer", csv_bytes("external id,name\n" + rows))
    assert (job.processed_rows, job.total_rows, job.created_count, job.percent) == (5, 5, 5, 100)
    imports = AuditLog.objects.filter(action=AuditLog.Action.IMPORT, object_id=str(job.pk))
    assert imports.count() == 3  # one per batch
    assert AuditLog.objects.filter(action=AuditLog.Action.CREATE, entity="customer",
                                   changes__import_job=job.pk).count() == 5


@override_settings(GUANXI_IMPORT_BATCH_SIZE=2)
def test_a_failing_batch_is_rolled_back_whole(org, monkeypatch):
    from django.db import IntegrityError

    from guanxi.customers.services import imports

    calls = {"n": 0}
    original = imports.CustomerRunner.save

    def flaky(self, candidates):
        calls["n"] += 1
        original(self, candidates)
        if calls["n"] == 2:
            raise IntegrityError("simulated")

    monkeypatch.setattr(imports.CustomerRunner, "save", flaky)
    rows = "".join(f"R{i},客户{i}\n" for i in range(5))
    job = run(org.admin, "customer", csv_bytes("external id,name\n" + rows))
    assert job.status == "done"
    assert sorted(Customer.objects.filter(external_id__startswith="R").values_list("external_id", flat=True)) == [
        "R0", "R1", "R4"]
    assert job.error_count == 2 and {e["line"] for e in job.errors} == {4, 5}
    assert job.created_count == 3


def test_reimport_updates_customers_instead_of_duplicating(org):
    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    c1 = Customer.objects.get(external_id="C1")
    job = run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    changed = CUSTOMERS_CSV.replace("北京,", "天津,", 1)
    job = run(org.admin, "customer", csv_bytes(changed))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert Customer.objects.filter(external_id="C1").count() == 1
    c1.refresh_from_db()
    assert c1.province == "天津" and c1.version == 2
    entry = AuditLog.objects.filter(action="update", entity="customer", object_id=str(c1.pk)).get()
    assert entry.changes["province"] == ["北京", "天津"]


def test_contacts_import_and_reimport(org):
    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    text = ("联系人编号,客户编号,姓名,手机,邮箱\n"
            "K1,C1,张三,138 0013 8000,zs@example.com\n"
            "K2,C1,李四,13900139000,\n"
            "K3,C9,王五,13700137000,\n"
            "K4,C2,赵六,12345,bad-email\n")
    job = run(org.admin, "contact", csv_bytes(text))
    assert job.created_count == 2 and job.error_count == 2
    k1 = Contact.objects.get(external_id="K1")
    assert k1.mobile == "+8613800138000" and k1.mobile_last4 == "8000" and k1.is_primary
    assert not Contact.objects.get(external_id="K2").is_primary
    messages = {e["column"]: e["message"] for e in job.errors}
    assert "C9" in messages["客户编号"]
    assert "phone number" in messages["手机"] and "email" in messages["邮箱"]
    again = run(org.admin, "contact", csv_bytes(text.replace("李四", "李四四")))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 1, 1)
    assert Contact.objects.filter(external_id__in=["K1", "K2"]).count() == 2


ORDERS_CSV = (
    "订单ID,客户编号,下单时间,金额,状态\n"
    "O1,C1,2024-05-01 10:30,100.50,已付款\n"
    "O2,C2,2024/5/2,\"1,200\",paid\n"
    "O3,C1,yesterday,abc,paid\n"
)


def test_orders_linked_by_customer_external_id_and_idempotent(org):
    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    job = run(org.admin, "order", csv_bytes(ORDERS_CSV), source="shop")
    assert job.created_count == 2 and job.error_count == 1
    assert {e["column"] for e in job.errors} == {"下单时间", "金额"}
    o1 = Order.objects.get(external_source="shop", external_id="O1")
    assert o1.customer.external_id == "C1" and o1.total_amount == Decimal("100.50")
    assert timezone.localtime(o1.ordered_at).hour == 10 and o1.salesperson == org.admin
    assert Customer.objects.get(external_id="C1").lifecycle == Customer.Lifecycle.ACTIVE
    again = run(org.admin, "order", csv_bytes(ORDERS_CSV), source="shop")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    changed = run(org.admin, "order", csv_bytes(ORDERS_CSV.replace("100.50", "99")), source="shop")
    assert changed.updated_count == 1
    assert Order.objects.filter(external_id="O1").count() == 1
    # the same ids from another source are other orders
    run(org.admin, "order", csv_bytes(ORDERS_CSV), source="other")
    assert Order.objects.filter(external_id="O1").count() == 2


def test_orders_by_credit_code_or_name_with_lines(org):
    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    Product.objects.create(sku="SKU1", name="茶叶", price=Decimal("50"))
    text = ("external id,customer credit code,customer name,order date,sku,quantity,unit price\n"
            f"L1,{CREDIT},,2024-06-01,SKU1,2,\n"
            f"L1,{CREDIT},,2024-06-01,,1,30\n"
            "L2,,上海贸易公司,2024-06-02,SKU1,1,45\n"
            "L3,,不存在的公司,2024-06-02,SKU1,1,45\n")
    job = run(org.admin, "order", csv_bytes(text))
    assert job.created_count == 2 and job.error_count == 1, job.errors
    l1 = Order.objects.get(external_id="L1")
    assert l1.customer.credit_code == CREDIT and l1.lines.count() == 2 and l1.total_amount == Decimal("130.00")
    assert Order.objects.get(external_id="L2").customer.name == "上海贸易公司"
    again = run(org.admin, "order", csv_bytes(text))
    assert again.unchanged_count == 2 and OrderLine.objects.filter(order=l1).count() == 2
    fewer = run(org.admin, "order", csv_bytes(text.replace(f"L1,{CREDIT},,2024-06-01,,1,30\n", "")))
    assert fewer.updated_count == 1
    l1.refresh_from_db()
    assert l1.lines.count() == 1 and l1.total_amount == Decimal("100.00")


def test_manager_cannot_update_customers_outside_their_scope(org, customers):
    Customer.objects.filter(pk=customers.other_dept.pk).update(external_id="W1")
    job = run(org.manager, "customer", csv_bytes("external id,name\nW1,改名\n"))
    assert job.error_count == 1 and "may not change" in job.errors[0]["message"]
    customers.other_dept.refresh_from_db()
    assert customers.other_dept.name == "成都王五餐饮"


@pytest.mark.parametrize("role", ["rep", "agent", "marketing", "analyst", "service_manager"])
def test_roles_without_import_get_403(client, org, role):
    user = getattr(org, role)
    client.force_login(user)
    assert client.get(reverse("customers_io:import_start")).status_code == 403
    from guanxi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        import_job_create(actor=user, entity="customer", filename="x.csv", content=b"name\nA\n")


def test_import_pages_flow(client, org):
    client.force_login(org.admin)
    page = client.get(reverse("customers_io:import_start"))
    assert page.status_code == 200
    upload = io.BytesIO(csv_bytes(CUSTOMERS_CSV, "gbk"))
    upload.name = "客户.csv"
    response = client.post(reverse("customers_io:import_start"), {"entity": "customer", "file": upload,
                                                                   "source": "import"})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/data/import/{job.pk}/mapping/")
    mapping_page = client.get(response["Location"])
    assert "统一社会信用代码" in mapping_page.content.decode()
    post = {f"col_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    with committed():
        response = client.post(response["Location"], {**post, "action": "dry_run"})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Import the good rows" in page.content.decode()
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "import-progress" in fragment.content.decode()
    assert not Customer.objects.filter(external_id="C1").exists()
    with committed():
        client.post(reverse("customers_io:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert Customer.objects.filter(external_id="C1").exists(), (job.status, job.message, job.errors)
    errors = client.get(reverse("customers_io:import_errors", args=[job.pk]))
    assert errors.status_code == 200 and errors["Content-Type"].startswith("application/vnd.openxml")


def test_bad_upload_shows_message(client, org):
    client.force_login(org.admin)
    upload = io.BytesIO(b"\x00\x01binary")
    upload.name = "x.pdf"
    response = client.post(reverse("customers_io:import_start"), {"entity": "customer", "file": upload})
    assert response.status_code == 200 and "not a CSV or Excel" in response.content.decode()


def test_other_users_jobs_are_hidden(client, org):
    job = import_job_create(actor=org.manager, entity="customer", filename="x.csv", content=b"name\nA\n")
    other = _manager2(org)
    client.force_login(other)
    assert client.get(reverse("customers_io:import_job", args=[job.pk])).status_code == 404


def _manager2(org):
    from guanxi.governance.models import Role
    from guanxi.governance.services import employee_create

    return employee_create(actor=None, username="manager2", password="pw-Guanxi-2024", role=Role.SALES_MANAGER,
                           department=org.west).user


def test_api_import_status_errors(client, org):
    client.force_login(org.admin)
    upload = io.BytesIO(csv_bytes(ORDERS_CSV.replace("O1,C1", "O1,ZZ")))
    upload.name = "orders.csv"
    with committed():
        response = client.post("/api/imports", {"file": upload, "entity": "order", "mode": "dry_run"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["mode"] == "dry_run" and body["total_rows"] == 3
    status = client.get(f"/api/imports/{body['id']}").json()
    assert status["status"] == "done"
    assert status["error_count"] == 3 and status["percent"] == 100
    errors = client.get(f"/api/imports/{body['id']}/errors").json()
    assert errors["count"] == 3 and errors["items"][0]["line"] == 2
    assert client.get(f"/api/imports/{body['id']}/errors.xlsx").status_code == 200
    with committed():
        started = client.post(f"/api/imports/{body['id']}/start", {"mode": "commit"},
                              content_type="application/json")
    assert started.status_code == 200 and started.json()["mode"] == "commit"


def test_api_import_refusals(client, org):
    client.force_login(org.rep)
    upload = io.BytesIO(b"name\nA\n")
    upload.name = "c.csv"
    assert client.post("/api/imports", {"file": upload, "entity": "customer"}).status_code == 403
    client.force_login(org.admin)
    upload = io.BytesIO(b"")
    upload.name = "c.csv"
    response = client.post("/api/imports", {"file": upload, "entity": "customer"})
    assert response.status_code == 422 and "file" in response.json()["errors"]
    upload = io.BytesIO(b"foo\n1\n")
    upload.name = "c.csv"
    response = client.post("/api/imports", {"file": upload, "entity": "customer"})
    assert response.status_code == 422 and "Name" in response.json()["errors"]["mapping"][0]


@override_settings(GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS=2)
def test_big_imports_use_the_compact_audit_scheme(org):
    job = run(org.admin, "customer", csv_bytes("external id,name\nX1,甲\nX2,乙\nX3,丙\n"))
    assert job.created_count == 3
    assert not AuditLog.objects.filter(action="create", entity="customer", changes__import_job=job.pk).exists()
    batch = AuditLog.objects.get(action="import", object_id=str(job.pk))
    assert sorted(batch.changes["created_ids"]) == sorted(Customer.objects.filter(
        external_id__startswith="X").values_list("pk", flat=True))


# ---- the order importer's fast path ---------------------------------------------------------------

def test_the_task_is_queued_only_when_the_job_is_committed(org):
    job = import_job_create(actor=org.admin, entity="customer", filename="c.csv", content=csv_bytes(CUSTOMERS_CSV))
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        started = import_job_start(actor=org.admin, job=job, mode="commit")
    assert started.status == ImportJob.Status.QUEUED and len(callbacks) == 1
    assert not Customer.objects.filter(external_id="C1").exists()
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Customer.objects.filter(external_id="C1").exists()


def test_unchanged_orders_are_not_rewritten_on_reimport(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    run(org.admin, "order", csv_bytes(ORDERS_CSV), source="shop")
    before = {o.pk: (o.version, o.updated_at) for o in Order.objects.all()}
    audits = AuditLog.objects.filter(entity="order").count()
    with CaptureQueriesContext(connection) as queries:
        again = run(org.admin, "order", csv_bytes(ORDERS_CSV), source="shop")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert {o.pk: (o.version, o.updated_at) for o in Order.objects.all()} == before
    table = Order._meta.db_table
    writes = [q["sql"] for q in queries.captured_queries
              if table in q["sql"] and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))]
    assert writes == []
    assert AuditLog.objects.filter(entity="order").count() == audits
    # a changed row is written (and audited) with its version bumped
    changed = run(org.admin, "order", csv_bytes(ORDERS_CSV.replace("100.50", "99")), source="shop")
    assert (changed.updated_count, changed.unchanged_count) == (1, 1)
    o1 = Order.objects.get(external_id="O1")
    assert o1.total_amount == Decimal("99") and o1.version == 2
    entry = AuditLog.objects.get(action="update", entity="order", object_id=str(o1.pk))
    assert entry.changes["total_amount"] == ["100.50", "99"] and entry.customer_id == o1.customer_id


def test_the_raw_order_write_fills_every_column_the_service_fills(org):
    from guanxi.customers.services.orders import order_create

    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    customer = Customer.objects.get(external_id="C2")
    text = "订单ID,订单号,客户编号,下单时间,金额,成本,渠道,状态\nR1,NO-1,C2,2024-05-01 10:30,100.50,60,门店,已付款\n"
    job = run(org.admin, "order", csv_bytes(text), source="shop")
    assert job.created_count == 1, job.errors
    imported = Order.objects.get(external_id="R1")
    made = order_create(actor=org.admin, customer=customer, data={
        "number": "NO-1", "external_source": "shop", "external_id": "R2", "ordered_at": imported.ordered_at,
        "total_amount": Decimal("100.50"), "cost_amount": Decimal("60"), "channel": "store", "status": "paid"})
    made.refresh_from_db()
    skip = {"id", "external_id", "created_at", "updated_at"}
    for f in Order._meta.concrete_fields:
        if f.name not in skip:
            assert getattr(imported, f.attname) == getattr(made, f.attname), f.name
    assert imported.salesperson_id == customer.owner_id and imported.version == 1 and imported.custom == {}
    assert imported.created_at == imported.updated_at and abs(timezone.now() - imported.created_at).seconds < 60
    assert imported.currency and imported.deleted_at is None
    # the id came from the table's sequence: the next ORM insert does not collide
    assert made.pk != imported.pk and Order.objects.count() == 2


def test_order_field_rules_give_the_models_verdict_and_messages():
    from django.core.exceptions import ValidationError

    from guanxi.customers.services.import_checks import field_rule

    cases = {
        "number": ["NO-1", "x" * 50, "x" * 51, ""],
        "currency": ["CNY", "ABCD"],
        "status": ["paid", "lost"],
        "total_amount": [Decimal("1.5"), Decimal("0"), Decimal("-1"), Decimal("1.234"), Decimal("1E+12"),
                         Decimal("999999999999.99"), Decimal("1E-9"), Decimal("100.500")],
        "ordered_at": [timezone.now()],
    }

    def verdict(clean, value):
        try:
            return "ok", clean(value)
        except ValidationError as exc:
            return "error", exc.messages

    for name, values in cases.items():
        model_field = Order._meta.get_field(name)
        rule = field_rule(model_field)
        for value in values:
            assert verdict(rule, value) == verdict(lambda v, f=model_field: f.clean(v, None), value), (name, value)


def test_an_order_changed_during_the_import_is_reported_not_overwritten(org, monkeypatch):
    from django.db.models import F

    from guanxi.customers.services import import_orders

    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    run(org.admin, "order", csv_bytes(ORDERS_CSV), source="shop")
    original = import_orders.OrderRunner.prepare

    def someone_edits_meanwhile(self, parsed):
        original(self, parsed)
        Order.objects.filter(external_id="O1").update(version=F("version") + 1, number="edited")

    monkeypatch.setattr(import_orders.OrderRunner, "prepare", someone_edits_meanwhile)
    job = run(org.admin, "order", csv_bytes(ORDERS_CSV.replace("100.50", "99")), source="shop")
    assert job.updated_count == 0 and job.error_count == 2  # O1 refused, O3 bad as before
    assert any("changed by someone else" in e["message"] for e in job.errors)
    o1 = Order.objects.get(external_id="O1")
    assert o1.total_amount == Decimal("100.50") and o1.number == "edited"


@override_settings(GUANXI_IMPORT_BATCH_SIZE=2, GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS=2)
def test_orders_in_many_batches_with_the_compact_audit(org):
    run(org.admin, "customer", csv_bytes(CUSTOMERS_CSV))
    Customer.objects.filter(external_id="C2").update(lifecycle=Customer.Lifecycle.PROSPECT)
    rows = "".join(f"M{i},C{1 + i % 2},2024-06-{1 + i:02d},{i}.5,paid\n" for i in range(7))
    job = run(org.admin, "order", csv_bytes("订单ID,客户编号,下单时间,金额,状态\n" + rows), source="shop")
    assert (job.created_count, job.error_count) == (7, 0), job.errors
    ids = set(Order.objects.filter(external_id__startswith="M").values_list("pk", flat=True))
    assert len(ids) == 7
    batches = AuditLog.objects.filter(action="import", object_id=str(job.pk))
    assert batches.count() == 4 and {i for b in batches for i in b.changes["created_ids"]} == ids
    assert Customer.objects.get(external_id="C2").lifecycle == Customer.Lifecycle.ACTIVE
    again = run(org.admin, "order", csv_bytes("订单ID,客户编号,下单时间,金额,状态\n" + rows), source="shop")
    assert again.unchanged_count == 7
