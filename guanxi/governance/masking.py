"""号码脱敏: who sees a contact's mobile, phone and email in clear. The one place this rule lives.

A user sees them unmasked only when they
- own the customer (``customer.owner == user``), or
- are on its account team with write access (团队成员, not expired), or
- have a role whose policy (``RolePolicy.mask_unowned``) is off.

Everyone else sees ``138****8000`` and ``zh***@example.com``; an explicit, audited reveal
(``services_reveal.contact_reveal``) shows one value in clear.

Leads (线索) follow the same rule without the account team: the lead's owner sees its mobile and email in
clear, everyone else as their role's policy says (no stored policy: masked) — `should_mask_lead(lead)`.

Use it once per request::

    masking = for_user(request.user)          # reads the role policy (one query, cached on the user)
    masking.should_mask(customer)             # the write memberships are read once, on first need
    view = masking.mask_contact(contact)      # ContactView(mobile, phone, email, masked)

Search is unaffected: filters match the stored (clear) values; only what is shown is masked.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from guanxi.core.text import mask_email, mask_phone

from . import permissions
from .models import RolePolicy

MASKED_FIELDS = ("mobile", "phone", "email")
_CACHE_ATTR = "_guanxi_role_policy"


def role_policy(role: str | None) -> RolePolicy:
    """The policy of a role; an unsaved default (mask on, no export limit) when none is stored.
    Users without an active role get a policy that masks and allows no export."""
    if role is None:
        return RolePolicy(role="", mask_unowned=True, export_daily_rows=0)
    return RolePolicy.objects.filter(role=role).first() or RolePolicy(role=role)


def policy_for(user: Any) -> RolePolicy:
    """The user's role policy, read once per user object (i.e. per request)."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    policy = role_policy(permissions.role_of(user))
    with contextlib.suppress(AttributeError):  # AnonymousUser and the like
        setattr(user, _CACHE_ATTR, policy)
    return policy


def forget_policy(user: Any) -> None:
    """Drop the cached policy (after an admin changed it, in the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def clear_phone(value: str) -> str:
    """How an unmasked mobile is shown: +8613800138000 -> 138 0013 8000; others as stored."""
    if value.startswith("+86") and len(value) == 14:
        d = value[3:]
        return f"{d[:3]} {d[3:7]} {d[7:]}"
    return value


def mask_value(field: str, value: str) -> str:
    """One field's masked form: phones first 3 + **** + last 4, emails the local part cut after 2."""
    if not value:
        return ""
    if field == "email":
        return mask_email(value)
    return mask_phone(value)


@dataclass(frozen=True)
class ContactView:
    """What a user is shown of a contact's numbers: masked or clear (`masked` says which)."""

    mobile: str
    phone: str
    email: str
    masked: bool

    def as_dict(self) -> dict[str, str]:
        return {"mobile": self.mobile, "phone": self.phone, "email": self.email}


class Masking:
    """The masking rule for one user, with what it needs read once (see `for_user`)."""

    def __init__(self, user: Any):
        self.user_id = getattr(user, "pk", None)
        self.policy = policy_for(user)
        self.by_role = bool(self.policy.mask_unowned)
        self._team_ids: frozenset[int] | None = None

    def _write_team_ids(self) -> frozenset[int]:
        """Customers on whose account team the user has write access: one query, on first need."""
        if self._team_ids is None:
            member = apps.get_model("customers", "CustomerTeamMember")
            self._team_ids = frozenset(
                member.objects.filter(user_id=self.user_id, access="write")
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
                .values_list("customer_id", flat=True)
            ) if self.user_id is not None else frozenset()
        return self._team_ids

    def should_mask_ids(self, customer_id: int | None, owner_id: int | None) -> bool:
        if not self.by_role:
            return False
        if self.user_id is not None and owner_id == self.user_id:
            return False
        return customer_id not in self._write_team_ids()

    def should_mask(self, customer: Any) -> bool:
        """True when this user must see `customer`'s contacts masked."""
        return self.should_mask_ids(customer.pk, customer.owner_id)

    def should_mask_lead_owner(self, owner_id: int | None) -> bool:
        """True when this user must see the numbers of a lead owned by `owner_id` (None: unassigned) masked."""
        if not self.by_role:
            return False
        return self.user_id is None or owner_id != self.user_id

    def should_mask_lead(self, lead: Any) -> bool:
        """True when this user must see `lead`'s mobile and email masked: not its owner, and the role's policy
        masks (a role without a stored policy masks)."""
        return self.should_mask_lead_owner(lead.owner_id)

    def mask_lead(self, lead: Any) -> ContactView:
        """The lead's mobile and email as this user may see them (`phone` is always empty: leads have none)."""
        if self.should_mask_lead(lead):
            return ContactView(mask_value("mobile", lead.mobile), "", mask_value("email", lead.email), True)
        return ContactView(lead.mobile, "", lead.email, False)

    def mask_contact(self, contact: Any, customer: Any = None) -> ContactView:
        """The contact's mobile, phone and email as this user may see them. Pass `customer` (or have
        `contact.customer` loaded) so no query is needed for the owner."""
        customer = customer if customer is not None else contact.customer
        masked = self.should_mask(customer)
        if masked:
            return ContactView(mask_value("mobile", contact.mobile), mask_value("phone", contact.phone),
                               mask_value("email", contact.email), True)
        return ContactView(contact.mobile, contact.phone, contact.email, False)

    def decorate(self, contacts: list[Any], customer: Any = None) -> list[Any]:
        """Set `display_mobile` / `display_phone` / `display_email` / `is_masked` on each contact (for templates)."""
        for contact in contacts:
            view = self.mask_contact(contact, customer)
            contact.display_mobile = view.mobile if view.masked else clear_phone(view.mobile)
            contact.display_phone = view.phone
            contact.display_email = view.email
            contact.is_masked = view.masked
        return contacts


def for_user(user: Any) -> Masking:
    """The masking rule for `user` (cheap: the role policy is cached on the user object)."""
    return Masking(user)


def for_request(request: Any) -> Masking:
    """One `Masking` per request (the API's user is `request.auth`, the web's `request.user`)."""
    masking = getattr(request, "_guanxi_masking", None)
    if masking is None:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        masking = for_user(user)
        request._guanxi_masking = masking
    return masking
