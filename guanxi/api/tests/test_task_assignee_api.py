"""Task assignees through the API: the service decides whom the actor may give a task to."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from guanxi.customers.services.activity import task_create


def test_patch_keeps_the_current_holder_but_refuses_picking_them(org, customers, api):
    task = task_create(actor=org.admin, data={"title": "回访", "due_at": timezone.now() + timedelta(days=1),
                                              "customer": customers.own, "assignee": org.rep_west})
    rep = api(org.rep)
    r = rep.patch(f"/tasks/{task.pk}", {"version": 1, "title": "再次回访", "assignee": org.rep_west.pk})
    assert r.status_code == 200, r.content
    assert r.json()["assignee"] == org.rep_west.pk and r.json()["title"] == "再次回访"
    r = rep.patch(f"/tasks/{task.pk}", {"version": 2, "assignee": org.rep.pk})
    assert r.status_code == 200 and r.json()["assignee"] == org.rep.pk
    r = rep.patch(f"/tasks/{task.pk}", {"version": 3, "assignee": org.rep_west.pk})
    assert r.status_code == 422 and "assignee" in r.json()["errors"]
    assert rep.patch(f"/tasks/{task.pk}", {"version": 3, "assignee": None}).status_code == 422
    assert rep.patch(f"/tasks/{task.pk}", {"version": 3, "assignee": 999999}).status_code == 422


def test_create_refuses_someone_out_of_reach(org, customers, api):
    due = (timezone.now() + timedelta(days=1)).isoformat()
    r = api(org.manager).post("/tasks", {"title": "x", "due_at": due, "assignee": org.rep_west.pk})
    assert r.status_code == 422 and "assignee" in r.json()["errors"]
    r = api(org.manager).post("/tasks", {"title": "x", "due_at": due, "assignee": org.rep_sh.pk,
                                         "customer": customers.same_dept.pk})
    assert r.status_code == 201 and r.json()["assignee"] == org.rep_sh.pk
