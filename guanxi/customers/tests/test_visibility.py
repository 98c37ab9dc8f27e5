"""Each role against own / same-department / other-department / pool customers."""

from __future__ import annotations

import pytest

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer, Interaction, Order
from guanxi.customers.selectors.customers import customer_get, customer_list
from guanxi.customers.services.activity import interaction_create
from guanxi.customers.services.orders import order_create

# (role fixture, visible names, editable names)
MATRIX = [
    ("admin", {"own", "same_dept", "other_dept", "pool"}, {"own", "same_dept", "other_dept", "pool"}),
    ("manager", {"own", "same_dept", "pool"}, {"own", "same_dept", "pool"}),
    ("rep", {"own", "pool"}, {"own"}),
    ("rep_west", {"other_dept", "pool"}, {"other_dept"}),
    ("service_manager", {"own", "same_dept", "other_dept", "pool"}, {"own", "same_dept", "other_dept", "pool"}),
    ("agent", {"own", "same_dept", "other_dept", "pool"}, {"own", "same_dept", "other_dept", "pool"}),
    ("marketing", {"own", "same_dept", "other_dept", "pool"}, set()),
    ("analyst", {"own", "same_dept", "other_dept", "pool"}, set()),
]
NAMES = ["own", "same_dept", "other_dept", "pool"]


@pytest.mark.parametrize(("who", "visible", "editable"), MATRIX)
def test_each_role_sees_and_changes_exactly_its_scope(org, customers, who, visible, editable):
    user = getattr(org, who)
    by_name = {name: getattr(customers, name) for name in NAMES}
    seen = set(customer_list(user=user).values_list("pk", flat=True))
    assert seen == {by_name[n].pk for n in visible}
    changeable = set(Customer.objects.editable_by(user).values_list("pk", flat=True))
    assert changeable == {by_name[n].pk for n in editable}
    for name, customer in by_name.items():
        if name not in visible:
            with pytest.raises(NotFoundError):
                customer_get(user=user, pk=customer.pk)
        elif name not in editable:
            with pytest.raises(PermissionDeniedError):
                customer_get(user=user, pk=customer.pk, for_change=True)
        else:
            assert customer_get(user=user, pk=customer.pk, for_change=True) == customer


def test_children_follow_their_customer(org, customers):
    interaction_create(actor=org.rep_west, customer=customers.other_dept, data={"summary": "call"})
    order_create(actor=org.rep_west, customer=customers.other_dept, data={"ordered_at": "2024-01-01T10:00:00+08:00",
                                                                          "total_amount": "10"})
    assert Interaction.objects.visible_to(org.rep).count() == 0
    assert Order.objects.visible_to(org.rep).count() == 0
    assert Interaction.objects.visible_to(org.rep_west).count() == 1
    assert Order.objects.visible_to(org.manager).count() == 0
    assert Order.objects.visible_to(org.admin).count() == 1


def test_search_does_not_leak(org, customers):
    from guanxi.customers.filters import CustomerFilter

    f = CustomerFilter(data={"q": "wangwu"})
    assert f.is_valid()
    assert list(customer_list(user=org.rep, filters=f)) == []
    assert list(customer_list(user=org.rep_west, filters=f)) == [customers.other_dept]


def test_departed_employee_sees_nothing(org, customers):
    employee = org.rep.employee
    employee.status = "departed"
    employee.save()
    org.rep.refresh_from_db()
    assert customer_list(user=org.rep).count() == 0
