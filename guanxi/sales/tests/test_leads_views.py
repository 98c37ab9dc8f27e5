"""Lead, campaign, public form, import and rule pages (thin: the services are tested elsewhere)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guanxi.customers.models import Customer, Interaction
from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.governance.models import AuditLog
from guanxi.sales.models import AssignmentRule, Campaign, Lead, LeadActivity
from guanxi.sales.services.leads import campaign_create, lead_create

HX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def test_list_filters_and_query_count(client, org, django_assert_max_num_queries):
    for i in range(30):
        lead_create(actor=org.rep, data={"name": f"线索{i}", "mobile": f"1380013{8000 + i}"})
    lead_create(actor=org.rep_west, data={"name": "西部线索"})
    login(client, org.rep)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sales:leads"))
    body = response.content.decode()
    assert response.status_code == 200 and "线索29" in body and "西部线索" not in body
    response = client.get(reverse("sales:leads"), {"q": "8029"}, **HX)
    assert "线索29" in response.content.decode() and "<html" not in response.content.decode()
    response = client.get(reverse("sales:leads"), {"score_min": "90", "score_max": "10"})
    assert "alert-danger" in response.content.decode()


def test_create_with_duplicate_warning_then_confirm(client, org):
    customer_create(actor=org.rep_west, data={"name": "杭州张三贸易有限公司"})
    login(client, org.rep)
    data = {"name": "张三", "company": "杭州张三贸易公司", "source": "phone", "score": "0"}
    response = client.post(reverse("sales:lead_create"), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "杭州**贸易" in body and "confirm_duplicates" in body
    assert not Lead.objects.exists()
    response = client.post(reverse("sales:lead_create"), {**data, "confirm_duplicates": "on"})
    assert response.status_code == 302
    assert Lead.objects.get().owner == org.rep


def test_create_shows_field_errors(client, org):
    login(client, org.rep)
    response = client.post(reverse("sales:lead_create"), {"name": "张三", "mobile": "123", "source": "phone",
                                                          "score": "0"})
    assert response.status_code == 422
    assert "Enter a valid phone number" in response.content.decode()


def test_manager_creates_by_rules(client, org):
    AssignmentRule.objects.create(name="East", department=org.east).members.set([org.rep_sh])
    login(client, org.manager)
    response = client.post(reverse("sales:lead_create"), {"name": "张三", "source": "phone", "score": "0",
                                                          "owner_choice": "rules"})
    assert response.status_code == 302
    assert Lead.objects.get().owner == org.rep_sh


def test_live_duplicate_check(client, org):
    customer = customer_create(actor=org.rep_west, data={"name": "某公司"})
    contact_create(actor=org.rep_west, customer=customer, data={"name": "张三", "mobile": "13800138000"})
    login(client, org.rep)
    response = client.get(reverse("sales:lead_check"), {"mobile": "138-0013-8000"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "138****8000" in body and "rep_west" in body


def test_detail_actions(client, org):
    lead = lead_create(actor=org.manager, data={"name": "张三", "mobile": "13800138000"}, owner=None)
    login(client, org.manager)
    assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 200
    client.post(reverse("sales:lead_activity", args=[lead.pk]), {"channel": "phone", "summary": "Called"})
    assert LeadActivity.objects.filter(lead=lead).count() == 1
    client.post(reverse("sales:lead_status", args=[lead.pk]), {"status": "disqualified", "reason": ""})
    assert Lead.objects.get(pk=lead.pk).status == "contacted"
    client.post(reverse("sales:lead_status", args=[lead.pk]), {"status": "qualified"})
    assert Lead.objects.get(pk=lead.pk).status == "qualified"
    client.post(reverse("sales:lead_assign", args=[lead.pk]), {"owner": org.rep.pk})
    assert Lead.objects.get(pk=lead.pk).owner == org.rep
    client.post(reverse("sales:lead_assign", args=[lead.pk]), {"owner": org.rep_sh.pk})
    assert Lead.objects.get(pk=lead.pk).owner == org.rep  # a reason is needed
    client.post(reverse("sales:lead_bulk_assign"), {"leads": [lead.pk], "owner": org.rep_sh.pk, "reason": "x"})
    assert Lead.objects.get(pk=lead.pk).owner == org.rep_sh


def test_reveal_is_audited(client, org):
    lead = lead_create(actor=org.admin, data={"name": "张三", "mobile": "13800138000"}, owner=None)
    login(client, org.rep)
    body = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "138****8000" in body and "+8613800138000" not in body
    body = client.post(reverse("sales:lead_reveal", args=[lead.pk]), **HX).content.decode()
    assert "+8613800138000" in body
    assert AuditLog.objects.filter(action="reveal", entity="lead", actor=org.rep).exists()


def test_convert_page(client, org):
    lead = lead_create(actor=org.rep, data={"name": "张三", "company": "某某科技有限公司"})
    login(client, org.rep)
    assert client.get(reverse("sales:lead_convert", args=[lead.pk])).status_code == 200
    response = client.post(reverse("sales:lead_convert", args=[lead.pk]), {
        "kind": "company", "create_opportunity": "on", "opportunity_name": "首单", "amount": "1000"})
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[customer.pk])
    response = client.post(reverse("sales:lead_convert", args=[lead.pk]), {"kind": "company"})
    assert response.status_code == 302 and Customer.objects.count() == 1


def test_permissions(client, org):
    lead = lead_create(actor=org.rep_west, data={"name": "W"})
    login(client, org.rep)
    assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 404
    assert client.get(reverse("sales:duplicate_rules")).status_code == 403
    assert client.get(reverse("sales:assignment_rules")).status_code == 403
    assert client.get(reverse("sales:campaign_create")).status_code == 403
    assert client.get(reverse("sales:lead_import")).status_code == 403
    login(client, org.analyst)
    assert client.get(reverse("sales:lead_create")).status_code == 403
    assert client.get(reverse("sales:leads")).status_code == 200
    assert Client().get(reverse("sales:leads")).status_code == 302


def test_campaign_pages(client, org):
    login(client, org.manager)
    response = client.post(reverse("sales:campaign_create"), {"name": "2024 车展", "kind": "exhibition",
                                                              "is_active": "on"})
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    lead_create(actor=org.rep, data={"name": "A", "campaign": campaign})
    body = client.get(reverse("sales:campaign_detail", args=[campaign.pk])).content.decode()
    assert "iframe" in body and "?campaign=" in body
    assert "2024 车展" in client.get(reverse("sales:campaigns")).content.decode()


def test_rule_pages(client, org):
    login(client, org.admin)
    response = client.post(reverse("sales:duplicate_rules"), {"mobile": "warn", "email": "allow",
                                                              "company": "block", "credit_code": "block"})
    assert response.status_code == 302
    response = client.post(reverse("sales:assignment_rule_create"), {
        "name": "Zhejiang", "method": "region", "match_values": "浙江", "department": org.east.pk,
        "position": "0", "is_active": "on", "members": [org.rep.pk]})
    assert response.status_code == 302
    assert AssignmentRule.objects.get().members.get() == org.rep
    assert client.get(reverse("sales:assignment_rules")).status_code == 200
    body = client.get(reverse("governance:people")).content.decode()
    assert reverse("sales:duplicate_rules") in body


# ---- the public web form --------------------------------------------------------------------------


@pytest.fixture
def public(org):
    cache.clear()
    return Client(enforce_csrf_checks=True)


def _post(client, url, data):
    client.get(url)
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_public_form_creates_assigned_lead(public, org):
    campaign = campaign_create(actor=org.admin, data={"name": "官网"})
    AssignmentRule.objects.create(name="East", department=org.east).members.set([org.rep])
    url = reverse("sales:public_lead_form") + f"?campaign={campaign.pk}"
    response = public.get(url)
    assert response.status_code == 200 and "X-Frame-Options" not in response
    response = _post(public, url, {"name": "访客", "mobile": "13800138000", "notes": "请报价"})
    assert response.status_code == 200 and "public-thanks" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.source, lead.campaign, lead.owner) == ("web_form", campaign, org.rep)


def test_public_form_csrf_required(public, org):
    response = public.post(reverse("sales:public_lead_form"), {"name": "x", "mobile": "13800138000"})
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_public_form_bad_input(public, org):
    url = reverse("sales:public_lead_form")
    response = _post(public, url, {"name": "访客"})
    assert response.status_code == 422 and not Lead.objects.exists()
    response = _post(public, url, {"name": "访客", "mobile": "123"})
    assert response.status_code == 422 and not Lead.objects.exists()
    assert public.get(url + "?campaign=999").status_code == 404


def test_public_form_honeypot(public, org):
    response = _post(public, reverse("sales:public_lead_form"),
                     {"name": "bot", "mobile": "13800138000", "website": "http://spam"})
    assert response.status_code == 200 and "public-thanks" in response.content.decode()
    assert not Lead.objects.exists()


def test_public_form_rate_limit(public, org, settings):
    settings.GUANXI_LEAD_FORM_RATE = 2
    url = reverse("sales:public_lead_form")
    for i in range(2):
        assert _post(public, url, {"name": f"v{i}", "email": f"v{i}@example.com"}).status_code == 200
    response = _post(public, url, {"name": "v3", "email": "v3@example.com"})
    assert response.status_code == 429 and "public-too-many" in response.content.decode()
    assert Lead.objects.count() == 2


def test_public_form_blocked_duplicate_goes_to_existing_record(public, org):
    customer = customer_create(actor=org.rep, data={"name": "某公司"})
    contact_create(actor=org.rep, customer=customer, data={"name": "张三", "mobile": "13800138000"})
    response = _post(public, reverse("sales:public_lead_form"), {"name": "张三", "mobile": "13800138000",
                                                                 "notes": "再次询价"})
    assert "public-thanks" in response.content.decode()
    assert not Lead.objects.exists()
    assert "再次询价" in Interaction.objects.get(customer=customer).content


# ---- import -----------------------------------------------------------------------------------------


def test_import_flow(client, org, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    login(client, org.manager)
    content = "\ufeff姓名,手机,省份,外部编号\n张三,13800138000,浙江,X1\n,,,\n李四,bad,上海,X2\n".encode()
    response = client.post(reverse("sales:lead_import"), {"file": SimpleUploadedFile("l.csv", content)})
    assert response.status_code == 302
    run_url = response["Location"]
    body = client.get(run_url).content.decode()
    assert 'value="mobile" selected' in body
    mapping = {"col_0": "name", "col_1": "mobile", "col_2": "province", "col_3": "external_id"}
    response = client.post(run_url, {**mapping, "mode": "all", "assign": "me", "action": "check"})
    body = response.content.decode()
    assert "import-report" in body and "4" in body and not Lead.objects.exists()
    response = client.post(run_url, {**mapping, "mode": "valid", "assign": "me", "action": "import"})
    assert response.status_code == 302
    assert list(Lead.objects.values_list("external_id", flat=True)) == ["X1"]
