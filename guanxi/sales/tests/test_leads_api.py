"""API for leads, campaigns, the duplicate check, conversion, import and the lead rules."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.sales.models import AssignmentRule, Lead, OwnerChange
from guanxi.sales.services.leads import campaign_create, lead_create


def api(user):
    client = Client()
    client.force_login(user)

    def call(method, path, body=None, **params):
        if method == "get":
            return client.get("/api" + path, params)
        return getattr(client, method)("/api" + path, data=json.dumps(body or {}), content_type="application/json")

    return call


def test_create_list_get_patch(org):
    call = api(org.rep)
    campaign = campaign_create(actor=org.admin, data={"name": "车展"})
    r = call("post", "/leads", {"name": "张三", "mobile": "138 0013 8000", "email": "A@B.CN", "campaign": campaign.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["mobile"], body["email"], body["owner"], body["source"]) == ("+8613800138000", "a@b.cn",
                                                                             org.rep.pk, "api")
    r = call("get", "/leads", q="8000")
    assert [x["id"] for x in r.json()["items"]] == [body["id"]]
    r = call("patch", f"/leads/{body['id']}", {"version": body["version"], "score": 70})
    assert r.status_code == 200 and r.json()["score"] == 70
    r = call("patch", f"/leads/{body['id']}", {"version": body["version"], "score": 80})
    assert r.status_code == 409


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "mobile": "123"}, "mobile"),
    ({"name": "X", "email": "nope"}, "email"),
    ({"name": "X", "credit_code": "91110000600037341A"}, "credit_code"),
    ({"name": "X", "campaign": 999}, "campaign"),
    ({"name": "X", "score": 101}, "score"),
])
def test_bad_input_is_422_and_saves_nothing(org, body, field):
    r = api(org.rep)("post", "/leads", body)
    assert r.status_code == 422
    assert field in r.json()["errors"]
    assert not Lead.objects.exists()


def test_duplicates_block_warn_and_confirm(org):
    customer = customer_create(actor=org.rep_west, data={"name": "杭州张三贸易有限公司"})
    contact_create(actor=org.rep_west, customer=customer, data={"name": "张三", "mobile": "13800138000"})
    call = api(org.rep)
    r = call("post", "/leads", {"name": "Z", "mobile": "13800138000"})
    assert r.status_code == 422 and "rep_west" in r.json()["errors"]["mobile"][0]
    r = call("post", "/leads", {"name": "Z", "company": "杭州张三贸易公司"})
    assert r.status_code == 409
    match = r.json()["matches"][0]
    assert (match["entity"], match["visible"], match["name"], match["owner_name"]) == (
        "customer", False, "杭州**贸易", "rep_west")
    r = call("post", "/leads", {"name": "Z", "company": "杭州张三贸易公司", "confirm_duplicates": True})
    assert r.status_code == 201
    r = call("post", "/duplicates/check", {"mobile": "13800138000"})
    assert r.json()["matches"][0]["mobile"] == "138****8000"
    assert r.json()["rules"]["mobile"] == "block"


def test_masking_of_unowned_leads(org):
    lead_create(actor=org.admin, data={"name": "公海线索", "mobile": "13800138000", "email": "zhang@example.com"},
                owner=None)
    row = api(org.rep)("get", "/leads").json()["items"][0]
    assert (row["mobile"], row["email"], row["masked"]) == ("138****8000", "zh***@example.com", True)
    row = api(org.admin)("get", "/leads").json()["items"][0]
    assert row["mobile"] == "+8613800138000"


def test_status_assign_convert(org):
    call = api(org.manager)
    lead = lead_create(actor=org.manager, data={"name": "张三", "company": "某某科技有限公司"}, owner=None)
    r = call("post", f"/leads/{lead.pk}/status", {"status": "disqualified"})
    assert r.status_code == 422 and "disqualify_reason" in r.json()["errors"]
    r = call("post", f"/leads/{lead.pk}/assign", {"owner": org.rep.pk})
    assert r.status_code == 200 and r.json()["owner"] == org.rep.pk
    r = call("post", f"/leads/{lead.pk}/assign", {"owner": org.rep_sh.pk})
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = call("post", f"/leads/{lead.pk}/activities", {"summary": "Called"})
    assert r.status_code == 201
    r = call("post", f"/leads/{lead.pk}/convert", {"create_opportunity": True, "amount": "1000"})
    assert r.status_code == 200, r.content
    assert r.json()["customer"] and r.json()["opportunity"]
    r = call("post", f"/leads/{lead.pk}/convert", {})
    assert r.status_code == 422
    changes = call("get", f"/leads/{lead.pk}/owner-changes").json()
    assert [c["kind"] for c in changes] == ["convert", "assign"]


def test_bulk_assign(org):
    a = lead_create(actor=org.manager, data={"name": "A"}, owner=None)
    b = lead_create(actor=org.manager, data={"name": "B"}, owner=None)
    west = lead_create(actor=org.admin, data={"name": "W"}, owner=org.rep_west)
    call = api(org.manager)
    r = call("post", "/leads/assign", {"leads": [a.pk, b.pk, west.pk], "owner": org.rep.pk})
    assert r.status_code == 422
    r = call("post", "/leads/assign", {"leads": [a.pk, b.pk], "owner": org.rep.pk})
    assert r.json() == {"assigned": 2}
    assert OwnerChange.objects.filter(entity="lead", kind="assign", to_user=org.rep).count() == 2


def test_permissions(org):
    lead = lead_create(actor=org.rep_west, data={"name": "W"})
    assert api(org.rep)("get", f"/leads/{lead.pk}").status_code == 404
    assert api(org.analyst)("post", "/leads", {"name": "X"}).status_code == 403
    assert api(org.analyst)("patch", f"/leads/{lead.pk}", {"version": 1, "score": 1}).status_code == 403
    assert api(org.rep)("post", "/campaigns", {"name": "X"}).status_code == 403
    assert api(org.manager)("post", "/campaigns", {"name": "X"}).status_code == 201
    assert api(org.rep)("get", "/lead-rules/duplicates").status_code == 403
    assert api(org.manager)("delete", f"/leads/{lead.pk}").status_code == 404
    assert Client().get("/api/leads").status_code == 401


def test_rules_api(org):
    call = api(org.admin)
    r = call("put", "/lead-rules/duplicates/email", {"action": "block"})
    assert r.status_code == 200 and r.json()["action"] == "block"
    r = call("post", "/lead-rules/assignment", {"name": "East", "department": org.east.pk,
                                                 "members": [org.rep.pk]})
    assert r.status_code == 201 and r.json()["members"] == [org.rep.pk]
    r = call("post", "/lead-rules/assignment", {"name": "Bad", "department": org.east.pk, "method": "region"})
    assert r.status_code == 422 and "match_values" in r.json()["errors"]
    rule = AssignmentRule.objects.get()
    r = api(org.rep)("post", "/leads", {"name": "Auto", "auto_assign": True})
    assert r.json()["owner"] == org.rep.pk
    assert call("delete", f"/lead-rules/assignment/{rule.pk}").status_code == 204


def test_campaign_stats_api(org):
    campaign = campaign_create(actor=org.admin, data={"name": "车展"})
    lead_create(actor=org.rep, data={"name": "A", "campaign": campaign, "source": "event"})
    r = api(org.rep)("get", f"/campaigns/{campaign.pk}/stats")
    assert r.json()["total"] == 1 and r.json()["by_source"][0]["source"] == "event"
    assert api(org.rep)("get", "/campaigns").json()[0]["lead_count"] == 1


def test_import_api(org):
    client = Client()
    client.force_login(org.manager)
    csv = "姓名,公司,手机,外部编号\n张三,杭州张三贸易有限公司,13800138000,A1\n李四,,123,A2\n".encode("gbk")
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post("/api/leads/import", {"file": SimpleUploadedFile("leads.csv", csv), "dry_run": "false",
                                          "mode": "all", "assign": "me"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["committed"] is False and body["errors"][0]["line"] == 3 and body["errors"][0]["field"] == "mobile"
    assert not Lead.objects.exists()
    r = client.post("/api/leads/import", {"file": SimpleUploadedFile("leads.csv", csv), "dry_run": "false",
                                          "mode": "valid", "assign": "me"})
    assert r.json()["committed"] is True and r.json()["created"] == 1
    assert Lead.objects.get().external_id == "A1"
    assert api(org.rep)("post", "/leads/import", {}).status_code in (403, 422)
