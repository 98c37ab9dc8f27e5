"""Account team (团队成员): who may change it, and what each kind of membership lets a person do."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer, CustomerTeamMember
from guanxi.customers.selectors.customers import customer_get
from guanxi.customers.services.customers import customer_update
from guanxi.governance.models import AuditLog
from guanxi.sales.services.team import team_member_remove, team_member_set


def test_read_member_sees_but_cannot_change(org, customers):
    team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, access="read")
    seen = customer_get(user=org.rep_west, pk=customers.own.pk)
    assert seen.pk == customers.own.pk
    with pytest.raises(PermissionDeniedError):
        customer_get(user=org.rep_west, pk=customers.own.pk, for_change=True)


def test_write_member_can_change(org, customers):
    team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, access="write")
    c = customer_get(user=org.rep_west, pk=customers.own.pk, for_change=True)
    customer_update(actor=org.rep_west, customer=c, data={"industry": "制造"}, version=c.version)
    assert Customer.objects.get(pk=c.pk).industry == "制造"


def test_expired_member_sees_nothing(org, customers):
    team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, access="write",
                    until=timezone.localdate() + datetime.timedelta(days=3))
    CustomerTeamMember.objects.filter(user=org.rep_west).update(expires_at=timezone.now() - datetime.timedelta(1))
    with pytest.raises(NotFoundError):
        customer_get(user=org.rep_west, pk=customers.own.pk)
    assert not Customer.objects.visible_to(org.rep_west).filter(pk=customers.own.pk).exists()


def test_until_a_day_means_to_the_end_of_it(org, customers):
    day = timezone.localdate() + datetime.timedelta(days=3)
    member = team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, until=day)
    assert timezone.localtime(member.expires_at).date() == day + datetime.timedelta(days=1)
    assert timezone.localtime(member.expires_at).hour == 0


def test_who_may_change_the_team(org, customers):
    with pytest.raises(PermissionDeniedError):  # a read member is not the owner
        team_member_set(actor=org.agent, customer=customers.own, user=org.rep_west)
    with pytest.raises(NotFoundError):
        team_member_set(actor=org.rep_west, customer=customers.own, user=org.rep_sh)
    team_member_set(actor=org.manager, customer=customers.own, user=org.rep_sh)  # the East manager
    with pytest.raises(PermissionDeniedError):  # the West rep is only a member now, not the owner
        team_member_set(actor=org.rep_sh, customer=customers.own, user=org.rep_west)


def test_bad_input(org, customers):
    with pytest.raises(ValidationError) as exc:
        team_member_set(actor=org.rep, customer=customers.own, user=org.rep)
    assert "user" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, access="admin")
    assert "access" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west,
                        until=timezone.localdate() - datetime.timedelta(days=1))
    assert "until" in exc.value.message_dict
    assert not CustomerTeamMember.objects.exists()


def test_change_and_remove_are_audited_on_the_customer(org, customers):
    team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west)
    team_member_set(actor=org.rep, customer=customers.own, user=org.rep_west, access="write")
    assert CustomerTeamMember.objects.get().access == "write"
    team_member_remove(actor=org.rep, customer=customers.own, user=org.rep_west)
    assert not CustomerTeamMember.objects.exists()
    actions = list(AuditLog.objects.filter(customer_id=customers.own.pk, entity="customerteammember")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]
    with pytest.raises(NotFoundError):
        team_member_remove(actor=org.rep, customer=customers.own, user=org.rep_west)
