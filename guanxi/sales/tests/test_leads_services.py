"""Lead services: create/update normalisation, status rules, follow-ups, soft delete, campaigns, visibility."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.sales.filters import LeadFilter
from guanxi.sales.models import Campaign, Lead, OwnerChange
from guanxi.sales.selectors.leads import campaign_stats, lead_get, lead_list
from guanxi.sales.services.leads import (
    campaign_create,
    lead_activity_create,
    lead_create,
    lead_delete,
    lead_set_status,
    lead_update,
    normalise_lead_data,
)


def test_create_normalises(org):
    lead = lead_create(actor=org.rep, data={"name": " 张三 ", "company": "杭州张三贸易有限公司",
                                            "mobile": "138 0013 8000", "email": " Zhang@Example.COM ",
                                            "credit_code": "91110000600037341l"})
    lead.refresh_from_db()
    assert lead.name == "张三"
    assert lead.mobile == "+8613800138000"
    assert lead.email == "zhang@example.com"
    assert lead.credit_code == "91110000600037341L"
    assert lead.company_key == "杭州张三贸易"
    assert lead.owner == org.rep and lead.department == org.east
    assert OwnerChange.objects.filter(entity="lead", object_id=lead.pk, kind="assign", to_user=org.rep).exists()
    assert AuditLog.objects.filter(entity="lead", object_id=str(lead.pk), action="create").exists()


@pytest.mark.parametrize(("field", "value"), [
    ("mobile", "12345"), ("email", "not-an-email"), ("credit_code", "91110000600037341A"), ("score", 101),
])
def test_create_rejects_bad_input(org, field, value):
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=org.rep, data={"name": "张三", field: value})
    assert field in exc.value.message_dict
    assert not Lead.objects.exists()


def test_unknown_campaign_is_refused():
    with pytest.raises(ValidationError) as exc:
        normalise_lead_data({"campaign": 999})
    assert "campaign" in exc.value.message_dict


def test_rep_cannot_give_lead_to_someone_else(org):
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=org.rep, data={"name": "张三"}, owner=org.rep_west)
    assert "owner" in exc.value.message_dict


def test_update_with_version_and_dedup_on_changed_fields(org):
    lead = lead_create(actor=org.rep, data={"name": "张三", "mobile": "13800138000"})
    lead = lead_update(actor=org.rep, lead=lead, data={"notes": "met at the show", "mobile": "13800138000"},
                       version=lead.version)
    assert lead.version == 2
    with pytest.raises(ConflictError):
        lead_update(actor=org.rep, lead=lead, data={"notes": "x"}, version=1)
    other = lead_create(actor=org.rep, data={"name": "李四", "mobile": "13900139000"})
    with pytest.raises(ValidationError) as exc:
        lead_update(actor=org.rep, lead=other, data={"mobile": "13800138000"}, version=other.version)
    assert "mobile" in exc.value.message_dict


def test_status_changes(org):
    lead = lead_create(actor=org.rep, data={"name": "张三"})
    with pytest.raises(ValidationError) as exc:
        lead_set_status(actor=org.rep, lead=lead, status="disqualified")
    assert "disqualify_reason" in exc.value.message_dict
    lead = lead_set_status(actor=org.rep, lead=lead, status="disqualified", reason="No budget")
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "No budget")
    lead = lead_set_status(actor=org.rep, lead=lead, status="qualified")
    assert (lead.status, lead.disqualify_reason) == ("qualified", "")
    with pytest.raises(ValidationError):
        lead_set_status(actor=org.rep, lead=lead, status="converted")


def test_follow_up_marks_contacted(org):
    lead = lead_create(actor=org.rep, data={"name": "张三"})
    at = datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)
    lead_activity_create(actor=org.rep, lead=lead, data={"summary": "Called", "occurred_at": at})
    lead.refresh_from_db()
    assert lead.status == "contacted" and lead.last_interaction_at == at and lead.version == 2
    with pytest.raises(ValidationError):
        lead_activity_create(actor=org.rep, lead=lead, data={"summary": ""})


def test_soft_delete(org):
    lead = lead_create(actor=org.rep, data={"name": "张三"})
    lead_delete(actor=org.rep, lead=lead)
    with pytest.raises(NotFoundError):
        lead_get(user=org.rep, pk=lead.pk)
    assert Lead.objects.filter(pk=lead.pk, deleted_at__isnull=False).exists()


def test_visibility_per_role(org):
    mine = lead_create(actor=org.rep, data={"name": "A"})
    shanghai = lead_create(actor=org.rep_sh, data={"name": "B"})
    west = lead_create(actor=org.rep_west, data={"name": "C"})
    unassigned = lead_create(actor=org.admin, data={"name": "D"}, owner=None)

    def seen(user):
        return set(lead_list(user=user).values_list("pk", flat=True))

    assert seen(org.rep) == {mine.pk, unassigned.pk}
    assert seen(org.manager) == {mine.pk, shanghai.pk, unassigned.pk}
    assert seen(org.admin) == {mine.pk, shanghai.pk, west.pk, unassigned.pk}
    assert seen(org.analyst) == {mine.pk, shanghai.pk, west.pk, unassigned.pk}
    with pytest.raises(NotFoundError):
        lead_get(user=org.rep, pk=west.pk)
    with pytest.raises(PermissionDeniedError):
        lead_get(user=org.rep, pk=unassigned.pk, for_change=True)
    with pytest.raises(PermissionDeniedError):
        lead_get(user=org.analyst, pk=mine.pk, for_change=True)
    lead_get(user=org.manager, pk=shanghai.pk, for_change=True)


def test_filter(org):
    campaign = campaign_create(actor=org.admin, data={"name": "车展"})
    a = lead_create(actor=org.rep, data={"name": "张三", "company": "杭州张三贸易有限公司", "province": "浙江",
                                         "score": 80, "campaign": campaign, "source": "event",
                                         "mobile": "13800138000"})
    lead_create(actor=org.rep, data={"name": "李四", "score": 10}, owner=None)

    def run(**params):
        form = LeadFilter(params)
        assert form.is_valid(), form.errors
        return list(lead_list(user=org.rep, filters=form).values_list("pk", flat=True))

    assert run(q="8000") == [a.pk]
    assert run(q="杭州张三贸易公司") == [a.pk]
    assert run(campaign=str(campaign.pk), source="event", province="浙江") == [a.pk]
    assert run(score_min="50", score_max="100") == [a.pk]
    assert run(owner="me") == [a.pk]
    assert len(run(owner="none")) == 1
    assert not LeadFilter({"score_min": "60", "score_max": "10"}).is_valid()


def test_campaign_stats(org):
    campaign = campaign_create(actor=org.admin, data={"name": "车展"})
    lead_create(actor=org.rep, data={"name": "A", "campaign": campaign, "source": "event"})
    b = lead_create(actor=org.rep, data={"name": "B", "campaign": campaign, "source": "event"})
    Lead.objects.filter(pk=b.pk).update(status="converted")
    stats = campaign_stats(campaign)
    assert (stats["total"], stats["converted"], str(stats["rate"])) == (2, 1, "50.0")
    with pytest.raises(ValidationError):
        campaign_create(actor=org.admin, data={"name": "X", "starts_on": datetime.date(2024, 5, 2),
                                               "ends_on": datetime.date(2024, 5, 1)})
    assert Campaign.objects.count() == 1
