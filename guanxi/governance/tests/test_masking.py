"""号码脱敏: the masking rule per role and account team, applied in the 360° page, the customer list's phone
search, the API and exports; the audited reveal; the role policy settings page."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import CustomerTeamMember
from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.governance import masking
from guanxi.governance.models import AuditLog, RolePolicy

MOBILE = "13800138000"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def contacts(org, customers):
    """A contact with mobile, phone and email on the pool customer and on the rep's own customer."""
    data = {"mobile": MOBILE, "phone": "021-5555 1234", "email": "zhang.san@example.com"}
    pool = contact_create(actor=org.admin, customer=customers.pool, data={"name": "池联系人", **data})
    own = contact_create(actor=org.rep, customer=customers.own, data={"name": "张三", **data})
    return type("Contacts", (), {"pool": pool, "own": own})


def team(customer, user, access, expires_at=None):
    return CustomerTeamMember.objects.create(customer=customer, user=user, access=access, expires_at=expires_at)


def set_policy(role, **values):
    RolePolicy.objects.filter(role=role).update(**values)


# ---- the rule ------------------------------------------------------------------------------------


def test_mask_values():
    assert masking.mask_value("mobile", "+8613800138000") == "138****8000"
    assert masking.mask_value("phone", "021-5555 1234") == "021****1234"
    assert masking.mask_value("email", "zhang.san@example.com") == "zh***@example.com"
    assert masking.mask_value("mobile", "") == ""


def test_rep_sees_pool_contact_masked_and_own_clear(org, customers, contacts):
    rule = masking.for_user(org.rep)
    shown = rule.mask_contact(contacts.pool)
    assert shown.masked and shown.as_dict() == {
        "mobile": "138****8000", "phone": "021****1234", "email": "zh***@example.com"}
    own = rule.mask_contact(contacts.own)
    assert not own.masked and own.mobile == "+86" + MOBILE and own.email == "zhang.san@example.com"


def test_manager_follows_the_role_policy(org, customers, contacts):
    # The migration's default: sales managers see numbers in full.
    assert not masking.for_user(org.manager).should_mask(customers.same_dept)
    set_policy("sales_manager", mask_unowned=True)
    masking.forget_policy(org.manager)  # the policy is cached on the user object (one per request)
    assert masking.for_user(org.manager).should_mask(customers.same_dept)


@pytest.mark.parametrize(("role", "masked"), [
    ("admin", False), ("manager", False), ("service_manager", False),
    ("agent", True), ("marketing", True), ("analyst", True), ("rep_sh", True),
])
def test_default_policy_per_role(org, customers, role, masked):
    assert masking.for_user(getattr(org, role)).should_mask(customers.own) is masked


def test_account_team_write_clear_read_or_expired_masked(org, customers):
    rule = masking.for_user(org.rep_sh)
    assert rule.should_mask(customers.own)
    team(customers.own, org.rep_sh, "write")
    assert not masking.for_user(org.rep_sh).should_mask(customers.own)

    team(customers.pool, org.rep_west, "read")
    assert masking.for_user(org.rep_west).should_mask(customers.pool)
    team(customers.same_dept, org.rep_west, "write", expires_at=timezone.now() - datetime.timedelta(days=1))
    assert masking.for_user(org.rep_west).should_mask(customers.same_dept)


def test_unknown_user_is_masked(org, customers):
    from django.contrib.auth.models import AnonymousUser

    assert masking.for_user(AnonymousUser()).should_mask(customers.own)


def test_one_query_for_policy_and_one_for_memberships(org, customers, django_assert_num_queries):
    rows = [customer_create(actor=org.admin, data={"name": f"客户{i}"}, owner=None) for i in range(20)]
    masking.forget_policy(org.rep)
    with django_assert_num_queries(2):
        rule = masking.for_user(org.rep)
        assert all(rule.should_mask(c) for c in rows)
        assert not rule.should_mask(customers.own)


# ---- 360° page and reveal ------------------------------------------------------------------------------


def test_detail_page_masks_for_rep_on_pool_and_offers_reveal(client, org, customers, contacts):
    client.force_login(org.rep)
    body = client.get(reverse("customers:detail", args=[customers.pool.pk])).content.decode()
    assert "138****8000" in body and "021****1234" in body and "zh***@example.com" in body
    assert MOBILE not in body and "zhang.san@" not in body and "5555 1234" not in body
    assert reverse("customers:contact_reveal", args=[customers.pool.pk, contacts.pool.pk, "mobile"]) in body


def test_detail_page_clear_for_owner_and_write_member_masked_for_read_member(client, org, customers, contacts):
    client.force_login(org.rep)
    body = client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert "138 0013 8000" in body and "zhang.san@example.com" in body and "138****8000" not in body

    team(customers.own, org.rep_west, "write")
    client.force_login(org.rep_west)
    body = client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert "138 0013 8000" in body and "138****8000" not in body

    team(customers.own, org.rep_sh, "read")
    client.force_login(org.rep_sh)
    body = client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert "138****8000" in body and MOBILE not in body


