"""People and departments: services (validated, audited) and their pages; the departed flow end to end."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from guanxi.core.errors import ConflictError
from guanxi.customers.services.customers import customer_create
from guanxi.governance.models import ApiToken, AuditLog, Department, Employee, Role
from guanxi.governance.services import api_token_authenticate, api_token_create
from guanxi.governance.services_people import (
    department_create,
    department_update,
    employee_depart,
    employee_hire,
    employee_update,
)

PASSWORD = "pw-Guanxi-2024"


# ---------------------------------------------------------------- services


def test_hire_creates_login_and_profile_audited(org):
    e = employee_hire(actor=org.admin, username="lisi", password="Str0ng-pass-99", name="李四", email="li@example.com",
                      role=Role.SALES_REP, department=org.west, manager=org.manager.employee, scope="department")
    assert e.user.check_password("Str0ng-pass-99") and e.user.first_name == "李四"
    assert e.scope == "department" and e.manager == org.manager.employee
    entry = AuditLog.objects.get(entity="employee", object_id=str(e.pk), action="create")
    assert entry.actor == org.admin and entry.changes["role"] == [None, "sales_rep"]
    assert entry.changes["user.username"] == [None, "lisi"]


def test_hire_errors_are_named_and_nothing_is_written(org):
    users_before = Employee.objects.count()
    with pytest.raises(ValidationError) as exc:
        employee_hire(actor=org.admin, username="REP", password="123", role="boss", scope="galaxy")
    errors = exc.value.message_dict
    assert {"username", "password", "role", "scope"} <= set(errors)
    assert Employee.objects.count() == users_before


def test_update_role_department_scope_audited(org):
    e = org.rep.employee
    employee_update(actor=org.admin, employee=e, data={"role": Role.SALES_MANAGER, "department": org.west,
                                                       "scope": "all", "first_name": "小王"})
    e.refresh_from_db()
    org.rep.refresh_from_db()
    assert (e.role, e.department, e.scope, org.rep.first_name) == ("sales_manager", org.west, "all", "小王")
    entry = AuditLog.objects.filter(entity="employee", object_id=str(e.pk), action="update").get()
    assert entry.changes["role"] == ["sales_rep", "sales_manager"]
    assert entry.changes["department_id"] == [org.east.pk, org.west.pk]
    assert entry.changes["user.first_name"] == ["rep", "小王"]


def test_manager_cycle_refused(org):
    employee_update(actor=org.admin, employee=org.rep.employee, data={"manager": org.manager.employee})
    with pytest.raises(ValidationError) as exc:
        employee_update(actor=org.admin, employee=org.manager.employee, data={"manager": org.rep.employee})
    assert "manager" in exc.value.message_dict


def test_depart_deactivates_login_revokes_tokens_and_audits(org):
    token, key = api_token_create(actor=org.rep, name="ERP")
    assert api_token_authenticate(key) == org.rep
    employee_depart(actor=org.admin, employee=org.rep.employee)
    org.rep.refresh_from_db()
    e = org.rep.employee
    e.refresh_from_db()
    assert e.status == "departed" and e.departed_at is not None and not org.rep.is_active
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(key) is None
    entry = AuditLog.objects.get(entity="employee", object_id=str(e.pk), action="update")
    assert entry.actor == org.admin and entry.changes["status"] == ["active", "departed"]
    assert entry.changes["user.is_active"] == [True, False] and entry.changes["api_tokens_revoked"] == [0, 1]
    assert AuditLog.objects.filter(entity="apitoken", object_id=str(token.pk), action="delete").exists()
    with pytest.raises(ConflictError):
        employee_depart(actor=org.admin, employee=e)


def test_cannot_depart_yourself(org):
    with pytest.raises(ValidationError):
        employee_depart(actor=org.admin, employee=org.admin.employee)
    assert org.admin.employee.status == "active"


def test_departments_create_rename_move_and_no_cycles(org):
    north = department_create(actor=org.admin, name="  North ", parent=org.sales)
    assert north.name == "North" and north.parent == org.sales
    department_update(actor=org.admin, department=north, name="North China", parent=None)
    north.refresh_from_db()
    assert north.name == "North China" and north.parent is None
    assert AuditLog.objects.filter(entity="department", object_id=str(north.pk)).count() == 2
    with pytest.raises(ValidationError) as exc:
        department_update(actor=org.admin, department=org.sales, name="Sales", parent=org.shanghai)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        department_update(actor=org.admin, department=org.sales, name="Sales", parent=org.sales)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        department_create(actor=org.admin, name="   ")
    assert "name" in exc.value.message_dict


# ---------------------------------------------------------------- pages


def test_people_list_shows_owned_customers(client, org, customers):
    client.force_login(org.admin)
    response = client.get(reverse("governance:people"))
    rows = {e.user.username: e for e in response.context["rows"]}
    assert rows["rep"].customer_count == 1 and rows["agent"].customer_count == 0
    html = client.get(reverse("governance:people"), {"q": "rep_w"}, headers={"HX-Request": "true"}).content.decode()
    assert "rep_west" in html and "svc_manager" not in html and "<html" not in html


def test_people_list_query_count_does_not_grow(client, org, django_assert_max_num_queries):
    client.force_login(org.admin)
    for i in range(10):
        employee_hire(actor=org.admin, username=f"u{i}", password=PASSWORD, department=org.east,
                      manager=org.manager.employee)
    with django_assert_max_num_queries(10):
        client.get(reverse("governance:people"))


def test_create_employee_page(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("governance:person_create"), {
        "username": "wangwu", "name": "王五", "email": "w@example.com", "password": PASSWORD,
        "role": "service_agent", "department": org.service.pk, "manager": org.service_manager.employee.pk,
    })
    assert response.status_code == 302
    e = Employee.objects.get(user__username="wangwu")
    assert e.role == "service_agent" and e.department == org.service and e.user.first_name == "王五"
    assert Client().login(username="wangwu", password=PASSWORD)


def test_create_employee_errors_per_field(client, org):
    client.force_login(org.admin)
    response = client.post(reverse("governance:person_create"), {
        "username": "rep", "password": "123", "role": "boss", "email": "not-an-email",
    })
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"role", "email"} <= set(errors)
    # With the form-level errors fixed, the service's errors land on their fields too.
    response = client.post(reverse("governance:person_create"), {"username": "rep", "password": "123",
                                                                "role": "sales_rep"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"username", "password"} <= set(errors)
    assert "is-invalid" in response.content.decode()


def test_edit_employee_page(client, org):
    client.force_login(org.admin)
    url = reverse("governance:person_edit", args=[org.rep.employee.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Rep", "email": "", "role": "sales_manager", "department": org.west.pk,
                                 "manager": "", "scope": "department", "phone": ""})
    assert response.status_code == 302
    e = Employee.objects.get(pk=org.rep.employee.pk)
    assert (e.role, e.department_id, e.scope) == ("sales_manager", org.west.pk, "department")
    response = client.post(url, {"role": "sales_rep", "manager": org.rep.employee.pk})
    assert response.status_code == 422  # not offered: cannot manage themselves


def test_departed_flow_through_the_pages(client, org, customers):
    rep_client = Client()
    assert rep_client.login(username="rep", password=PASSWORD)
    assert rep_client.get(reverse("governance:tokens")).status_code == 200
    _token, key = api_token_create(actor=org.rep, name="phone")

    client.force_login(org.admin)
    url = reverse("governance:person_depart", args=[org.rep.employee.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="owned-customers"' in html  # says they still own a customer
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "still owns 1 customers" in response.content.decode() or "still owns 1" in response.content.decode()

    # The open session is logged out by the middleware; a new login is refused; the token is dead.
    response = rep_client.get(reverse("governance:tokens"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Client().login(username="rep", password=PASSWORD)
    assert api_token_authenticate(key) is None
    assert not ApiToken.objects.filter(user=org.rep, revoked_at__isnull=True).exists()
    # The customer stays theirs until handover.
    customers.own.refresh_from_db()
    assert customers.own.owner_id == org.rep.pk


def test_departed_session_logged_out_by_middleware(client, org):
    client.force_login(org.rep)
    employee_depart(actor=org.admin, employee=org.rep.employee)
    response = client.get(reverse("governance:tokens"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_middleware_ends_session_of_departed_even_if_login_still_active(client, org):
    """Belt and braces: status departed alone (is_active left on) also ends the session."""
    client.force_login(org.rep)
    Employee.objects.filter(pk=org.rep.employee.pk).update(status="departed")
    response = client.get(reverse("governance:tokens"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_departments_pages(client, org):
    client.force_login(org.admin)
    html = client.get(reverse("governance:departments")).content.decode()
    assert html.index("Sales") < html.index("East") < html.index("Shanghai")
    response = client.post(reverse("governance:department_create"), {"name": "North", "parent": org.sales.pk})
    assert response.status_code == 302
    north = Department.objects.get(name="North")
    response = client.post(reverse("governance:department_edit", args=[north.pk]), {"name": "", "parent": ""})
    assert response.status_code == 422 and "name" in response.context["form"].errors
    # Moving Sales under its own sub-department is not offered, and refused if posted.
    response = client.get(reverse("governance:department_edit", args=[org.sales.pk]))
    offered = {value for value, _label in response.context["form"].fields["parent"].choices}
    assert org.shanghai.pk not in offered and org.sales.pk not in offered and org.service.pk in offered
    response = client.post(reverse("governance:department_edit", args=[org.sales.pk]),
                           {"name": "Sales", "parent": org.shanghai.pk})
    assert response.status_code == 422 and "parent" in response.context["form"].errors
    response = client.post(reverse("governance:department_edit", args=[north.pk]),
                           {"name": "North China", "parent": org.east.pk})
    assert response.status_code == 302
    north.refresh_from_db()
    assert north.name == "North China" and north.parent == org.east


def test_customer_counts_exclude_deleted(org):
    from guanxi.customers.services.customers import customer_delete
    from guanxi.governance.selectors_people import owned_customer_counts

    c = customer_create(actor=org.rep_west, data={"name": "A"})
    customer_create(actor=org.rep_west, data={"name": "B"})
    customer_delete(actor=org.rep_west, customer=c)
    assert owned_customer_counts([org.rep_west.pk, org.agent.pk]) == {org.rep_west.pk: 1, org.agent.pk: 0}
