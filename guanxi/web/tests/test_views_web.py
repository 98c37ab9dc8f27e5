"""Login, logout and the home page."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from guanxi.customers.services.activity import interaction_create, task_create


def test_login_page_has_language_switcher(client, db):
    body = client.get(reverse("login")).content.decode()
    assert 'name="username"' in body and 'data-testid="language-switcher"' in body


def test_login_logout(client, org):
    response = client.post(reverse("login"), {"username": "rep", "password": "pw-Guanxi-2024"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_login_wrong_password(client, org):
    response = client.post(reverse("login"), {"username": "rep", "password": "nope"})
    assert response.status_code == 200 and "alert-danger" in response.content.decode()


def test_home(client, org, customers, django_assert_max_num_queries):
    interaction_create(actor=org.rep, customer=customers.own, data={"summary": "电话回访"})
    task_create(actor=org.rep, data={"title": "t", "due_at": timezone.now()})
    client.force_login(org.rep)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "电话回访" in body
    assert 'data-testid="count-customers">1<' in body
    assert reverse("customers:create") in body


def test_home_read_only_has_no_new_button(client, org):
    client.force_login(org.analyst)
    assert reverse("customers:create") not in client.get(reverse("home")).content.decode()


def test_favicon_linked_and_served(client, org):
    client.force_login(org.rep)
    body = client.get(reverse("home")).content.decode()
    assert 'rel="icon"' in body and "web/favicon.svg" in body
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url.endswith("web/favicon.svg")
    assert 'id="page-alerts"' in body and reverse("customers:order_list") in body
