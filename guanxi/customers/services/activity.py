"""Writes on follow-ups (跟进记录) and tasks (待办)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.governance.selectors import assignable_owner_ids

from ..models import Customer, Interaction, Task
from .records import record_create, record_restore, record_soft_delete, record_update


@transaction.atomic
def interaction_create(*, actor: Any, customer: Customer, data: dict[str, Any]) -> Interaction:
    """Log a follow-up; a next follow-up date becomes a task for the actor."""
    data = dict(data)
    data.setdefault("occurred_at", timezone.now())
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": [_("This contact belongs to another customer.")]})
    interaction = Interaction(customer=customer, staff=actor, **data)
    if interaction.next_follow_up_at and interaction.next_follow_up_at <= interaction.occurred_at:
        raise ValidationError({"next_follow_up_at": [_("The next follow-up must be after this one.")]})
    record_create(actor=actor, instance=interaction)
    # Newer wins; an old follow-up entered late does not move the date back.
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=interaction.occurred_at)
    ).update(last_interaction_at=interaction.occurred_at)
    if interaction.next_follow_up_at:
        task_create(actor=actor, data={
            "title": _("Follow up with %(customer)s") % {"customer": customer.name},
            "notes": interaction.summary,
            "due_at": interaction.next_follow_up_at,
            "assignee": actor,
            "customer": customer,
            "interaction": interaction,
        })
    return interaction


@transaction.atomic
def interaction_update(*, actor: Any, interaction: Interaction, data: dict[str, Any],
                       version: int | None) -> Interaction:
    return record_update(actor=actor, instance=interaction, data=data, version=version)


@transaction.atomic
def interaction_delete(*, actor: Any, interaction: Interaction, version: int | None = None) -> Interaction:
    return record_soft_delete(actor=actor, instance=interaction, version=version)


@transaction.atomic
def interaction_restore(*, actor: Any, interaction: Interaction) -> Interaction:
    return record_restore(actor=actor, instance=interaction)


def _check_assignee(actor: Any, assignee: Any) -> None:
    """The actor may give a task to themself and to whom they may make a customer's owner."""
    if actor is None or assignee is None:  # a system job; a missing assignee is the model's error
        return
    if assignee.pk == actor.pk:
        return
    allowed = assignable_owner_ids(actor)
    if allowed is not None and assignee.pk not in allowed:
        raise ValidationError({"assignee": [_("You cannot give tasks to this person.")]})


@transaction.atomic
def task_create(*, actor: Any, data: dict[str, Any]) -> Task:
    data = dict(data)
    data.setdefault("assignee", actor)
    _check_assignee(actor, data["assignee"])
    return record_create(actor=actor, instance=Task(created_by=actor, **data))


@transaction.atomic
def task_update(*, actor: Any, task: Task, data: dict[str, Any], version: int | None) -> Task:
    """Change a task. A new assignee must be one the actor may assign; keeping the current one
    (even someone the actor could not pick today) is always allowed."""
    assignee = data.get("assignee")
    if assignee is not None:
        current = Task._base_manager.select_for_update().values_list("assignee_id", flat=True).get(pk=task.pk)
        if assignee.pk != current:
            _check_assignee(actor, assignee)
    return record_update(actor=actor, instance=task, data=data, version=version)


@transaction.atomic
def task_complete(*, actor: Any, task: Task, done: bool = True, version: int | None = None) -> Task:
    return record_update(actor=actor, instance=task, data={"done_at": timezone.now() if done else None},
                         version=version)


@transaction.atomic
def task_delete(*, actor: Any, task: Task, version: int | None = None) -> Task:
    return record_soft_delete(actor=actor, instance=task, version=version)


@transaction.atomic
def task_restore(*, actor: Any, task: Task) -> Task:
    return record_restore(actor=actor, instance=task)
