"""Account teams (团队成员): people besides the owner who work with a customer.

The owner, or a manager/admin who may change the customer, adds and removes members with read or
read-write access and an optional last day. Visibility follows (customers/models/visibility.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer, CustomerTeamMember
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..selectors.pool import can_manage_team, local_midnight
from .pool import active_user_or_error


def expiry_moment(until: datetime.date | datetime.datetime | None) -> datetime.datetime | None:
    """A last day (a date) means access until the end of that day, local time."""
    if until is None or isinstance(until, datetime.datetime):
        return until
    return local_midnight(until + datetime.timedelta(days=1))


def _customer_for_team(actor: Any, customer: Customer) -> Customer:
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFoundError()
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if not can_manage_team(actor, locked):
        raise PermissionDeniedError(_("Only the owner or a manager can change the account team."))
    return locked


FIELDS = ["user_id", "access", "expires_at"]


@transaction.atomic
def team_member_set(*, actor: Any, customer: Customer, user: Any, access: str = CustomerTeamMember.Access.READ,
                    until: datetime.date | datetime.datetime | None = None,
                    now: datetime.datetime | None = None) -> CustomerTeamMember:
    """Add a member, or change an existing member's access and last day."""
    locked = _customer_for_team(actor, customer)
    member_user = active_user_or_error(user, "user")
    if member_user.pk == locked.owner_id:
        raise ValidationError({"user": [_("The owner is already responsible for this customer.")]})
    if access not in CustomerTeamMember.Access.values:
        raise ValidationError({"access": [_("Choose read only or read and write.")]})
    expires_at = expiry_moment(until)
    if expires_at is not None and expires_at <= (now or timezone.now()):
        raise ValidationError({"until": [_("Choose a day in the future, or leave it empty for no end.")]})
    member = CustomerTeamMember.objects.select_for_update().filter(customer=locked, user=member_user).first()
    before = snapshot(member, FIELDS) if member is not None else {}
    if member is None:
        member = CustomerTeamMember(customer=locked, user=member_user, added_by=actor)
    member.access = access
    member.expires_at = expires_at
    member.full_clean()
    changes = diff(before, snapshot(member, FIELDS))
    if not changes and member.pk:
        return member
    member.save()
    audit_record(actor=actor, action=AuditLog.Action.UPDATE if before else AuditLog.Action.CREATE, instance=member,
                 changes=changes, customer_id=locked.pk)
    return member


@transaction.atomic
def team_member_remove(*, actor: Any, customer: Customer, user: Any) -> None:
    locked = _customer_for_team(actor, customer)
    member = CustomerTeamMember.objects.select_for_update().filter(customer=locked, user_id=getattr(user, "pk", user)).first()
    if member is None:
        raise NotFoundError()
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=member,
                 changes={k: [v, None] for k, v in snapshot(member, FIELDS).items()}, customer_id=locked.pk)
    member.delete()
