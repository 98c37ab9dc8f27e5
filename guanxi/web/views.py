"""The home page: a rep's / agent's day at a glance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.customers.selectors.customers import capped_count, customer_list, interaction_list
from guanxi.customers.selectors.tasks import my_tasks, task_counts
from guanxi.governance import permissions

from .http import web_view


def _greeting() -> str:
    hour = timezone.localtime().hour
    if hour < 12:
        return _("Good morning")
    if hour < 18:
        return _("Good afternoon")
    return _("Good evening")


@web_view
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    visible = customer_list(user=user)
    my_count, my_more = capped_count(visible.filter(owner_id=user.pk))
    pool_count, pool_more = capped_count(visible.filter(owner__isnull=True))
    context = {
        "greeting": _greeting(),
        "counts": task_counts(user=user),
        "next_tasks": list(my_tasks(user=user, when="open")[:8]),
        "recent": list(interaction_list(user=user).filter(staff_id=user.pk).order_by("-occurred_at", "-id")[:8]),
        "my_customers": my_count,
        "my_customers_more": my_more,
        "pool_count": pool_count,
        "pool_more": pool_more,
        "now_ts": timezone.now(),
        "can_create": permissions.can(user, permissions.CHANGE),
    }
    return render(request, "web/home.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico for clients that ask for it before reading the page's <link rel="icon">."""
    return HttpResponsePermanentRedirect(static("web/favicon.svg"))
