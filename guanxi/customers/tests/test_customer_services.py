from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import ConflictError
from guanxi.customers.filters import CustomerFilter
from guanxi.customers.models import Contact, Customer, CustomFieldDefinition, Task
from guanxi.customers.selectors.customers import customer_list
from guanxi.customers.services.activity import interaction_create
from guanxi.customers.services.customers import (
    contact_create,
    customer_create,
    customer_delete,
    customer_restore,
    customer_update,
)
from guanxi.customers.services.recycle import recycle_bin_purge
from guanxi.governance.models import AuditLog


def search(user, text):
    f = CustomerFilter(data={"q": text})
    assert f.is_valid(), f.errors
    return list(customer_list(user=user, filters=f))


def test_create_records_audit_with_fields(org):
    c = customer_create(actor=org.rep, data={"name": "张三", "kind": "individual"})
    entry = AuditLog.objects.get(entity="customer", object_id=str(c.pk))
    assert entry.action == "create" and entry.actor == org.rep and entry.customer_id == c.pk
    assert entry.changes["name"] == [None, "张三"]
    assert c.owner == org.rep and c.department == org.east


def test_search_by_pinyin_initials_and_phone(org):
    c = customer_create(actor=org.rep, data={"name": "张三", "kind": "individual"})
    contact_create(actor=org.rep, customer=c, data={"name": "张三", "mobile": "138 0013 8000"})
    assert search(org.rep, "zhangsan") == [c]
    assert search(org.rep, "zs") == [c]
    assert search(org.rep, "张") == [c]
    assert search(org.rep, "8000") == [c]
    assert search(org.rep, "13800138000") == [c]
    assert search(org.rep, "lisi") == []


def test_invalid_fields_are_named(org):
    with pytest.raises(ValidationError) as exc:
        customer_create(actor=org.rep, data={"name": "X" * 201, "credit_code": "91110000600037341A"})
    assert {"name", "credit_code"} <= set(exc.value.message_dict)
    assert Customer.objects.count() == 0
    assert AuditLog.objects.filter(entity="customer").count() == 0


def test_valid_credit_code_accepted(org):
    c = customer_create(actor=org.rep, data={"name": "某公司", "credit_code": "91110000600037341L"})
    assert c.credit_code == "91110000600037341L"


def test_mobile_is_stored_e164_and_invalid_refused(org):
    c = customer_create(actor=org.rep, data={"name": "A"})
    contact = contact_create(actor=org.rep, customer=c, data={"name": "B", "mobile": "13800138000"})
    assert contact.mobile == "+8613800138000" and contact.is_primary
    with pytest.raises(ValidationError) as exc:
        contact_create(actor=org.rep, customer=c, data={"name": "C", "mobile": "12345"})
    assert "mobile" in exc.value.message_dict
    assert Contact.objects.count() == 1


def test_stale_version_is_refused_and_nothing_overwritten(org):
    c = customer_create(actor=org.rep, data={"name": "Old"})
    customer_update(actor=org.rep, customer=c, data={"name": "First"}, version=1)
    with pytest.raises(ConflictError):
        customer_update(actor=org.rep, customer=c, data={"name": "Second"}, version=1)
    c.refresh_from_db()
    assert c.name == "First" and c.version == 2


def test_update_audits_field_changes(org):
    c = customer_create(actor=org.rep, data={"name": "Old", "city": "杭州"})
    customer_update(actor=org.rep, customer=c, data={"name": "New", "city": "杭州"}, version=1)
    entry = AuditLog.objects.filter(action="update").get()
    assert entry.changes == {"name": ["Old", "New"]}


def test_soft_delete_restore_and_purge(org, settings):
    c = customer_create(actor=org.rep, data={"name": "Gone"})
    customer_delete(actor=org.rep, customer=c)
    assert customer_list(user=org.admin).count() == 0
    customer_restore(actor=org.admin, customer=Customer.objects.get(pk=c.pk))
    assert customer_list(user=org.admin).count() == 1
    customer_delete(actor=org.rep, customer=c)
    settings.GUANXI_RECYCLE_DAYS = 0
    assert recycle_bin_purge()["customer"] == 1
    assert not Customer.objects.filter(pk=c.pk).exists()
    assert list(AuditLog.objects.filter(object_id=str(c.pk), entity="customer").values_list("action", flat=True)) == [
        "purge", "delete", "restore", "delete", "create"]


def test_follow_up_with_next_date_creates_task_and_updates_last_contact(org):
    from datetime import timedelta

    from django.utils import timezone

    c = customer_create(actor=org.rep, data={"name": "A"})
    now = timezone.now()
    interaction_create(actor=org.rep, customer=c, data={"summary": "Called", "occurred_at": now,
                                                          "next_follow_up_at": now + timedelta(days=3)})
    task = Task.objects.get()
    assert task.assignee == org.rep and task.customer == c
    c.refresh_from_db()
    assert c.last_interaction_at == now


def test_custom_fields_validated(org):
    CustomFieldDefinition.objects.create(entity="customer", key="level", label="Level", field_type="choice",
                                         choices=["A", "B"])
    CustomFieldDefinition.objects.create(entity="customer", key="staff", label="Staff", field_type="number")
    with pytest.raises(ValidationError) as exc:
        customer_create(actor=org.rep, data={"name": "A", "custom": {"level": "Z", "staff": "many", "nope": 1}})
    assert set(exc.value.message_dict) == {"custom.level", "custom.staff", "custom.nope"}
    c = customer_create(actor=org.rep, data={"name": "A", "custom": {"level": "A", "staff": "12"}})
    assert c.custom == {"level": "A", "staff": 12}


def test_rep_cannot_give_customer_to_other_department(org):
    with pytest.raises(ValidationError) as exc:
        customer_create(actor=org.rep, data={"name": "A"}, owner=org.rep_west)
    assert "owner" in exc.value.message_dict
