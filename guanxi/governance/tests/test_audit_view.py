from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from guanxi.customers.services.customers import customer_create, customer_update
from guanxi.governance.models import AuditLog


def test_audit_trail_shows_field_changes_and_filters(client, org):
    c = customer_create(actor=org.rep, data={"name": "张三贸易"})
    customer_update(actor=org.rep, customer=c, data={"name": "张三贸易有限公司"}, version=c.version)
    client.force_login(org.admin)
    html = client.get(reverse("governance:audit"), {"entity": "customer", "object_id": c.pk}).content.decode()
    assert "张三贸易有限公司" in html and "张三贸易" in html
    assert html.count('data-testid="audit-table"') == 1

    # Filter by action and actor: only the update by the rep.
    response = client.get(reverse("governance:audit"),
                          {"entity": "customer", "action": "update", "actor": org.rep.pk})
    entries = response.context["page"].entries
    assert [e.action for e in entries] == ["update"]
    assert entries[0].change_list[0].before == "张三贸易" and entries[0].change_list[0].after == "张三贸易有限公司"

    # Someone else: nothing.
    response = client.get(reverse("governance:audit"), {"entity": "customer", "actor": org.manager.pk})
    assert response.context["page"].entries == []


def test_audit_htmx_returns_only_the_results(client, org):
    client.force_login(org.admin)
    response = client.get(reverse("governance:audit"), {"action": "create"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="audit-results"' in html and "<html" not in html and 'data-testid="audit-filters"' not in html


def test_audit_date_range_and_bad_dates(client, org):
    client.force_login(org.admin)
    today = timezone.localdate()
    response = client.get(reverse("governance:audit"), {"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert len(response.context["page"].entries) > 0
    yesterday = (today - timedelta(days=1)).isoformat()
    response = client.get(reverse("governance:audit"), {"date_to": yesterday})
    assert response.context["page"].entries == []
    response = client.get(reverse("governance:audit"), {"date_from": "tomorrow", "action": "nonsense"})
    assert response.status_code == 200 and "were ignored" in response.content.decode()


def test_audit_pages_by_keyset_without_count(client, org, django_assert_max_num_queries):
    for i in range(7):
        customer_create(actor=org.admin, data={"name": f"客户{i}"})
    client.force_login(org.admin)
    from guanxi.governance.views import audit

    old = audit.PER_PAGE
    audit.PER_PAGE = 3
    try:
        first = client.get(reverse("governance:audit"), {"entity": "customer"}).context["page"]
        assert len(first.entries) == 3 and first.next_cursor == first.entries[-1].pk
        second = client.get(reverse("governance:audit"), {"entity": "customer", "before": first.next_cursor})
        page2 = second.context["page"]
        assert page2.has_previous and all(e.pk < first.next_cursor for e in page2.entries)
        with django_assert_max_num_queries(12) as captured:
            client.get(reverse("governance:audit"), {"entity": "customer"})
        assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
    finally:
        audit.PER_PAGE = old
    assert AuditLog.objects.filter(entity="customer").count() == 7
