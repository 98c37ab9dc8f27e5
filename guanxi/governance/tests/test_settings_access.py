"""Every settings page as an allowed role (200) and as denied roles (403); the Settings menu per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

PAGES = {
    "governance:audit": {"admin"},
    "governance:recycle_bin_home": {"admin", "manager"},
    "governance:custom_fields_home": {"admin"},
    "governance:people": {"admin"},
    "governance:person_create": {"admin"},
    "governance:departments": {"admin"},
    "governance:department_create": {"admin"},
    "governance:tokens": {"admin", "manager", "rep", "agent", "marketing", "analyst", "service_manager"},
}
ROLES = ["admin", "manager", "rep", "service_manager", "agent", "marketing", "analyst"]


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_access_per_role(client, org, name, role):
    client.force_login(getattr(org, role))
    response = client.get(reverse(name))
    assert response.status_code == (200 if role in PAGES[name] else 403), (name, role)


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("governance:people"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_settings_menu_shows_only_allowed_links(client, org):
    client.force_login(org.admin)
    html = client.get(reverse("governance:tokens")).content.decode()
    for name in ("audit", "recycle_bin_home", "people", "departments", "custom_fields_home"):
        assert reverse(f"governance:{name}") in html

    client.force_login(org.manager)
    html = client.get(reverse("governance:tokens")).content.decode()
    assert reverse("governance:recycle_bin_home") in html
    for name in ("audit", "people", "departments", "custom_fields_home"):
        assert reverse(f"governance:{name}") not in html

    client.force_login(org.rep)
    html = client.get(reverse("governance:tokens")).content.decode()
    assert reverse("governance:tokens") in html
    for name in ("audit", "recycle_bin_home", "people"):
        assert reverse(f"governance:{name}") not in html


def test_denied_writes_are_403(client, org):
    client.force_login(org.rep)
    assert client.post(reverse("governance:person_create"), {"username": "x"}).status_code == 403
    assert client.post(reverse("governance:department_create"), {"name": "x"}).status_code == 403
    assert client.post(reverse("governance:custom_field_create", args=["customer"]), {}).status_code == 403
    assert client.post(reverse("governance:recycle_restore", args=["customer", 1])).status_code == 403
