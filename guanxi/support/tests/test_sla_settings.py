"""Settings pages of SLA policies, holidays and routing rules: who may, what is saved, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from guanxi.governance.models import AuditLog
from guanxi.support.models import Holiday, RoutingRule, SlaPolicy

pytestmark = pytest.mark.django_db

POLICY_FORM = {"name": "Normal", "priority": "normal", "customer_level": "", "first_response_minutes": "60",
               "resolution_minutes": "540", "warning_minutes": "30", "business_start": "09:00",
               "business_end": "18:00", "weekdays": ["1", "2", "3", "4", "5"], "is_active": "on"}


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize("path", ["/support/sla/policies/", "/support/sla/policies/new/", "/support/sla/holidays/",
                                  "/support/sla/routing/", "/support/sla/routing/new/"])
def test_only_service_managers_and_admins(org, path):
    assert _client(org.agent).get(path).status_code == 403
    assert _client(org.rep).get(path).status_code == 403
    assert _client(org.service_manager).get(path).status_code == 200
    assert _client(org.admin).get(path).status_code == 200


def test_settings_menu_links(org):
    body = _client(org.service_manager).get("/support/sla/policies/").content.decode()
    assert 'data-testid="settings-sla-policies"' in body and 'data-testid="settings-routing"' in body
    assert 'data-testid="settings-holidays"' in body


def test_create_edit_and_deactivate_a_policy(org):
    c = _client(org.service_manager)
    r = c.post("/support/sla/policies/new/", POLICY_FORM)
    assert r.status_code == 302
    policy = SlaPolicy.objects.get(name="Normal")
    assert (policy.first_response_minutes, policy.weekdays, policy.is_active) == (60, "1,2,3,4,5", True)
    assert AuditLog.objects.filter(entity="slapolicy", action="create", object_id=str(policy.pk)).exists()
    r = c.post(f"/support/sla/policies/{policy.pk}/", {**POLICY_FORM, "weekdays": ["1", "2", "3", "4", "5", "6"]})
    assert r.status_code == 302 and SlaPolicy.objects.get(pk=policy.pk).weekdays == "1,2,3,4,5,6"
    assert "Normal" in c.get("/support/sla/policies/").content.decode()
    c.post(f"/support/sla/policies/{policy.pk}/active/", {"active": "0"})
    assert not SlaPolicy.objects.get(pk=policy.pk).is_active
    assert _client(org.agent).post(f"/support/sla/policies/{policy.pk}/active/", {"active": "1"}).status_code == 403


@pytest.mark.parametrize(("change", "field"), [
    ({"first_response_minutes": "0"}, "first_response_minutes"),
    ({"resolution_minutes": "-5"}, "resolution_minutes"),
    ({"business_start": "18:00", "business_end": "09:00"}, "business_end"),
    ({"weekdays": []}, "weekdays"),
    ({"priority": "bogus"}, "priority"),
    ({"name": ""}, "name"),
])
def test_bad_policy_input_is_shown_under_the_field(org, change, field):
    r = _client(org.service_manager).post("/support/sla/policies/new/", {**POLICY_FORM, **change})
    assert r.status_code == 422
    assert f'data-field="{field}"' in r.content.decode() and "invalid-feedback" in r.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_second_active_policy_for_the_same_priority_and_level_is_refused(org):
    c = _client(org.service_manager)
    c.post("/support/sla/policies/new/", POLICY_FORM)
    r = c.post("/support/sla/policies/new/", {**POLICY_FORM, "name": "Again"})
    assert r.status_code == 422 and SlaPolicy.objects.count() == 1
    assert c.post("/support/sla/policies/new/", {**POLICY_FORM, "customer_level": "A"}).status_code == 302


def test_holidays_add_edit_delete_and_list_by_year(org):
    c = _client(org.service_manager)
    r = c.post("/support/sla/holidays/new/", {"date": "2026-10-01", "name": "Golden week"})
    assert r.status_code == 302 and r["Location"].endswith("year=2026")
    day = Holiday.objects.get(date=date(2026, 10, 1))
    assert c.post("/support/sla/holidays/new/", {"date": "2026-10-01", "name": "again"}).status_code == 422
    assert c.post("/support/sla/holidays/new/", {"date": "2026-13-01"}).status_code == 422
    c.post(f"/support/sla/holidays/{day.pk}/", {"date": "2026-10-01", "name": "National Day", "is_workday": ""})
    assert Holiday.objects.get(pk=day.pk).name == "National Day"
    assert "National Day" in c.get("/support/sla/holidays/?year=2026").content.decode()
    assert "National Day" not in c.get("/support/sla/holidays/?year=2027").content.decode()
    c.post(f"/support/sla/holidays/{day.pk}/delete/")
    assert not Holiday.objects.exists()


def test_pasting_a_schedule(org):
    c = _client(org.service_manager)
    text = "# 2026\n2026-10-01..2026-10-07 国庆节\n\n2026-09-20 workday 国庆节调休\n2026-10-10 补班 国庆节调休"
    r = c.post("/support/sla/holidays/import/?year=2026", {"text": text})
    assert r.status_code == 302
    assert Holiday.objects.filter(is_workday=False, name="国庆节").count() == 7
    assert set(Holiday.objects.filter(is_workday=True).values_list("date", flat=True)) == {
        date(2026, 9, 20), date(2026, 10, 10)}
    c.post("/support/sla/holidays/import/", {"text": "2026-10-01 国庆"})  # pasted again: updated, not doubled
    assert Holiday.objects.get(date=date(2026, 10, 1)).name == "国庆" and Holiday.objects.count() == 9


def test_pasted_lines_with_errors_save_nothing_and_name_each_line(org):
    text = "2026-05-01..2026-05-05 劳动节\n2026-02-30 bad\nnot a date\n2026-05-09..2026-05-01 backwards\n2026-05-03 dup"
    r = _client(org.service_manager).post("/support/sla/holidays/import/", {"text": text})
    body = r.content.decode()
    assert r.status_code == 422 and not Holiday.objects.exists()
    for line in (2, 3, 4, 5):
        assert f"Line {line}:" in body
    assert "Line 1:" not in body


def test_routing_rules_create_edit_move_delete(org):
    c = _client(org.service_manager)
    form = {"name": "Repairs", "ticket_type": "repair", "team": org.service.pk, "round_robin": "on",
            "is_active": "on", "province": "", "customer_level": "", "position": ""}
    assert c.post("/support/sla/routing/new/", form).status_code == 302
    assert c.post("/support/sla/routing/new/", {**form, "name": "Rest", "ticket_type": ""}).status_code == 302
    first, second = RoutingRule.objects.order_by("position")
    assert (first.name, first.position, second.position) == ("Repairs", 1, 2)
    c.post(f"/support/sla/routing/{second.pk}/move/", {"direction": "up"})
    assert list(RoutingRule.objects.order_by("position").values_list("name", flat=True)) == ["Rest", "Repairs"]
    r = c.post(f"/support/sla/routing/{first.pk}/", {**form, "customer_level": "Z", "team": ""})
    assert r.status_code == 422
    body = r.content.decode()
    assert 'data-field="team"' in body and 'data-field="customer_level"' in body
    assert c.post(f"/support/sla/routing/{first.pk}/", {**form, "province": "广东"}).status_code == 302
    assert RoutingRule.objects.get(pk=first.pk).province == "广东"
    page = c.get("/support/sla/routing/").content.decode().split('data-testid="routing-table"')[1]
    assert page.index("Rest") < page.index("Repairs")
    c.post(f"/support/sla/routing/{first.pk}/delete/")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Rest"]
    assert _client(org.agent).post(f"/support/sla/routing/{second.pk}/delete/").status_code == 403
