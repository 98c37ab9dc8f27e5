"""How audit "change" rows read on the customer's timeline: labels for any installed model, foreign keys
by name (batch-fetched), ISO datetimes in local time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from guanxi.customers.views.activity import change_model, describe_changes, related_names
from guanxi.governance.models import AuditLog

HX = {"HTTP_HX_REQUEST": "true"}


def change(customer, entity: str, changes: dict, object_id: str | None = None) -> AuditLog:
    return AuditLog.objects.create(actor=None, action=AuditLog.Action.UPDATE, entity=entity,
                                   object_id=object_id or str(customer.pk), object_repr=str(customer),
                                   customer_id=customer.pk, changes=changes)


def test_change_model_finds_models_of_any_installed_app(db):
    assert change_model("customer")._meta.label == "customers.Customer"
    assert change_model("department")._meta.label == "governance.Department"
    assert change_model("pool-recycling") is None


def test_foreign_keys_by_name_and_datetimes_in_local_time(org, customers):
    org.rep_sh.first_name, org.rep_sh.last_name = "伟", "张"
    org.rep_sh.save()
    entry = change(customers.own, "customer", {
        "owner_id": [org.rep.pk, org.rep_sh.pk],
        "department_id": [org.east.pk, org.shanghai.pk],
        "claimed_at": [None, "2025-03-01T02:30:00+00:00"],
        "lifecycle": ["lead", "customer"],
    })
    names = related_names([entry])
    rows = {label: (before, after) for label, before, after in describe_changes(entry, names)}
    assert rows["owner"] == ("rep", "张伟")
    assert rows["department"] == ("East", "Shanghai")
    assert rows["owned since"] == ("—", "2025-03-01 10:30")  # Asia/Shanghai
    # Without names the ids stay as they are (nothing is fetched).
    plain = {label: after for label, _b, after in describe_changes(entry)}
    assert plain["owner"] == str(org.rep_sh.pk)


def test_unknown_ids_and_non_id_values_are_shown_as_they_are(org, customers):
    entry = change(customers.own, "customer", {"owner_id": [999999, None], "notes": ["a", "b"],
                                               "tags": [[1, 2], [3]]})
    rows = {label: (before, after) for label, before, after in describe_changes(entry, related_names([entry]))}
    assert rows["owner"] == ("999999", "—")
    assert rows["notes"] == ("a", "b")


@pytest.mark.parametrize("entries", [1, 15])
def test_timeline_names_cost_one_query_per_related_model(client, org, customers, entries,
                                                         django_assert_max_num_queries):
    for i in range(entries):
        change(customers.own, "customer", {"owner_id": [org.rep.pk, org.manager.pk],
                                           "department_id": [org.east.pk, org.west.pk], "notes": [str(i), ""]})
    client.force_login(org.rep)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customers:timeline", args=[customers.own.pk]), **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "manager" in body and "West" in body
