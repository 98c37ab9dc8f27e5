"""Customers through the API: CRUD, visibility per role, errors, pagination, query counts."""

from __future__ import annotations

import datetime

import pytest

from guanxi.customers.filters import CUSTOMER_SORTS, customer_search_q
from guanxi.customers.models import Contact, Customer, CustomFieldDefinition
from guanxi.customers.services.customers import contact_create, customer_create

ROLES = ["admin", "manager", "rep", "rep_sh", "rep_west", "service_manager", "agent", "marketing", "analyst"]
VALID_USCC = "91350100M000100Y43"


def test_no_auth_is_401(db, api):
    r = api().get("/customers")
    assert r.status_code == 401
    assert r.json()["detail"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_exactly_its_visible_set(org, customers, api, role):
    user = getattr(org, role)
    contact_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "王五", "mobile": "13800138000"})
    client = api(user)
    expected = set(Customer.objects.visible_to(user).values_list("id", flat=True))
    assert {c["id"] for c in client.walk("/customers", limit=2)} == expected
    for text in ["公司", "chengdu", "cdww", "8000", "13800138000", "科技"]:
        found = {c["id"] for c in client.walk("/customers", q=text)}
        allowed = set(Customer.objects.visible_to(user).filter(customer_search_q(text)).values_list("id", flat=True))
        assert found == allowed, text
        assert found <= expected


def test_rep_search_does_not_leak_other_departments(org, customers, api):
    contact_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "王五", "mobile": "13800138000"})
    assert api(org.rep).walk("/customers", q="8000") == []
    assert [c["id"] for c in api(org.admin).walk("/customers", q="8000")] == [customers.other_dept.pk]


def test_crud_round_trip(org, customers, api):
    CustomFieldDefinition.objects.create(entity="customer", key="employees", label="Employees", field_type="number")
    rep = api(org.rep)
    r = rep.post("/customers", {
        "name": "杭州测试贸易有限公司", "credit_code": VALID_USCC, "province": "浙江", "tags": ["VIP", "华东"],
        "custom": {"employees": "42"},
    })
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["owner"] == org.rep.pk and created["tags"] == ["VIP", "华东"]
    assert created["custom"] == {"employees": 42} and created["version"] == 1
    pk = created["id"]

    got = rep.get(f"/customers/{pk}").json()
    assert got == created

    r = rep.patch(f"/customers/{pk}", {"version": 1, "city": "杭州", "tags": ["VIP"], "short_name": None})
    assert r.status_code == 200, r.content
    assert r.json()["city"] == "杭州" and r.json()["tags"] == ["VIP"] and r.json()["version"] == 2

    r = rep.patch(f"/customers/{pk}", {"version": 2, "owner": None})
    assert r.status_code == 200 and r.json()["owner"] is None  # to the public pool

    # Reps may not delete; a manager of the department may, and may restore.
    assert rep.delete(f"/customers/{pk}").status_code == 403
    manager = api(org.manager)
    assert manager.delete(f"/customers/{pk}").status_code == 204
    assert manager.get(f"/customers/{pk}").status_code == 404
    assert pk in {i["id"] for i in manager.walk("/recycle-bin/customer")}
    r = manager.post(f"/customers/{pk}/restore")
    assert r.status_code == 200 and r.json()["id"] == pk
    assert rep.get(f"/customers/{pk}").status_code == 200

    # Every step is in the audit trail.
    actions = [e["action"] for e in api(org.admin).walk("/audit", entity="customer", object_id=str(pk))]
    assert actions == ["restore", "delete", "update", "update", "create"]


def test_create_for_pool_and_owner_rules(org, customers, api):
    r = api(org.manager).post("/customers", {"name": "公海新客户", "owner": None})
    assert r.status_code == 201 and r.json()["owner"] is None
    r = api(org.rep).post("/customers", {"name": "别人的客户", "owner": org.rep_west.pk})
    assert r.status_code == 422 and "owner" in r.json()["errors"]
    r = api(org.admin).post("/customers", {"name": "不存在", "owner": 999999})
    assert r.status_code == 422 and "owner" in r.json()["errors"]


