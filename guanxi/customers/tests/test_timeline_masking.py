"""号码脱敏 on the timeline: a contact's changed mobile, phone and email are shown as the contacts card shows
them (governance.masking) — in clear to the owner, masked to a rep who sees the customer through the pool —
on the 360° page and in the API timeline."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from guanxi.customers.services.customers import contact_create, contact_update

OLD = ("13800138000", "010-88886666", "zhangsan@example.com")
NEW = ("13900139000", "021-66668888", "lisi@example.com")
CLEAR = ("13800138000", "13900139000", "88886666", "66668888", "zhangsan@", "lisi@")


def _contact_with_history(actor, customer):
    contact = contact_create(actor=actor, customer=customer,
                             data={"name": "张三", "mobile": OLD[0], "phone": OLD[1], "email": OLD[2]})
    return contact_update(actor=actor, contact=contact, version=contact.version,
                          data={"mobile": NEW[0], "phone": NEW[1], "email": NEW[2]})


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(user, customer) -> str:
    return _client(user).get(reverse("customers:detail", args=[customer.pk])).content.decode()


def _api_changes(user, customer) -> str:
    r = _client(user).get(f"/api/customers/{customer.pk}/timeline", {"kinds": "change"})
    assert r.status_code == 200, r.content
    return str([i["data"]["changes"] for i in r.json()["items"] if i["data"]["entity"] == "contact"])


def test_owner_sees_contact_changes_in_clear(org, customers):
    _contact_with_history(org.rep, customers.own)
    body = _page(org.rep, customers.own)
    assert "13800138000" in body and "13900139000" in body and "lisi@example.com" in body
    api = _api_changes(org.rep, customers.own)
    assert "+8613800138000" in api and "+8613900139000" in api and "zhangsan@example.com" in api


def test_pool_viewing_rep_sees_contact_changes_masked(org, customers):
    _contact_with_history(org.admin, customers.pool)
    body = _page(org.rep, customers.pool)
    assert "tl-changes" in body and "139****9000" in body
    assert not any(value in body for value in CLEAR), "a contact number is shown in clear on the timeline"
    api = _api_changes(org.rep, customers.pool)
    assert "139****9000" in api and "138****8000" in api  # the update and the creation
    assert not any(value in api for value in CLEAR), "a contact number is sent in clear by the API timeline"


def test_read_only_role_sees_them_masked_and_other_changes_in_clear(org, customers):
    _contact_with_history(org.rep, customers.own)
    contact_update(actor=org.rep, contact=customers.own.contacts.get(), version=None, data={"title": "经理"})
    body = _page(org.analyst, customers.own)
    assert not any(value in body for value in CLEAR)
    assert "经理" in body
