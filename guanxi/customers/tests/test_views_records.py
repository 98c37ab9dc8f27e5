"""View tests for editing and deleting what hangs off a customer (contacts, follow-ups, tasks, orders),
the order page and the order list. Thin: the services are tested elsewhere."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Contact, Interaction, Order, Task
from guanxi.customers.services.activity import interaction_create, interaction_update, task_create, task_update
from guanxi.customers.services.customers import contact_create, contact_update
from guanxi.customers.services.orders import order_create, order_update

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.rep)
    return client


def login(client, user):
    client.force_login(user)
    return client


def _order(actor, customer, **data):
    data.setdefault("ordered_at", timezone.now())
    return order_create(actor=actor, customer=customer, data=data,
                        lines=[{"description": "茶叶礼盒", "quantity": 2, "unit_price": Decimal("50")}])


# ---- contacts: delete ------------------------------------------------------------------------

def test_contact_delete(rep_client, org, customers):
    contact = contact_create(actor=org.rep, customer=customers.own, data={"name": "张三"})
    url = reverse("customers:contact_delete", args=[customers.own.pk, contact.pk])
    page = rep_client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert url in page and "hx-confirm" in page
    response = rep_client.post(url, {"version": contact.version}, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#contacts-card"
    assert "张三" not in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).deleted_at is not None  # in the recycle bin


def test_contact_delete_conflict_409(rep_client, org, customers):
    contact = contact_create(actor=org.rep, customer=customers.own, data={"name": "张三"})
    contact_update(actor=org.rep, contact=contact, data={"title": "经理"}, version=None)
    url = reverse("customers:contact_delete", args=[customers.own.pk, contact.pk])
    response = rep_client.post(url, {"version": 1}, **HX)
    assert response.status_code == 409 and response["HX-Retarget"] == "#page-alerts"
    assert "changed by someone else" in response.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_contact_delete_permissions(client, org, customers):
    contact = contact_create(actor=org.rep, customer=customers.own, data={"name": "张三"})
    other = contact_create(actor=org.rep_west, customer=customers.other_dept, data={"name": "外人"})
    login(client, org.analyst)
    assert client.post(reverse("customers:contact_delete", args=[customers.own.pk, contact.pk])).status_code == 403
    login(client, org.rep)
    assert client.post(reverse("customers:contact_delete",
                               args=[customers.other_dept.pk, other.pk])).status_code == 404
    # A contact of another customer under this customer's URL.
    assert client.post(reverse("customers:contact_delete", args=[customers.own.pk, other.pk])).status_code == 404
    assert client.get(reverse("customers:contact_delete", args=[customers.own.pk, contact.pk])).status_code == 405
    assert Contact.objects.count() == 2


# ---- follow-ups: edit and delete -------------------------------------------------------------

def test_follow_up_edit(rep_client, org, customers):
    interaction = interaction_create(actor=org.rep, customer=customers.own, data={"summary": "电话"})
    url = reverse("customers:interaction_edit", args=[interaction.pk])
    form = rep_client.get(url, **HX).content.decode()
    assert 'id="interaction-edit-form"' in form and 'name="version"' in form and "电话" in form
    assert 'name="next_follow_up_at"' not in form
    occurred = timezone.localtime(interaction.occurred_at).strftime("%Y-%m-%dT%H:%M")
    response = rep_client.post(url, {"channel": "visit", "direction": "outbound", "summary": "上门拜访",
                                     "occurred_at": occurred, "version": interaction.version}, **HX)
    assert response.status_code == 200
    assert "record-saved" in response["HX-Trigger"] and "timeline-changed" in response["HX-Trigger"]
    interaction.refresh_from_db()
    assert interaction.summary == "上门拜访" and interaction.channel == "visit" and interaction.version == 2


def test_follow_up_edit_422_and_409(rep_client, org, customers):
    interaction = interaction_create(actor=org.rep, customer=customers.own, data={"summary": "电话"})
    url = reverse("customers:interaction_edit", args=[interaction.pk])
    bad = rep_client.post(url, {"channel": "fax", "direction": "outbound", "summary": "", "occurred_at": "",
                                "version": interaction.version}, **HX)
    assert bad.status_code == 422
    body = bad.content.decode()
    assert 'data-field="summary"' in body and "This field is required." in body and "Select a valid choice." in body
    interaction_update(actor=org.manager, interaction=interaction, data={"summary": "经理改过"}, version=None)
    stale = rep_client.post(url, {"channel": "phone", "direction": "outbound", "summary": "我的版本",
                                  "occurred_at": "2024-05-01T10:00", "version": 1}, **HX)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode() and "我的版本" in stale.content.decode()
    interaction.refresh_from_db()
    assert interaction.summary == "经理改过"


def test_follow_up_edit_permissions(client, org, customers):
    own = interaction_create(actor=org.rep, customer=customers.own, data={"summary": "x"})
    other = interaction_create(actor=org.rep_west, customer=customers.other_dept, data={"summary": "y"})
    pool = interaction_create(actor=org.admin, customer=customers.pool, data={"summary": "z"})
    login(client, org.analyst)
    body = client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert reverse("customers:interaction_edit", args=[own.pk]) not in body
    assert client.get(reverse("customers:interaction_edit", args=[own.pk])).status_code == 403
    assert client.post(reverse("customers:interaction_delete", args=[own.pk])).status_code == 403
    login(client, org.rep)
    assert client.get(reverse("customers:interaction_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("customers:interaction_delete", args=[other.pk])).status_code == 404
    # A rep sees the pool but may not change it: 403, and no buttons on its timeline.
    assert client.get(reverse("customers:interaction_edit", args=[pool.pk])).status_code == 403
    timeline = client.get(reverse("customers:timeline", args=[customers.pool.pk]), **HX).content.decode()
    assert reverse("customers:interaction_delete", args=[pool.pk]) not in timeline
    assert Interaction.objects.count() == 3


def test_follow_up_delete(rep_client, org, customers):
    interaction = interaction_create(actor=org.rep, customer=customers.own, data={"summary": "电话"})
    url = reverse("customers:interaction_delete", args=[interaction.pk])
    timeline = rep_client.get(reverse("customers:timeline", args=[customers.own.pk]), **HX).content.decode()
    assert url in timeline
    stale = rep_client.post(url, {"version": 99}, **HX)
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    response = rep_client.post(url, {"version": interaction.version}, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#page-alerts"
    assert "recycle bin" in response.content.decode() and "timeline-changed" in response["HX-Trigger"]
    assert Interaction.objects.get(pk=interaction.pk).deleted_at is not None


def test_follow_up_delete_without_htmx_redirects(rep_client, org, customers):
    interaction = interaction_create(actor=org.rep, customer=customers.own, data={"summary": "电话"})
    response = rep_client.post(reverse("customers:interaction_delete", args=[interaction.pk]))
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customers.own.pk])


# ---- tasks: edit and delete ------------------------------------------------------------------

def _task(actor, customer, **extra):
    return task_create(actor=actor, data={"title": "寄样品", "due_at": timezone.now() + datetime.timedelta(days=1),
                                          "customer": customer, **extra})


def test_task_edit(client, org, customers):
    task = _task(org.manager, customers.own, assignee=org.rep)
    login(client, org.manager)
    url = reverse("customers:task_edit", args=[task.pk])
    form = client.get(url, **HX).content.decode()
    assert 'id="task-edit-form"' in form and 'name="assignee"' in form
    assert f'value="{org.rep_sh.pk}"' in form  # same department (Shanghai is under East)
    assert f'value="{org.rep_west.pk}"' not in form  # another department
    response = client.post(url, {"title": "寄合同", "due_at": "2030-01-02T10:00", "assignee": org.rep_sh.pk,
                                 "notes": "", "version": task.version}, **HX)
    assert response.status_code == 200 and "tasks-changed" in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.title == "寄合同" and task.assignee == org.rep_sh and task.version == 2


def test_task_edit_422_and_409(rep_client, org, customers):
    task = _task(org.rep, customers.own)
    url = reverse("customers:task_edit", args=[task.pk])
    bad = rep_client.post(url, {"title": "", "due_at": "soon", "assignee": org.rep_west.pk,
                                "version": task.version}, **HX)
    assert bad.status_code == 422
    body = bad.content.decode()
    assert "This field is required." in body and "Enter a valid date/time." in body
    assert 'data-field="assignee"' in body and "Select a valid choice." in body  # not someone the rep may assign
    task_update(actor=org.manager, task=task, data={"title": "经理改过"}, version=None)
    stale = rep_client.post(url, {"title": "我的", "due_at": "2030-01-02T10:00", "assignee": org.rep.pk,
                                  "version": 1}, **HX)
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    task.refresh_from_db()
    assert task.title == "经理改过"


def test_task_edit_permissions(client, org, customers):
    own = _task(org.rep, customers.own)
    other = _task(org.rep_west, customers.other_dept)
    login(client, org.analyst)
    assert client.get(reverse("customers:task_edit", args=[own.pk])).status_code == 403
    assert client.post(reverse("customers:task_delete", args=[own.pk])).status_code == 403
    login(client, org.rep)
    assert client.get(reverse("customers:task_edit", args=[other.pk])).status_code == 404
    assert client.post(reverse("customers:task_delete", args=[other.pk])).status_code == 404
    assert Task.objects.count() == 2


def test_task_delete(rep_client, org, customers):
    task = _task(org.rep, customers.own)
    card = rep_client.get(reverse("customers:open_tasks", args=[customers.own.pk]), **HX).content.decode()
    assert reverse("customers:task_delete", args=[task.pk]) in card
    assert rep_client.post(reverse("customers:task_delete", args=[task.pk]), {"version": 7}, **HX).status_code == 409
    response = rep_client.post(reverse("customers:task_delete", args=[task.pk]), {"version": task.version}, **HX)
    assert response.status_code == 200 and "tasks-changed" in response["HX-Trigger"]
    assert Task.objects.get(pk=task.pk).deleted_at is not None


# ---- the order page --------------------------------------------------------------------------

def test_order_page(rep_client, org, customers):
    order = _order(org.rep, customers.own, number="SO-9")
    timeline = rep_client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    url = reverse("customers:order_detail", args=[order.pk])
    assert url in timeline
    response = rep_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "SO-9" in body and "茶叶礼盒" in body and "100.00" in body and 'id="order-edit-form"' in body
    assert "order-delete-modal" not in body  # reps may not delete
    fragment = rep_client.get(url, **HX).content.decode()
    assert "<html" not in fragment and 'id="order-summary"' in fragment


def test_order_page_read_only_and_other_department(client, org, customers):
    order = _order(org.rep, customers.own)
    other = _order(org.rep_west, customers.other_dept)
    login(client, org.analyst)
    body = client.get(reverse("customers:order_detail", args=[order.pk])).content.decode()
    assert "茶叶礼盒" in body and 'id="order-edit-form"' not in body
    login(client, org.rep)
    assert client.get(reverse("customers:order_detail", args=[other.pk])).status_code == 404


def test_order_edit_status(rep_client, org, customers):
    order = _order(org.rep, customers.own)
    url = reverse("customers:order_edit", args=[order.pk])
    ordered = timezone.localtime(order.ordered_at).strftime("%Y-%m-%dT%H:%M")
    response = rep_client.post(url, {"number": "SO-1", "status": "refunded", "channel": "online",
                                     "ordered_at": ordered, "version": order.version}, **HX)
    assert response.status_code == 200 and response["HX-Trigger"] == "order-changed"
    assert "Order saved." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "refunded" and order.channel == "online" and order.number == "SO-1"
    assert order.total_amount == Decimal("100.00")  # the lines are untouched


def test_order_edit_422_and_409(rep_client, org, customers):
    order = _order(org.rep, customers.own)
    url = reverse("customers:order_edit", args=[order.pk])
    bad = rep_client.post(url, {"status": "lost", "channel": "sales", "ordered_at": "yesterday",
                                "version": order.version}, **HX)
    assert bad.status_code == 422
    body = bad.content.decode()
    assert 'data-field="status"' in body and "Select a valid choice." in body and "Enter a valid date/time." in body
    order_update(actor=org.manager, order=order, data={"status": "cancelled"}, version=None)
    stale = rep_client.post(url, {"status": "refunded", "channel": "sales", "ordered_at": "2024-05-01T10:00",
                                  "version": 1}, **HX)
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    order.refresh_from_db()
    assert order.status == "cancelled"


def test_order_edit_permissions(client, org, customers):
    order = _order(org.rep, customers.own)
    other = _order(org.rep_west, customers.other_dept)
    data = {"status": "refunded", "channel": "sales", "ordered_at": "2024-05-01T10:00"}
    login(client, org.analyst)
    assert client.post(reverse("customers:order_edit", args=[order.pk]), data).status_code == 403
    login(client, org.rep)
    assert client.post(reverse("customers:order_edit", args=[other.pk]), data).status_code == 404
    assert Order.objects.filter(status="refunded").count() == 0


def test_order_delete(client, org, customers):
    order = _order(org.rep, customers.own)
    url = reverse("customers:order_delete", args=[order.pk])
    login(client, org.rep)
    assert client.post(url, {"version": order.version}).status_code == 403  # reps may not delete orders
    login(client, org.manager)
    assert "order-delete-modal" in client.get(reverse("customers:order_detail", args=[order.pk])).content.decode()
    stale = client.post(url, {"version": 99}, **HX)
    assert stale.status_code == 409 and stale["HX-Redirect"] == reverse("customers:order_detail", args=[order.pk])
    response = client.post(url, {"version": order.version})
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customers.own.pk])
    assert Order.objects.get(pk=order.pk).deleted_at is not None
    assert client.get(reverse("customers:order_detail", args=[order.pk])).status_code == 404


def test_order_delete_other_department_404(client, org, customers):
    other = _order(org.rep_west, customers.other_dept)
    login(client, org.manager)  # East's manager
    assert client.post(reverse("customers:order_delete", args=[other.pk])).status_code == 404


# ---- the order list --------------------------------------------------------------------------

def test_order_list_visibility_and_filters(rep_client, org, customers):
    now = timezone.now()
    _order(org.rep, customers.own, number="SO-OWN", channel="online")
    _order(org.rep, customers.own, number="SO-OLD", ordered_at=now - datetime.timedelta(days=40), status="refunded")
    _order(org.rep_west, customers.other_dept, number="SO-WEST")
    _order(org.admin, customers.pool, number="SO-POOL")
    url = reverse("customers:order_list")
    body = rep_client.get(url).content.decode()
    assert "SO-OWN" in body and "SO-POOL" in body and "SO-WEST" not in body and "<html" in body
    assert reverse("customers:order_list") in body  # in the navigation
    fragment = rep_client.get(url, {"status": "refunded"}, **HX).content.decode()
    assert "<html" not in fragment and "SO-OLD" in fragment and "SO-OWN" not in fragment
    assert "SO-OWN" in rep_client.get(url, {"channel": "online"}, **HX).content.decode()
    since = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    recent = rep_client.get(url, {"date_from": since, "date_to": ""}, **HX).content.decode()
    assert "SO-OWN" in recent and "SO-OLD" not in recent
    by_customer = rep_client.get(url, {"q": "zs"}, **HX).content.decode()  # pinyin initials of 张三贸易
    assert "SO-OWN" in by_customer and "SO-POOL" not in by_customer
    assert "SO-POOL" in rep_client.get(url, {"q": "SO-POOL"}, **HX).content.decode()


def test_order_list_bad_filters(rep_client, customers):
    url = reverse("customers:order_list")
    response = rep_client.get(url, {"date_from": "2024-05-01", "date_to": "2024-04-01", "status": "lost"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "The end date must not be before the start date." in body and "Select a valid choice." in body
    assert "Enter a valid date." in rep_client.get(url, {"date_from": "not-a-date"}, **HX).content.decode()


def test_order_list_pagination_and_cap(rep_client, org, customers, settings):
    now = timezone.now()
    for i in range(30):
        order_create(actor=org.rep, customer=customers.own,
                     data={"number": f"N{i:02d}", "ordered_at": now - datetime.timedelta(hours=i)})
    url = reverse("customers:order_list")
    body = rep_client.get(url, {"status": "paid", "channel": ""}, **HX).content.decode()
    assert "30 orders" in body and "status=paid&amp;page=2" in body and "channel=" not in body
    page2 = rep_client.get(url, {"status": "paid", "page": 2}).content.decode()
    assert "N29" in page2 and "N00" not in page2
    settings.GUANXI_LIST_COUNT_CAP = 10
    assert "10+ orders" in rep_client.get(url).content.decode()


def test_order_list_query_count(rep_client, org, customers, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(40):
        customer = customers.own if i % 2 else customers.pool
        order_create(actor=org.admin, customer=customer,
                     data={"number": f"Q{i}", "ordered_at": now - datetime.timedelta(hours=i), "salesperson": org.rep})
    with django_assert_max_num_queries(9):
        response = rep_client.get(reverse("customers:order_list"))
    assert response.status_code == 200 and response.content.decode().count("/customers/orders/") >= 25
    with django_assert_max_num_queries(9):
        response = rep_client.get(reverse("customers:order_list"), {"q": "zs", "status": "paid", "page": 2}, **HX)
    assert response.status_code == 200


def test_order_list_requires_login(client, db):
    response = client.get(reverse("customers:order_list"))
    assert response.status_code == 302 and "/login/" in response.url


# ---- customer list: the extra filters --------------------------------------------------------

def test_list_owner_and_department_filters_for_managers(client, org, customers):
    login(client, org.manager)
    body = client.get(reverse("customers:list")).content.decode()
    assert 'data-testid="more-filters"' in body and 'name="department"' in body
    assert ">rep_sh</option>" in body  # people in the manager's departments
    assert ">rep_west</option>" not in body
    assert ">West</option>" not in body and "Shanghai</option>" in body
    by_owner = client.get(reverse("customers:list"), {"owner": org.rep_sh.pk}, **HX).content.decode()
    assert customers.same_dept.name in by_owner and customers.own.name not in by_owner
    by_dept = client.get(reverse("customers:list"), {"department": org.shanghai.pk}, **HX).content.decode()
    assert customers.same_dept.name in by_dept and customers.own.name not in by_dept


def test_list_rep_gets_no_people_filter(rep_client, org, customers):
    body = rep_client.get(reverse("customers:list")).content.decode()
    assert 'name="department"' not in body and ">rep_sh</option>" not in body
    assert 'name="industry"' in body and 'name="has_orders"' in body
    assert 'id="more-filters" data-testid="more-filters"' in body and "collapse show" not in body


def test_list_industry_and_has_orders(rep_client, org, customers):
    from guanxi.customers.services.customers import customer_update

    customer_update(actor=org.rep, customer=customers.own, data={"industry": "化工"}, version=None)
    _order(org.admin, customers.pool)
    url = reverse("customers:list")
    body = rep_client.get(url, {"industry": "化工"}).content.decode()
    assert customers.own.name in body and customers.pool.name not in body
    assert "collapse show" in body  # an extra filter is set: the panel starts open
    with_orders = rep_client.get(url, {"has_orders": "true"}, **HX).content.decode()
    assert customers.pool.name in with_orders and customers.own.name not in with_orders
    without = rep_client.get(url, {"has_orders": "false"}, **HX).content.decode()
    assert customers.own.name in without and customers.pool.name not in without


def test_list_drops_empty_parameters(rep_client, org):
    from guanxi.customers.services.customers import customer_create

    for i in range(30):
        customer_create(actor=org.rep, data={"name": f"客户{i:02d}"})
    body = rep_client.get(reverse("customers:list"), {"q": "", "kind": "", "lifecycle": "", "sort": "name"},
                          **HX).content.decode()
    assert "?sort=name&amp;page=2" in body and "kind=" not in body
    assert "Clear filters" not in body  # empty inputs are not filters
    page = rep_client.get(reverse("customers:list")).content.decode()
    assert "data-drop-empty" in page