def test_invisible_is_404_and_read_only_is_403(org, customers, api):
    rep = api(org.rep)
    other = customers.other_dept.pk
    assert rep.get(f"/customers/{other}").status_code == 404
    assert rep.patch(f"/customers/{other}", {"version": 1, "name": "x"}).status_code == 404
    assert rep.delete(f"/customers/{other}").status_code == 404
    assert rep.get("/customers/999999").status_code == 404
    analyst = api(org.analyst)
    assert analyst.get(f"/customers/{other}").status_code == 200
    assert analyst.patch(f"/customers/{other}", {"version": 1, "name": "x"}).status_code == 403
    assert analyst.post("/customers", {"name": "x"}).status_code == 403
    assert Customer.objects.get(pk=other).name == "成都王五餐饮"


def test_stale_version_is_409_and_nothing_changes(org, customers, api):
    rep = api(org.rep)
    pk = customers.own.pk
    assert rep.patch(f"/customers/{pk}", {"version": 1, "city": "上海"}).status_code == 200
    r = rep.patch(f"/customers/{pk}", {"version": 1, "city": "北京", "name": "覆盖"})
    assert r.status_code == 409
    assert r.json()["detail"]
    row = Customer.objects.get(pk=pk)
    assert (row.city, row.name, row.version) == ("上海", "张三贸易有限公司", 2)
    assert rep.delete(f"/customers/{pk}?version=1").status_code in (403, 409)


def test_patch_requires_version(org, customers, api):
    r = api(org.rep).patch(f"/customers/{customers.own.pk}", {"city": "上海"})
    assert r.status_code == 422 and "version" in r.json()["errors"]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "x", "credit_code": "91350100M000100Y44"}, "credit_code"),
    ({"name": "x", "birthday": "2024/05/31"}, "birthday"),
    ({"name": "x", "kind": "alien"}, "kind"),
    ({"name": "x", "lifecycle": "churned"}, "churn_reason"),
    ({"name": "x" * 201}, "name"),
    ({"city": "no name"}, "name"),
    ({"name": "x", "colour": "red"}, "colour"),
    ({"name": "x", "custom": {"employees": "many"}}, "custom.employees"),
    ({"name": "x", "custom": {"grade": "Z"}}, "custom.grade"),
    ({"name": "x", "custom": {"nonsense": "1"}}, "custom.nonsense"),
])
def test_bad_customer_input_is_422_naming_the_field(org, api, body, field):
    CustomFieldDefinition.objects.create(entity="customer", key="employees", label="Employees", field_type="number")
    CustomFieldDefinition.objects.create(entity="customer", key="grade", label="Grade", field_type="choice",
                                         choices=["A", "B"])
    r = api(org.rep).post("/customers", body)
    assert r.status_code == 422, r.content
    errors = r.json()["errors"]
    assert field in errors, errors
    assert all(isinstance(m, str) and m for m in errors[field])
    assert Customer.objects.count() == 0


def test_errors_are_translated(org, api):
    r = api(org.rep).post("/customers", {"name": "x", "birthday": "31/05/2024"})
    assert r.json()["errors"]["birthday"] == ["Enter a valid date like 2024-05-31."]
    client = api(org.rep)
    client.headers["Accept-Language"] = "zh-hans"
    r = client.post("/customers", {"name": "x", "birthday": "31/05/2024"})
    assert r.status_code == 422
    # The message goes through gettext; with the zh-hans catalogue compiled it is Chinese.
    assert r.json()["errors"]["birthday"][0]


@pytest.mark.parametrize("query", [{"colour": "red"}, {"sort": "password"}, {"sort": "-owner__password"},
                                   {"limit": "500"}, {"limit": "abc"}, {"cursor": "not-a-cursor"},
                                   {"owner": "someone"}, {"kind": "alien"}])
