"""View tests for the customer list, forms and 360° page (thin: the services are tested elsewhere)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Customer, CustomFieldDefinition, Interaction, Order, Task
from guanxi.customers.services.activity import interaction_create, task_create
from guanxi.customers.services.customers import contact_create, customer_create, customer_update
from guanxi.customers.services.orders import order_create

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.rep)
    return client


def login(client, user):
    client.force_login(user)
    return client


# ---- list and search -------------------------------------------------------------------------

def test_list_shows_visible_customers_only(rep_client, customers):
    response = rep_client.get(reverse("customers:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert customers.own.name in body
    assert customers.pool.name in body
    assert customers.other_dept.name not in body
    assert "<html" in body


def test_search_returns_fragment_with_pinyin(rep_client, customers):
    response = rep_client.get(reverse("customers:list"), {"q": "zs"}, **HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="customer-results"' in body
    assert customers.own.name in body
    assert customers.pool.name not in body


def test_search_by_last_four_digits(rep_client, org, customers):
    contact_create(actor=org.rep, customer=customers.own, data={"name": "张三", "mobile": "13800138000"})
    body = rep_client.get(reverse("customers:list"), {"q": "8000"}, **HX).content.decode()
    assert customers.own.name in body
    assert customers.pool.name not in body


def test_list_filters_owner_and_empty_state(rep_client, customers):
    body = rep_client.get(reverse("customers:list"), {"owner": "none"}).content.decode()
    assert customers.pool.name in body and customers.own.name not in body
    body = rep_client.get(reverse("customers:list"), {"q": "nothing-matches-this"}).content.decode()
    assert 'data-testid="empty-state"' in body


def test_list_bad_filter_shows_error_not_500(rep_client, customers):
    response = rep_client.get(reverse("customers:list"), {"owner": "drop table"})
    assert response.status_code == 200
    assert "Use a user id" in response.content.decode()


def test_list_caps_count(rep_client, customers, settings):
    settings.GUANXI_LIST_COUNT_CAP = 1
    body = rep_client.get(reverse("customers:list")).content.decode()
    assert "1+ customers" in body


def test_list_shows_custom_fields_marked_for_lists(rep_client, org, customers):
    CustomFieldDefinition.objects.create(entity="customer", key="grade", label="Grade", show_in_list=True)
    customer_update(actor=org.rep, customer=customers.own, data={"custom": {"grade": "A+"}}, version=None)
    body = rep_client.get(reverse("customers:list")).content.decode()
    assert "<th>Grade</th>" in body and "A+" in body


def test_list_pagination(rep_client, org):
    for i in range(30):
        customer_create(actor=org.rep, data={"name": f"客户{i:02d}"})
    body = rep_client.get(reverse("customers:list")).content.decode()
    assert "30 customers" in body and "page=2" in body
    body = rep_client.get(reverse("customers:list"), {"page": 2}).content.decode()
    assert "客户04" in body and "客户29" not in body


def test_list_query_count(rep_client, org, django_assert_max_num_queries):
    CustomFieldDefinition.objects.create(entity="customer", key="grade", label="Grade", show_in_list=True)
    for i in range(40):
        customer_create(actor=org.rep, data={"name": f"公司{i}"}, tags=["VIP", f"t{i % 3}"])
    with django_assert_max_num_queries(12):
        response = rep_client.get(reverse("customers:list"))
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        response = rep_client.get(reverse("customers:list"), {"q": "gongsi", "sort": "name"}, **HX)
    assert response.content.decode().count("/customers/") >= 25


# ---- create / edit ---------------------------------------------------------------------------

def test_create_form_renders(rep_client, customers):
    response = rep_client.get(reverse("customers:create"))
    assert response.status_code == 200
    assert 'name="name"' in response.content.decode()


def test_create_customer(rep_client, org):
    response = rep_client.post(reverse("customers:create"), {
        "kind": "company", "name": "北京示例科技有限公司", "lifecycle": "prospect", "tags_text": "VIP，北京, VIP",
    })
    customer = Customer.objects.get(name="北京示例科技有限公司")
    assert response.status_code == 302 and response.url == reverse("customers:detail", args=[customer.pk])
    assert customer.owner == org.rep
    assert sorted(t.name for t in customer.tags.all()) == ["VIP", "北京"]


def test_create_htmx_success_redirects_with_header(rep_client, org):
    response = rep_client.post(reverse("customers:create"), {"kind": "company", "name": "X", "lifecycle": "prospect"},
                               **HX)
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/customers/")


def test_create_inline_errors_422(rep_client, org):
    CustomFieldDefinition.objects.create(entity="customer", key="employees", label="Employees", field_type="number")
    response = rep_client.post(reverse("customers:create"), {
        "kind": "company", "name": "", "lifecycle": "churned", "credit_code": "91350100M000100Y40",
        "cf_employees": "many",
    }, **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body and 'id="customer-form"' in body
    assert 'data-field="name"' in body and "This field is required." in body
    assert "Enter a number." in body  # custom number field
    assert not Customer.objects.filter(lifecycle="churned").exists()


def test_create_model_rules_are_field_errors(rep_client, org):
    response = rep_client.post(reverse("customers:create"), {
        "kind": "company", "name": "Churny", "lifecycle": "churned", "credit_code": "123",
    }, **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Say why the customer churned." in body
    assert "unified social credit code" in body


def test_edit_saves_with_version(rep_client, org, customers):
    c = customers.own
    response = rep_client.post(reverse("customers:edit", args=[c.pk]), {
        "kind": "company", "name": "张三贸易(新)", "lifecycle": "active", "version": c.version,
    })
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.name == "张三贸易(新)" and c.version == 2


def test_edit_conflict_409_keeps_input(rep_client, org, customers):
    c = customers.own
    stale = c.version
    customer_update(actor=org.admin, customer=c, data={"industry": "化工"}, version=None)
    response = rep_client.post(reverse("customers:edit", args=[c.pk]), {
        "kind": "company", "name": "我的新名字", "lifecycle": "active", "version": stale,
    }, **HX)
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed by someone else" in body
    assert "我的新名字" in body  # the user's input is kept
    c.refresh_from_db()
    assert c.name == "张三贸易有限公司" and c.industry == "化工"


def test_edit_another_reps_customer_404(rep_client, customers):
    assert rep_client.get(reverse("customers:edit", args=[customers.other_dept.pk])).status_code == 404
    assert rep_client.get(reverse("customers:detail", args=[customers.other_dept.pk])).status_code == 404


def test_rep_cannot_edit_pool_customer_403(rep_client, customers):
    assert rep_client.get(reverse("customers:edit", args=[customers.pool.pk])).status_code == 403


@pytest.mark.parametrize("role", ["analyst", "marketing"])
def test_read_only_roles(client, org, customers, role):
    login(client, getattr(org, role))
    c = customers.own
    page = client.get(reverse("customers:detail", args=[c.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("customers:edit", args=[c.pk]) not in body
    assert 'id="followup-form"' not in body
    assert client.post(reverse("customers:create"), {"name": "x", "kind": "company"}).status_code == 403
    assert client.post(reverse("customers:edit", args=[c.pk]), {"name": "x"}).status_code == 403
    assert client.post(reverse("customers:interaction_create", args=[c.pk]), {"summary": "x"}).status_code == 403
    assert client.post(reverse("customers:delete", args=[c.pk])).status_code == 403
    assert client.get(reverse("customers:list")).status_code == 200


def test_owner_field_only_for_wider_scopes(client, org, customers):
    login(client, org.rep)
    assert 'name="owner"' not in client.get(reverse("customers:create")).content.decode()
    login(client, org.manager)
    assert 'name="owner"' in client.get(reverse("customers:create")).content.decode()
    response = client.post(reverse("customers:create"), {"kind": "company", "name": "Pool Co", "lifecycle": "prospect",
                                                         "owner": ""})
    assert response.status_code == 302
    assert Customer.objects.get(name="Pool Co").owner is None


# ---- 360° page -------------------------------------------------------------------------------

def test_detail_page(rep_client, org, customers):
    c = customers.own
    CustomFieldDefinition.objects.create(entity="customer", key="grade", label="Grade")
    customer_update(actor=org.rep, customer=c, data={"custom": {"grade": "B"}, "industry": "贸易"}, version=None,
                    tags=["重点"])
    contact_create(actor=org.rep, customer=c, data={"name": "张三", "mobile": "13800138000"})
    interaction_create(actor=org.rep, customer=c, data={"summary": "首次电话沟通", "channel": "phone"})
    body = rep_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    for text in ("张三贸易有限公司", "Grade", "重点", "138 0013 8000", "首次电话沟通", 'id="followup-form"', "贸易"):
        assert text in body
    # The change from the audit trail, with before -> after.
    assert "industry" in body and "bi-arrow-right" in body


def test_detail_masks_mobile_for_read_only(client, org, customers):
    contact_create(actor=org.rep, customer=customers.own, data={"name": "张三", "mobile": "13800138000"})
    login(client, org.analyst)
    body = client.get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert "138****8000" in body and "13800138000" not in body


def test_detail_query_count_with_long_history(rep_client, org, customers, django_assert_max_num_queries):
    c = customers.own
    contact = contact_create(actor=org.rep, customer=c, data={"name": "李四", "mobile": "13900139000"})
    now = timezone.now()
    for i in range(60):
        interaction_create(actor=org.rep, customer=c, data={
            "summary": f"跟进 {i}", "contact": contact, "occurred_at": now - datetime.timedelta(hours=i)})
    for i in range(15):
        order_create(actor=org.rep, customer=c, data={"ordered_at": now - datetime.timedelta(days=i)},
                     lines=[{"description": "货品", "quantity": 2, "unit_price": 10}])
        task_create(actor=org.rep, data={"title": f"任务 {i}", "due_at": now + datetime.timedelta(days=i),
                                         "customer": c})
    customer_update(actor=org.rep, customer=c, data={"industry": "贸易"}, version=None)
    with django_assert_max_num_queries(22):
        response = rep_client.get(reverse("customers:detail", args=[c.pk]))
    assert response.status_code == 200
    assert "Load more" in response.content.decode()
    with django_assert_max_num_queries(12):
        response = rep_client.get(reverse("customers:timeline", args=[c.pk]), {"page": 3}, **HX)
    assert response.status_code == 200


def test_timeline_kind_filter_and_load_more(rep_client, org, customers):
    c = customers.own
    now = timezone.now()
    for i in range(25):
        interaction_create(actor=org.rep, customer=c, data={"summary": f"S{i:02d}",
                                                            "occurred_at": now - datetime.timedelta(minutes=i)})
    body = rep_client.get(reverse("customers:timeline", args=[c.pk]), {"kind": "interaction"}, **HX).content.decode()
    assert body.count('data-kind="interaction"') == 20 and 'data-kind="change"' not in body
    assert "page=2&amp;kind=interaction" in body
    more = rep_client.get(reverse("customers:timeline", args=[c.pk]), {"kind": "interaction", "page": 2},
                          **HX).content.decode()
    assert more.count('data-kind="interaction"') == 5 and "Load more" not in more


def test_log_follow_up_via_htmx(rep_client, org, customers):
    c = customers.own
    url = reverse("customers:interaction_create", args=[c.pk])
    tomorrow = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = rep_client.post(url, {"channel": "visit", "direction": "outbound", "summary": "上门拜访",
                                     "content": "谈了价格", "next_follow_up_at": tomorrow}, **HX)
    assert response.status_code == 200
    assert "timeline-changed" in response["HX-Trigger"]
    assert Interaction.objects.get(customer=c).summary == "上门拜访"
    assert Task.objects.filter(customer=c, assignee=org.rep).count() == 1
    body = rep_client.get(reverse("customers:timeline", args=[c.pk]), **HX).content.decode()
    assert "上门拜访" in body


def test_log_follow_up_errors_422(rep_client, org, customers):
    c = customers.own
    url = reverse("customers:interaction_create", args=[c.pk])
    response = rep_client.post(url, {"channel": "fax", "direction": "outbound", "summary": "",
                                     "occurred_at": "2024-05-01T10:00", "next_follow_up_at": "2024-04-01T10:00"}, **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-field="summary"' in body and "This field is required." in body
    assert "Select a valid choice." in body
    assert "The next follow-up must be after this one." in body
    assert not Interaction.objects.exists()


def test_follow_up_on_other_reps_customer_404(rep_client, customers):
    url = reverse("customers:interaction_create", args=[customers.other_dept.pk])
    assert rep_client.post(url, {"summary": "x", "channel": "phone", "direction": "outbound"}).status_code == 404


def test_add_task(rep_client, org, customers):
    c = customers.own
    response = rep_client.post(reverse("customers:task_create", args=[c.pk]),
                               {"title": "寄样品", "due_at": "2030-01-02T10:00"}, **HX)
    assert response.status_code == 200
    assert Task.objects.get(customer=c).title == "寄样品"
    response = rep_client.post(reverse("customers:task_create", args=[c.pk]), {"title": "", "due_at": "soon"}, **HX)
    assert response.status_code == 422
    assert "Enter a valid date/time." in response.content.decode()
    body = rep_client.get(reverse("customers:open_tasks", args=[c.pk]), **HX).content.decode()
    assert "寄样品" in body


def test_add_order_with_lines(rep_client, org, customers):
    from guanxi.customers.models import Product

    product = Product.objects.create(sku="A1", name="茶叶礼盒", price="88.00")
    c = customers.own
    data = {
        "number": "SO-1", "status": "paid", "channel": "sales", "ordered_at": "2024-05-01T10:00",
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": str(product.pk), "lines-0-quantity": "2",
        "lines-1-description": "运费", "lines-1-quantity": "1", "lines-1-unit_price": "12.5",
    }
    response = rep_client.post(reverse("customers:order_create", args=[c.pk]), data, **HX)
    assert response.status_code == 200, response.content.decode()
    order = Order.objects.get(customer=c)
    assert str(order.total_amount) == "188.50"
    assert order.lines.count() == 2
    assert response["HX-Retarget"] == "#orders-card"
    c.refresh_from_db()
    assert c.lifecycle == "active"


def test_add_order_errors_422(rep_client, customers):
    data = {
        "number": "", "status": "paid", "channel": "sales", "ordered_at": "",
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "50",
        "lines-0-description": "x", "lines-0-quantity": "-1", "lines-0-unit_price": "5",
    }
    response = rep_client.post(reverse("customers:order_create", args=[customers.own.pk]), data, **HX)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-field="lines-0-quantity"' in body and "greater than or equal to" in body
    assert not Order.objects.exists()


def test_soft_delete(client, org, customers):
    login(client, org.manager)
    c = customers.own
    response = client.post(reverse("customers:delete", args=[c.pk]), {"version": c.version})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.deleted_at is not None
    assert client.get(reverse("customers:detail", args=[c.pk])).status_code == 404


def test_rep_cannot_delete(rep_client, customers):
    c = customers.own
    body = rep_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "delete-modal" not in body
    assert rep_client.post(reverse("customers:delete", args=[c.pk])).status_code == 403
    c.refresh_from_db()
    assert c.deleted_at is None
