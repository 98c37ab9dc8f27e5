"""Importing customers and contacts: each row is checked with the model's own validation
(``Field.clean`` and ``Model.clean``) and the service rules, and written with bulk_create/bulk_update."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from guanxi.governance.selectors import assignable_owner_ids

from ..models import Contact, Customer, ImportEntity, ImportJob, Tag
from .customers import _apply_search_keys, _department_of
from .import_runner import Candidate, ParsedUnit, Runner, external_ids_in


class CustomerRunner(Runner):
    entity = ImportEntity.CUSTOMER
    model = Customer
    MODEL_KEYS = ["name", "short_name", "kind", "credit_code", "industry", "source", "province", "city",
                  "address", "birthday", "lifecycle", "churn_reason", "notes"]

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.assignable = assignable_owner_ids(self.actor)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]
        self.actor_department = _department_of(self.actor)

    def prepare(self, parsed: list[ParsedUnit]) -> None:
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing = self.load_existing(external_ids_in(ext)) if ext else {}
        self.owners = self.users(parsed, "owner")
        self.current_tags: dict[int, set[str]] = defaultdict(set)
        if "tags" in self.column_of and self.existing:
            through = Customer.tags.through
            for cid, name in through.objects.filter(customer_id__in=[c.pk for c in self.existing.values()]
                                                    ).values_list("customer_id", "tag__name"):
                self.current_tags[cid].add(name)

    def build(self, unit: ParsedUnit) -> Candidate:
        line, v = unit[0]
        ext = v.get("external_id")
        self.duplicate(line, ext)
        names = [*self.keys, "owner_id", "department_id", "custom"]
        found = self.existing.get(ext) if ext else None
        before: dict[str, Any] | None = None
        if found is None:
            inst = Customer(external_id=ext, owner=self.actor, created_by=self.actor,
                            department=self.actor_department)
        else:
            self.existing_check(line, found.pk, found.deleted_at, str(ext))
            inst = found
            before = self.snap(inst, names)
        is_new = found is None
        errors = self.assign(line, inst, v, self.keys)
        self.check_required(v, errors, is_new)
        owner_name = v.get("owner")
        if owner_name:
            owner = self.owners.get(owner_name)
            if owner is None:
                errors["owner"] = [_("No user is called “%(name)s”.") % {"name": owner_name}]
            elif self.assignable is not None and owner.pk not in self.assignable:
                errors["owner"] = [_("You cannot make this person the owner.")]
            else:
                inst.owner = owner
                inst.department = _department_of(owner) or inst.department
        self.custom_values(inst, v, errors)
        self.model_clean(inst, errors)
        if errors:
            self.fail(line, errors, v)
        changes = self.diff(before, inst, names)
        if is_new or "name" in changes or "short_name" in changes:
            _apply_search_keys(inst)
        cand = Candidate([line], inst, is_new, changes, fields=set(changes) | {"search_pinyin", "search_initials", "name_key"})
        if v.get("tags") is not None:
            wanted = {t[:50] for t in v["tags"]}
            current = self.current_tags.get(inst.pk, set()) if not is_new else set()
            if is_new or wanted != current:
                cand.extra.update(tags=wanted, changed=True)
                changes["tags"] = [sorted(current), sorted(wanted)]
        return cand

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
        tagged = [c for c in candidates if "tags" in c.extra]
        if not tagged:
            return
        names = set().union(*(c.extra["tags"] for c in tagged))
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        through = Customer.tags.through
        through.objects.filter(customer_id__in=[c.instance.pk for c in tagged if not c.is_new]).delete()
        through.objects.bulk_create([through(customer_id=c.instance.pk, tag_id=tag_ids[n])
                                     for c in tagged for n in c.extra["tags"]], ignore_conflicts=True)

    def customer_id(self, c: Candidate) -> int | None:
        return int(c.instance.pk)


class ContactRunner(Runner):
    entity = ImportEntity.CONTACT
    model = Contact
    MODEL_KEYS = ["name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary"]

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]

    def prepare(self, parsed: list[ParsedUnit]) -> None:
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing = self.load_existing(external_ids_in(ext)) if ext else {}
        self.resolve_customers(parsed)

    def build(self, unit: ParsedUnit) -> Candidate:
        line, v = unit[0]
        ext = v.get("external_id")
        self.duplicate(line, ext)
        customer = self.customer_for(line, v)
        names = [*self.keys, "customer_id", "custom"]
        found = self.existing.get(ext) if ext else None
        before: dict[str, Any] | None = None
        if found is None:
            inst = Contact(external_id=ext, customer_id=customer.id)
        else:
            self.existing_check(line, found.pk, found.deleted_at, str(ext))
            inst = found
            before = self.snap(inst, names)
            inst.customer_id = customer.id
        is_new = found is None
        errors = self.assign(line, inst, v, self.keys)
        self.check_required(v, errors, is_new)
        self.custom_values(inst, v, errors)
        self.model_clean(inst, errors)  # normalises the mobile to E.164
        if errors:
            self.fail(line, errors, v)
        changes = self.diff(before, inst, names)
        return Candidate([line], inst, is_new, changes, fields=set(changes) | {"mobile_last4"})

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
        # One primary contact per customer: the last imported primary wins; a customer without one gets
        # its first imported contact (as contact_create does).
        primary: dict[int, int] = {}
        for c in candidates:
            if c.instance.is_primary:
                primary[c.instance.customer_id] = c.instance.pk
        if primary:
            Contact.objects.filter(customer_id__in=list(primary), is_primary=True).exclude(
                pk__in=list(primary.values())).update(is_primary=False)
        touched = {c.instance.customer_id for c in candidates} - set(primary)
        if touched:
            have = set(Contact.objects.filter(customer_id__in=touched, is_primary=True, deleted_at__isnull=True)
                       .values_list("customer_id", flat=True))
            first: dict[int, int] = {}
            for c in candidates:
                if c.instance.customer_id not in have:
                    first.setdefault(c.instance.customer_id, c.instance.pk)
            if first:
                Contact.objects.filter(pk__in=list(first.values())).update(is_primary=True)
