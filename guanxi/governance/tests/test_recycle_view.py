from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Contact, Customer, Task
from guanxi.customers.services.activity import task_create, task_delete
from guanxi.customers.services.customers import contact_create, contact_delete, customer_delete
from guanxi.governance.models import AuditLog


def test_bin_lists_deleted_with_who_and_days_left(client, org, customers):
    customer_delete(actor=org.rep, customer=customers.own)
    client.force_login(org.manager)
    response = client.get(reverse("governance:recycle_bin", args=["customer"]))
    rows = response.context["rows"]
    assert [r.pk for r in rows] == [customers.own.pk]
    assert rows[0].deleted_by == org.rep and rows[0].days_left == 30
    assert "张三贸易有限公司" in response.content.decode()


def test_restore_is_audited_with_message(client, org, customers):
    customer_delete(actor=org.rep, customer=customers.own)
    client.force_login(org.manager)
    response = client.post(reverse("governance:recycle_restore", args=["customer", customers.own.pk]), follow=True)
    assert response.status_code == 200
    assert "Restored" in response.content.decode()
    customers.own.refresh_from_db()
    assert customers.own.deleted_at is None
    assert AuditLog.objects.filter(entity="customer", object_id=str(customers.own.pk), action="restore",
                                   actor=org.manager).exists()


def test_records_past_the_window_are_not_listed_nor_restorable(client, org, customers):
    customer_delete(actor=org.rep, customer=customers.own)
    Customer._base_manager.filter(pk=customers.own.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    client.force_login(org.admin)
    assert client.get(reverse("governance:recycle_bin", args=["customer"])).context["rows"] == []
    response = client.post(reverse("governance:recycle_restore", args=["customer", customers.own.pk]))
    assert response.status_code == 404
    assert Customer._base_manager.get(pk=customers.own.pk).deleted_at is not None


def test_manager_sees_only_their_departments_deletions(client, org, customers):
    customer_delete(actor=org.admin, customer=customers.other_dept)
    client.force_login(org.manager)
    assert client.get(reverse("governance:recycle_bin", args=["customer"])).context["rows"] == []
    response = client.post(reverse("governance:recycle_restore", args=["customer", customers.other_dept.pk]))
    assert response.status_code == 404


def test_rep_cannot_open_or_restore(client, org, customers):
    customer_delete(actor=org.rep, customer=customers.own)
    client.force_login(org.rep)
    assert client.get(reverse("governance:recycle_bin", args=["customer"])).status_code == 403
    assert client.post(reverse("governance:recycle_restore", args=["customer", customers.own.pk])).status_code == 403


def test_contact_tab_and_child_of_deleted_customer(client, org, customers):
    contact = contact_create(actor=org.rep, customer=customers.own, data={"name": "李雷"})
    contact_delete(actor=org.rep, contact=contact)
    client.force_login(org.admin)
    rows = client.get(reverse("governance:recycle_bin", args=["contact"])).context["rows"]
    assert [r.pk for r in rows] == [contact.pk] and not rows[0].parent_deleted

    # While its customer is in the bin too, the contact is hidden and cannot be restored on its own.
    customer_delete(actor=org.rep, customer=customers.own)
    assert client.get(reverse("governance:recycle_bin", args=["contact"])).context["rows"] == []
    assert client.post(reverse("governance:recycle_restore", args=["contact", contact.pk])).status_code == 404
    assert Contact._base_manager.get(pk=contact.pk).deleted_at is not None
    client.post(reverse("governance:recycle_restore", args=["customer", customers.own.pk]))
    client.post(reverse("governance:recycle_restore", args=["contact", contact.pk]))
    assert Contact.objects.get(pk=contact.pk).deleted_at is None


def test_task_tab_restore(client, org, customers):
    task = task_create(actor=org.rep, data={"title": "回访", "customer": customers.own,
                                            "due_at": timezone.now() + timedelta(days=1)})
    task_delete(actor=org.rep, task=task)
    client.force_login(org.admin)
    rows = client.get(reverse("governance:recycle_bin", args=["task"])).context["rows"]
    assert [r.pk for r in rows] == [task.pk]
    client.post(reverse("governance:recycle_restore", args=["task", task.pk]))
    assert Task.objects.get(pk=task.pk).deleted_at is None
    assert AuditLog.objects.filter(entity="task", object_id=str(task.pk), action="restore").exists()


def test_unknown_tab_is_404(client, org):
    client.force_login(org.admin)
    assert client.get(reverse("governance:recycle_bin", args=["planet"])).status_code == 404
