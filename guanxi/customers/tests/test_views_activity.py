"""View tests for contacts (modal forms) and my tasks."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Contact, Task
from guanxi.customers.services.activity import task_complete, task_create
from guanxi.customers.services.customers import contact_create, contact_update

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.rep)
    return client


def test_contact_add_and_mobile_validation(rep_client, customers):
    url = reverse("customers:contact_create", args=[customers.own.pk])
    assert 'id="contact-form"' in rep_client.get(url, **HX).content.decode()
    bad = rep_client.post(url, {"name": "张三", "mobile": "12345"}, **HX)
    assert bad.status_code == 422
    assert 'data-field="mobile"' in bad.content.decode() and "Enter a valid phone number" in bad.content.decode()
    ok = rep_client.post(url, {"name": "张三", "mobile": "138 0013 8000", "email": "z@example.com"}, **HX)
    assert ok.status_code == 200 and ok["HX-Retarget"] == "#contacts-card"
    contact = Contact.objects.get(customer=customers.own)
    assert contact.mobile == "+8613800138000" and contact.is_primary


def test_contact_edit_conflict(rep_client, org, customers):
    contact = contact_create(actor=org.rep, customer=customers.own, data={"name": "王五"})
    url = reverse("customers:contact_edit", args=[customers.own.pk, contact.pk])
    contact_update(actor=org.rep, contact=contact, data={"title": "经理"}, version=None)
    response = rep_client.post(url, {"name": "王五五", "version": 1}, **HX)
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    ok = rep_client.post(url, {"name": "王五五", "title": "总监", "version": 2}, **HX)
    assert ok.status_code == 200
    contact.refresh_from_db()
    assert contact.name == "王五五"


def test_contact_of_other_customer_404(rep_client, org, customers):
    other = contact_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "外人"})
    assert rep_client.get(reverse("customers:contact_edit", args=[customers.own.pk, other.pk])).status_code == 404
    assert rep_client.post(reverse("customers:contact_create", args=[customers.other_dept.pk]),
                           {"name": "x"}).status_code == 404


def test_analyst_cannot_add_contact(client, org, customers):
    client.force_login(org.analyst)
    url = reverse("customers:contact_create", args=[customers.own.pk])
    assert client.post(url, {"name": "x"}).status_code == 403


def _tasks(org, customers):
    now = timezone.now()
    task_create(actor=org.rep, data={"title": "今天的", "due_at": now, "customer": customers.own})
    task_create(actor=org.rep, data={"title": "过期的", "due_at": now - datetime.timedelta(days=3)})
    task_create(actor=org.rep, data={"title": "以后的", "due_at": now + datetime.timedelta(days=3)})
    done = task_create(actor=org.rep, data={"title": "做完的", "due_at": now - datetime.timedelta(days=1)})
    task_complete(actor=org.rep, task=done)
    task_create(actor=org.rep_west, data={"title": "别人的", "due_at": now})


def test_my_tasks_tabs(rep_client, org, customers):
    _tasks(org, customers)
    url = reverse("customers:my_tasks")
    page = rep_client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "今天的" in body and "别人的" not in body and "过期的" not in body
    assert "过期的" in rep_client.get(url, {"tab": "overdue"}, **HX).content.decode()
    assert "以后的" in rep_client.get(url, {"tab": "upcoming"}).content.decode()
    done = rep_client.get(url, {"tab": "done"}, **HX).content.decode()
    assert "做完的" in done and "<html" not in done


def test_task_toggle(rep_client, org, customers):
    _tasks(org, customers)
    task = Task.objects.get(title="今天的")
    url = reverse("customers:task_toggle", args=[task.pk])
    response = rep_client.post(url, {"done": "1", "version": task.version}, **HX)
    assert response.status_code == 200 and "Reopen" in response.content.decode()
    task.refresh_from_db()
    assert task.done_at is not None
    stale = rep_client.post(url, {"done": "0", "version": 1}, **HX)
    assert stale.status_code == 409
    response = rep_client.post(url, {"done": "0", "version": task.version}, **HX)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.done_at is None


def test_task_toggle_other_users_task_404(rep_client, org, customers):
    _tasks(org, customers)
    task = Task.objects.get(title="别人的")
    assert rep_client.post(reverse("customers:task_toggle", args=[task.pk]), {"done": "1"}).status_code == 404


def test_my_tasks_requires_login(client, db):
    response = client.get(reverse("customers:my_tasks"))
    assert response.status_code == 302 and "/login/" in response.url


def test_logged_follow_up_refreshes_the_profiles_last_follow_up(rep_client, customers):
    url = reverse("customers:interaction_create", args=[customers.own.pk])
    response = rep_client.post(url, {"summary": "电话回访", "channel": "phone", "direction": "outbound"}, **HX)
    assert response.status_code == 200
    body = response.content.decode()
    # The profile card's "Last follow-up" is swapped out of band with the new value.
    assert 'id="last-follow-up" hx-swap-oob="true"' in body
    assert "—" not in body.split('id="last-follow-up"', 1)[1].split("</dd>", 1)[0]
