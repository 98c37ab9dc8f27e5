"""Authentication (session, tokens), /me, tokens, the audit trail and the OpenAPI docs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from guanxi.governance.models import ApiToken, Employee
from guanxi.governance.services import api_token_create


def test_token_lifecycle_through_the_api(org, customers, api):
    session = api(org.rep)
    r = session.post("/tokens", {"name": "脚本"})
    assert r.status_code == 201, r.content
    key = r.json()["key"]
    assert key.startswith("gx_") and r.json()["prefix"] == key[:10]
    token_id = r.json()["id"]
    listed = session.walk("/tokens")
    assert [t["id"] for t in listed] == [token_id] and "key" not in listed[0]

    for header in ("Authorization", "X-API-Token"):
        me = api(token=key, header=header).get("/me")
        assert me.status_code == 200, me.content
        assert me.json()["username"] == "rep" and me.json()["role"] == "sales_rep"
    bearer = api(token=key)
    assert {c["id"] for c in bearer.walk("/customers")} == {customers.own.pk, customers.pool.pk}

    # Someone else cannot revoke it (404), its owner can.
    assert api(org.rep_west).delete(f"/tokens/{token_id}").status_code == 404
    assert session.delete(f"/tokens/{token_id}").status_code == 204
    assert bearer.get("/me").status_code == 401


@pytest.mark.parametrize("header", ["Authorization", "X-API-Token"])
def test_bad_expired_and_departed_tokens_are_401(org, api, header):
    assert api(token="gx_wrong", header=header).get("/me").status_code == 401
    _, expired = api_token_create(actor=org.rep, name="old", expires_at=timezone.now() - timedelta(minutes=1))
    assert api(token=expired, header=header).get("/me").status_code == 401
    _, key = api_token_create(actor=org.rep_west, name="ok")
    assert api(token=key, header=header).get("/me").status_code == 200
    Employee.objects.filter(user=org.rep_west).update(status=Employee.Status.DEPARTED)
    assert api(token=key, header=header).get("/me").status_code == 401
    assert api(token=key, header=header).get("/customers").status_code == 401


def test_departed_session_is_401(org, api):
    client = api(org.rep)
    assert client.get("/me").status_code == 200
    Employee.objects.filter(user=org.rep).update(status=Employee.Status.DEPARTED)
    assert client.get("/me").status_code == 401


def test_token_names_are_validated(org, api):
    r = api(org.rep).post("/tokens", {"name": ""})
    assert r.status_code == 422 and "name" in r.json()["errors"]
    assert ApiToken.objects.count() == 0


def test_me_reports_role_scope_and_capabilities(org, api):
    body = api(org.manager).get("/me").json()
    assert body["role"] == "sales_manager" and body["scope"] == "department"
    assert body["department_name"] == "East"
    assert "delete" in body["capabilities"] and "configure" not in body["capabilities"]
    assert api(org.analyst).get("/me").json()["capabilities"] == ["export", "view", "view_reports"]


def test_audit_trail_is_for_admins_and_filterable(org, customers, api):
    for role in ("manager", "rep", "analyst", "marketing"):
        assert api(getattr(org, role)).get("/audit").status_code == 403
    admin = api(org.admin)
    rows = admin.walk("/audit", customer=customers.own.pk)
    assert [(r["entity"], r["action"]) for r in rows] == [("customer", "create")]
    assert rows[0]["actor"] == org.rep.pk and rows[0]["changes"]["name"] == [None, "张三贸易有限公司"]
    assert {r["actor"] for r in admin.walk("/audit", actor=org.rep_west.pk, entity="customer")} == {org.rep_west.pk}
    assert admin.get("/audit", action="explode").status_code == 400
    assert admin.get("/audit", colour="red").status_code == 400


def test_openapi_schema_loads(db, api):
    r = api().client.get("/api/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    for path in ("/api/customers", "/api/customers/{customer_id}", "/api/customers/{customer_id}/contacts",
                 "/api/customers/{customer_id}/interactions", "/api/tasks", "/api/orders", "/api/products",
                 "/api/custom-fields", "/api/audit", "/api/recycle-bin/{entity}", "/api/tokens", "/api/me",
                 "/api/customers/{customer_id}/timeline"):
        assert path in schema["paths"], path
    names = {p["name"] for p in schema["paths"]["/api/customers"]["get"]["parameters"]}
    assert {"q", "kind", "lifecycle", "owner", "tag", "sort", "limit", "cursor"} <= names


def test_docs_page_serves_bundled_files_not_a_cdn(db, api):
    r = api().client.get("/api/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui-bundle.js" in html
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert urls and not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    assert "cdn" not in html.lower()
