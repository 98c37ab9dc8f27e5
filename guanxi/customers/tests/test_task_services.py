"""Tasks: whom the actor may give a task to is checked by the service itself, not only the form/API."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from guanxi.customers.models import Task
from guanxi.customers.services.activity import interaction_create, task_create, task_update


def _due() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=1)


def _refused(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return exc.value.message_dict["assignee"]


def test_rep_may_give_tasks_only_to_themself(org, customers):
    task = task_create(actor=org.rep, data={"title": "回访", "due_at": _due()})
    assert task.assignee == org.rep
    task_create(actor=org.rep, data={"title": "回访", "due_at": _due(), "assignee": org.rep})
    with pytest.raises(ValidationError) as exc:
        task_create(actor=org.rep, data={"title": "越权", "due_at": _due(), "assignee": org.rep_west})
    assert _refused(exc)
    assert not Task.objects.filter(title="越权").exists()


@pytest.mark.parametrize(("actor", "assignee", "allowed"), [
    ("manager", "rep", True),        # East manager -> East rep
    ("manager", "rep_sh", True),     # -> Shanghai, inside East
    ("manager", "rep_west", False),  # -> another department
    ("admin", "rep_west", True),     # scope "all": anyone
    ("analyst", "rep", True),        # all-scope role
    ("rep_sh", "rep", False),
])
def test_assignable_people_follow_the_actors_scope(org, actor, assignee, allowed):
    data = {"title": "t", "due_at": _due(), "assignee": getattr(org, assignee)}
    if allowed:
        assert task_create(actor=getattr(org, actor), data=data).assignee == getattr(org, assignee)
    else:
        with pytest.raises(ValidationError) as exc:
            task_create(actor=getattr(org, actor), data=data)
        assert _refused(exc)


def test_refusal_is_translated(org):
    """The message goes through gettext in the request's language (Chinese once the catalogue is compiled)."""
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(ValidationError) as exc:
                task_create(actor=org.rep, data={"title": "t", "due_at": _due(), "assignee": org.rep_west})
            assert _refused(exc) == [translation.gettext("You cannot give tasks to this person.")]


def test_update_refuses_a_new_assignee_out_of_reach(org, customers):
    task = task_create(actor=org.rep, data={"title": "回访", "due_at": _due(), "customer": customers.own})
    with pytest.raises(ValidationError) as exc:
        task_update(actor=org.rep, task=task, data={"assignee": org.rep_west}, version=task.version)
    assert _refused(exc)
    task.refresh_from_db()
    assert task.assignee == org.rep and task.version == 1


def test_update_keeps_a_current_holder_the_actor_could_not_pick(org, customers):
    """An admin gave a task on the rep's customer to someone in another department; the rep can
    still edit it (and send the unchanged assignee back, as a form does) but cannot pick that person."""
    task = task_create(actor=org.admin, data={"title": "回访", "due_at": _due(), "customer": customers.own,
                                              "assignee": org.rep_west})
    task = task_update(actor=org.rep, task=task, data={"title": "再次回访", "assignee": org.rep_west},
                       version=task.version)
    assert task.title == "再次回访" and task.assignee == org.rep_west
    task = task_update(actor=org.rep, task=task, data={"assignee": org.rep}, version=task.version)
    assert task.assignee == org.rep
    with pytest.raises(ValidationError) as exc:
        task_update(actor=org.rep, task=task, data={"assignee": org.rep_west}, version=task.version)
    assert _refused(exc)


def test_current_holder_is_read_from_the_database_not_the_callers_copy(org, customers):
    task = task_create(actor=org.admin, data={"title": "回访", "due_at": _due(), "customer": customers.own,
                                              "assignee": org.rep})
    stale = Task.objects.get(pk=task.pk)
    task_update(actor=org.admin, task=task, data={"assignee": org.rep_west}, version=None)
    task_update(actor=org.admin, task=task, data={"assignee": org.rep}, version=None)
    stale.assignee_id = org.rep_west.pk  # a caller's copy claiming the out-of-reach person holds it
    with pytest.raises(ValidationError):
        task_update(actor=org.rep, task=stale, data={"assignee": org.rep_west}, version=None)


def test_follow_up_task_goes_to_the_actor(org, customers):
    interaction_create(actor=org.rep, customer=customers.own,
                       data={"summary": "电话", "next_follow_up_at": _due()})
    assert Task.objects.get().assignee == org.rep
