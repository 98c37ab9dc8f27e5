"""Writes on customers and contacts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.text import company_key, pinyin_keys
from guanxi.governance.selectors import assignable_owner_ids

from ..models import Contact, Customer, Tag
from .custom_fields import clean_custom_values
from .records import record_create, record_restore, record_soft_delete, record_update

UNSET: Any = object()


def _check_owner(actor: Any, owner: Any) -> None:
    if owner is None:
        return
    allowed = assignable_owner_ids(actor)
    if allowed is not None and owner.pk not in allowed:
        raise ValidationError({"owner": [_("You cannot make this person the owner.")]})


def _department_of(owner: Any) -> Any:
    employee = getattr(owner, "employee", None) if owner is not None else None
    return employee.department if employee else None


def _set_tags(customer: Customer, names: list[str] | None) -> None:
    if names is None:
        return
    clean = sorted({n.strip()[:50] for n in names if n and n.strip()})
    tags = [Tag.objects.get_or_create(name=n)[0] for n in clean]
    customer.tags.set(tags)


def _apply_search_keys(customer: Customer) -> None:
    full, initials = pinyin_keys(customer.name)
    short_full, short_initials = pinyin_keys(customer.short_name) if customer.short_name else ("", "")
    customer.search_pinyin = full
    customer.search_initials = initials
    customer.name_key = company_key(customer.name)  # for the duplicate check (查重)
    if short_full and not full.startswith(short_full):
        # The short name is searched too: keep its keys after a separator.
        customer.search_pinyin = f"{full}|{short_full}"[:255]
        customer.search_initials = f"{initials}|{short_initials}"[:100]


@transaction.atomic
def customer_create(*, actor: Any, data: dict[str, Any], tags: list[str] | None = None,
                    owner: Any = UNSET) -> Customer:
    """Create a customer. The owner defaults to the actor; pass owner=None for the public pool."""
    data = dict(data)
    owner = actor if owner is UNSET else owner
    _check_owner(actor, owner)
    data["custom"] = clean_custom_values("customer", data.get("custom"))
    customer = Customer(**data, owner=owner, created_by=actor)
    if customer.department_id is None:
        customer.department = _department_of(owner) or _department_of(actor)
    _apply_search_keys(customer)
    record_create(actor=actor, instance=customer)
    _set_tags(customer, tags)
    return customer


@transaction.atomic
def customer_update(*, actor: Any, customer: Customer, data: dict[str, Any], version: int | None,
                    tags: list[str] | None = None) -> Customer:
    data = dict(data)
    if "owner" in data:
        _check_owner(actor, data["owner"])
        if data["owner"] is not None and "department" not in data:
            data["department"] = _department_of(data["owner"]) or customer.department
    if "custom" in data:
        data["custom"] = clean_custom_values("customer", data["custom"])
    if "name" in data or "short_name" in data:
        probe = Customer(name=data.get("name", customer.name), short_name=data.get("short_name", customer.short_name))
        _apply_search_keys(probe)
        data["search_pinyin"], data["search_initials"] = probe.search_pinyin, probe.search_initials
        data["name_key"] = probe.name_key
    updated = record_update(actor=actor, instance=customer, data=data, version=version)
    _set_tags(updated, tags)
    return updated


@transaction.atomic
def customer_delete(*, actor: Any, customer: Customer, version: int | None = None) -> Customer:
    return record_soft_delete(actor=actor, instance=customer, version=version)


@transaction.atomic
def customer_restore(*, actor: Any, customer: Customer) -> Customer:
    return record_restore(actor=actor, instance=customer)


def _one_primary(contact: Contact) -> None:
    if contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).exclude(pk=contact.pk).update(
            is_primary=False
        )


@transaction.atomic
def contact_create(*, actor: Any, customer: Customer, data: dict[str, Any]) -> Contact:
    data = dict(data)
    data["custom"] = clean_custom_values("contact", data.get("custom"))
    if not customer.contacts.filter(deleted_at__isnull=True).exists():
        data.setdefault("is_primary", True)
    contact = record_create(actor=actor, instance=Contact(customer=customer, **data))
    _one_primary(contact)
    return contact


@transaction.atomic
def contact_update(*, actor: Any, contact: Contact, data: dict[str, Any], version: int | None) -> Contact:
    data = dict(data)
    if "custom" in data:
        data["custom"] = clean_custom_values("contact", data["custom"])
    contact = record_update(actor=actor, instance=contact, data=data, version=version)
    _one_primary(contact)
    return contact


@transaction.atomic
def contact_delete(*, actor: Any, contact: Contact, version: int | None = None) -> Contact:
    return record_soft_delete(actor=actor, instance=contact, version=version)


@transaction.atomic
def contact_restore(*, actor: Any, contact: Contact) -> Contact:
    return record_restore(actor=actor, instance=contact)
