from __future__ import annotations

from django.urls import reverse

from guanxi.customers.models import CustomFieldDefinition
from guanxi.governance.models import AuditLog


def _post(client, url, **data):
    base = {"entity": "customer", "label": "Level", "key": "level", "field_type": "text", "max_length": 50,
            "position": 1, "choices_text": ""}
    base.update(data)
    return client.post(url, {k: v for k, v in base.items() if v is not None})


def test_create_choice_field_audited(client, org):
    client.force_login(org.admin)
    url = reverse("governance:custom_field_create", args=["customer"])
    assert client.get(url).status_code == 200
    response = _post(client, url, field_type="choice", choices_text="VIP\n 普通 \n\nVIP\n", show_in_list="on")
    assert response.status_code == 302
    field = CustomFieldDefinition.objects.get(entity="customer", key="level")
    assert field.choices == ["VIP", "普通"] and field.show_in_list and field.is_active
    assert AuditLog.objects.filter(entity="customfielddefinition", object_id=str(field.pk), action="create",
                                   actor=org.admin).exists()
    html = client.get(reverse("governance:custom_fields", args=["customer"])).content.decode()
    assert "Level" in html and "level" in html


def test_errors_are_named_per_field(client, org):
    client.force_login(org.admin)
    url = reverse("governance:custom_field_create", args=["customer"])
    response = _post(client, url, key="Bad Key", field_type="choice", choices_text="  ", label="")
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"key", "choices_text", "label"} <= set(errors)
    assert CustomFieldDefinition.objects.count() == 0

    _post(client, url)
    response = _post(client, url, label="Again")
    assert response.status_code == 422
    assert response.context["form"].errors  # duplicate key on the same record type
    assert CustomFieldDefinition.objects.count() == 1
    # The same key on another record type is fine.
    assert _post(client, reverse("governance:custom_field_create", args=["contact"]), entity="contact").status_code == 302


def test_edit_keeps_key_and_deactivate(client, org):
    client.force_login(org.admin)
    _post(client, reverse("governance:custom_field_create", args=["order"]), entity="order", key="po_number",
          label="PO number")
    field = CustomFieldDefinition.objects.get(key="po_number")
    url = reverse("governance:custom_field_edit", args=[field.pk])
    response = _post(client, url, entity="contact", key="hacked", label="Purchase order", required="on",
                     max_length=30)
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.entity, field.label, field.required, field.max_length) == (
        "po_number", "order", "Purchase order", True, 30)
    assert AuditLog.objects.get(entity="customfielddefinition", action="update").changes["label"] == [
        "PO number", "Purchase order"]

    client.post(reverse("governance:custom_field_toggle", args=[field.pk]))
    field.refresh_from_db()
    assert not field.is_active
    client.post(reverse("governance:custom_field_toggle", args=[field.pk]))
    field.refresh_from_db()
    assert field.is_active


def test_manager_cannot_configure(client, org):
    client.force_login(org.manager)
    assert client.get(reverse("governance:custom_fields", args=["customer"])).status_code == 403
    field = CustomFieldDefinition.objects.create(entity="customer", key="x", label="X")
    assert client.post(reverse("governance:custom_field_toggle", args=[field.pk])).status_code == 403
    assert client.post(reverse("governance:custom_field_edit", args=[field.pk]), {"label": "Y"}).status_code == 403