def test_reveal_is_audited_and_returns_the_clear_value(client, org, customers, contacts):
    client.force_login(org.rep)
    url = reverse("customers:contact_reveal", args=[customers.pool.pk, contacts.pool.pk, "mobile"])
    assert client.get(url).status_code == 405
    response = client.post(url, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "138 0013 8000" in body and 'data-testid="revealed-mobile"' in body and "<html" not in body
    entry = AuditLog.objects.get(action=AuditLog.Action.REVEAL)
    assert entry.actor == org.rep and entry.customer_id == customers.pool.pk
    assert entry.entity == "contact" and entry.object_id == str(contacts.pool.pk)
    assert entry.changes == {"fields": ["mobile"], "contact": contacts.pool.pk}
    # It shows on the customer's timeline.
    body = client.get(reverse("customers:detail", args=[customers.pool.pk])).content.decode()
    assert "Revealed".lower() in body.lower()


def test_reveal_refused_for_invisible_customer_or_unknown_field(client, org, customers, contacts):
    client.force_login(org.rep_west)  # sees neither the East rep's customer nor its contacts
    url = reverse("customers:contact_reveal", args=[customers.own.pk, contacts.own.pk, "mobile"])
    assert client.post(url).status_code == 404
    client.force_login(org.rep)
    assert client.post(reverse("customers:contact_reveal",
                               args=[customers.pool.pk, contacts.pool.pk, "wechat"])).status_code == 404
    # A contact of another customer through this customer's URL.
    assert client.post(reverse("customers:contact_reveal",
                               args=[customers.pool.pk, contacts.own.pk, "mobile"])).status_code == 404
    assert not AuditLog.objects.filter(action=AuditLog.Action.REVEAL).exists()


def test_masked_edit_form_keeps_hidden_values(client, org, customers, contacts):
    """A service agent may edit any contact but sees numbers masked: the form never holds them, and
    leaving the inputs empty keeps them."""
    client.force_login(org.agent)
    url = reverse("customers:contact_edit", args=[customers.own.pk, contacts.own.pk])
    body = client.get(url, **HX).content.decode()
    assert MOBILE not in body and "zhang.san@" not in body and "138****8000" in body
    response = client.post(url, {"name": "张三丰", "title": "", "mobile": "", "phone": "", "email": "",
                                 "wechat": "", "birthday": "", "version": contacts.own.version}, **HX)
    assert response.status_code == 200, response.content.decode()
    contacts.own.refresh_from_db()
    assert contacts.own.name == "张三丰" and contacts.own.mobile == "+86" + MOBILE
    assert contacts.own.email == "zhang.san@example.com" and contacts.own.phone == "021-5555 1234"


# ---- list search ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [MOBILE, "8000", "138 0013 8000"])
def test_phone_search_finds_and_shows_the_match_masked(client, org, customers, contacts, q):
    client.force_login(org.rep)
    body = client.get(reverse("customers:list"), {"q": q}).content.decode()
    assert "公海客户" in body and "张三贸易有限公司" in body  # the search itself uses the clear values
    assert "池联系人 138****8000" in body  # the pool customer's contact: masked
    assert "张三 138 0013 8000" in body  # the rep's own customer: clear
    body = body.replace(f'value="{q}"', "").replace(f"?q={q}", "")  # the search box and the language switcher
    assert MOBILE not in body


def test_phone_search_query_count(client, org, customers, django_assert_max_num_queries):
    for i in range(30):
        c = customer_create(actor=org.admin, data={"name": f"客户{i}"}, owner=None)
        contact_create(actor=org.admin, customer=c, data={"name": f"联系人{i}", "mobile": MOBILE})
    client.force_login(org.rep)
    with django_assert_max_num_queries(14):
        body = client.get(reverse("customers:list"), {"q": "8000"}, **HX).content.decode()
    assert body.count('data-testid="phone-match"') == 25


# ---- API --------------------------------------------------------------------------------------------------


def test_api_contacts_masked_per_user(client, org, customers, contacts):
    client.force_login(org.rep)
    data = client.get(f"/api/contacts/{contacts.pool.pk}").json()
    assert data["mobile"] == "138****8000" and data["email"] == "zh***@example.com" and data["masked"] is True
    assert data["phone"] == "021****1234"
    items = client.get(f"/api/customers/{customers.pool.pk}/contacts").json()["items"]
    assert [i["mobile"] for i in items] == ["138****8000"]
    data = client.get(f"/api/contacts/{contacts.own.pk}").json()
    assert data["mobile"] == "+86" + MOBILE and data["masked"] is False

    client.force_login(org.manager)  # mask off for sales managers by default
    assert client.get(f"/api/contacts/{contacts.pool.pk}").json()["mobile"] == "+86" + MOBILE


def test_api_contact_list_query_count(client, org, customers, django_assert_max_num_queries):
    for i in range(20):
        contact_create(actor=org.admin, customer=customers.pool, data={"name": f"联系人{i}", "mobile": MOBILE})
    client.force_login(org.rep)
    with django_assert_max_num_queries(10):
        items = client.get(f"/api/customers/{customers.pool.pk}/contacts").json()["items"]
    assert len(items) == 20 and all(i["masked"] for i in items)


def test_api_reveal(client, org, customers, contacts):
    client.force_login(org.rep)
    response = client.post(f"/api/contacts/{contacts.pool.pk}/reveal")
    assert response.status_code == 200
    assert response.json() == {"mobile": "+86" + MOBILE, "phone": "021-5555 1234", "email": "zhang.san@example.com"}
    entry = AuditLog.objects.get(action=AuditLog.Action.REVEAL)
    assert entry.customer_id == customers.pool.pk and entry.changes["fields"] == ["mobile", "phone", "email"]

    client.force_login(org.rep_west)
    assert client.post(f"/api/contacts/{contacts.own.pk}/reveal").status_code == 404
    assert AuditLog.objects.filter(action=AuditLog.Action.REVEAL).count() == 1


# ---- exports ----------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_contact_export_masked_as_on_screen(client, org, customers, contacts):
    client.force_login(org.analyst)  # exports, masks by default
    rows = _csv(client.get(reverse("customers_io:export", args=["contact", "csv"])))
    header = rows[0]
    mobiles = {r[header.index("Name")]: r[header.index("Mobile")] for r in rows[1:-1]}
    emails = {r[header.index("Name")]: r[header.index("Email")] for r in rows[1:-1]}
    assert mobiles == {"池联系人": "138****8000", "张三": "138****8000"}
    assert set(emails.values()) == {"zh***@example.com"}

    client.force_login(org.manager)  # mask off for sales managers
    rows = _csv(client.get(reverse("customers_io:export", args=["contact", "csv"])))
    assert {r[rows[0].index("Mobile")] for r in rows[1:-1]} == {"'+86" + MOBILE}  # neutralised like any cell starting with +


def test_contact_export_clear_for_write_team_member(client, org, customers, contacts):
    set_policy("marketing", mask_unowned=True)
    team(customers.own, org.marketing, "write")
    client.force_login(org.marketing)
    rows = _csv(client.get("/api/exports/contact.csv"))
    mobiles = {r[rows[0].index("Name")]: r[rows[0].index("Mobile")] for r in rows[1:-1]}
    assert mobiles == {"池联系人": "138****8000", "张三": "'+86" + MOBILE}


# ---- settings page -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "rep", "analyst", "service_manager"])
def test_policy_page_is_for_configure_only(client, org, role):
    client.force_login(getattr(org, role))
    assert client.get(reverse("governance:role_policies")).status_code == 403
    assert client.post(reverse("governance:role_policies"), {}).status_code == 403


def test_policy_page_edits_and_audits(client, org):
    client.force_login(org.admin)
    body = client.get(reverse("governance:role_policies")).content.decode()
    assert 'name="sales_rep-mask_unowned"' in body and reverse("governance:role_policies") in body
    data = {f"{role}-export_daily_rows": "" for role in RolePolicy.objects.values_list("role", flat=True)}
    data.update({"sales_manager-mask_unowned": "on", "sales_manager-export_daily_rows": "1000",
                 "analyst-export_daily_rows": "5,000", "admin-mask_unowned": ""})
    response = client.post(reverse("governance:role_policies"), data)
    assert response.status_code == 302
    manager = RolePolicy.objects.get(role="sales_manager")
    assert manager.mask_unowned and manager.export_daily_rows == 1000
    assert RolePolicy.objects.get(role="analyst").export_daily_rows == 5000
    assert RolePolicy.objects.get(role="sales_rep").export_daily_rows is None
    entry = AuditLog.objects.filter(entity="rolepolicy", object_repr="Sales manager").latest("id")
    assert entry.changes["mask_unowned"] == [False, True] and entry.actor == org.admin


def test_policy_page_rejects_bad_numbers(client, org):
    client.force_login(org.admin)
    before = list(RolePolicy.objects.order_by("role").values_list("export_daily_rows", flat=True))
    response = client.post(reverse("governance:role_policies"), {"analyst-export_daily_rows": "-5",
                                                                 "marketing-export_daily_rows": "10"})
    assert response.status_code == 422
    assert "Enter 0 or more rows" in response.content.decode()
    assert list(RolePolicy.objects.order_by("role").values_list("export_daily_rows", flat=True)) == before


def test_policy_service_validation(org):
    from django.core.exceptions import ValidationError

    from guanxi.governance.services_policies import role_policies_update

    with pytest.raises(ValidationError) as exc:
        role_policies_update(actor=org.admin, data={"analyst": {"export_daily_rows": -1}, "nobody": {}})
    assert set(exc.value.message_dict) == {"analyst.export_daily_rows", "nobody"}
    from guanxi.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        role_policies_update(actor=org.manager, data={"analyst": {"export_daily_rows": 1}})