def test_bad_list_parameters_are_400_naming_them(org, customers, api, query):
    r = api(org.admin).get("/customers", **query)
    assert r.status_code == 400, r.content
    assert set(query) <= set(r.json()["errors"])


@pytest.mark.parametrize("sort", list(CUSTOMER_SORTS))
def test_cursor_pagination_walks_every_row_once(org, api, sort):
    base = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for i in range(23):
        c = customer_create(actor=org.rep, data={"name": f"客户{i % 5}"})
        if i % 3:
            Customer.objects.filter(pk=c.pk).update(last_interaction_at=base + datetime.timedelta(days=i % 4))
    client = api(org.rep)
    items = client.walk("/customers", limit=4, sort=sort)
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids)) == 23
    one_page = client.get("/customers", limit=200, sort=sort).json()
    assert [c["id"] for c in one_page["items"]] == ids and one_page["next_cursor"] is None


def test_cursor_from_another_sort_is_refused(org, customers, api):
    client = api(org.admin)
    cursor = client.get("/customers", limit=1, sort="name").json()["next_cursor"]
    r = client.get("/customers", limit=1, sort="-created", cursor=cursor)
    assert r.status_code == 400 and "cursor" in r.json()["errors"]


def test_filters_come_from_customer_filter(org, customers, api):
    client = api(org.admin)
    assert {c["id"] for c in client.walk("/customers", owner="none")} == {customers.pool.pk}
    assert {c["id"] for c in client.walk("/customers", owner=str(org.rep.pk))} == {customers.own.pk}
    assert {c["id"] for c in client.walk("/customers", has_orders="false")} == {
        customers.own.pk, customers.same_dept.pk, customers.other_dept.pk, customers.pool.pk}


def _seed(org, n):
    for i in range(n):
        c = customer_create(actor=org.rep_sh, data={"name": f"批量客户{i}"}, tags=["A", f"T{i}"])
        Contact.objects.create(customer=c, name="x")


@pytest.mark.parametrize("role", ["admin", "manager", "rep_sh"])
def test_customer_list_query_count_does_not_grow(org, api, role, django_assert_max_num_queries):
    client = api(getattr(org, role))
    _seed(org, 3)
    client.get("/customers")  # warm the session
    with django_assert_max_num_queries(6):
        r = client.get("/customers", limit=200)
    assert len(r.json()["items"]) == 3
    _seed(org, 30)
    # +1 for a search: on SQLite the search estimates how common the term is (customers/search.py).
    with django_assert_max_num_queries(7):
        r = client.get("/customers", limit=200, q="批量")
    assert len(r.json()["items"]) == 33


@pytest.mark.parametrize("params", [{}, {"limit": 2, "sort": "name"}, {"tag": "A", "limit": 3}])
def test_customer_list_json_is_what_the_schema_renders(org, api, params):
    """The list renders its plain rows itself (customers/api.py `_rendered_rows`), skipping pydantic:
    the bytes must be what validating each row with CustomerOut and ninja's renderer would give."""
    import json

    from ninja.responses import NinjaJSONEncoder

    from guanxi.customers.schemas import CustomerOut

    _seed(org, 3)
    Customer.objects.filter(name="批量客户1").update(birthday=datetime.date(1990, 5, 31), province="广东",
                                                   last_interaction_at=datetime.datetime(2024, 5, 31, 8, 1, 2, 345678,
                                                                                         tzinfo=datetime.UTC))
    r = api(org.admin).get("/customers", **params)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json; charset=utf-8"
    body = r.json()
    assert body["items"]
    rows = {c.pk: c for c in Customer.objects.select_related("owner", "department").prefetch_related("tags")}
    expected = {"items": [CustomerOut.model_validate(rows[i["id"]]).model_dump() for i in body["items"]],
                "next_cursor": body["next_cursor"]}
    assert r.content.decode() == json.dumps(expected, cls=NinjaJSONEncoder)
