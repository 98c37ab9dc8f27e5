"""The callback list's one filter definition: the "My callbacks" page and `GET /api/callbacks` share it."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Callback

# Still to be called: planned, or tried without reaching the customer (the agent tries again or cancels).
OPEN = [Callback.Status.PENDING, Callback.Status.UNREACHABLE]
WHEN_CHOICES = [("today", _("Due today")), ("overdue", _("Overdue")), ("upcoming", _("Upcoming")),
                ("finished", _("Finished"))]


class CallbackFilter(forms.Form):
    agent = forms.CharField(label=_("Agent"), required=False, max_length=20,
                            help_text=_("Empty or \"me\": your own callbacks; a user id or \"all\": managers only."))
    when = forms.ChoiceField(label=_("When"), required=False, choices=[("", _("Any time")), *WHEN_CHOICES])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Callback.Status.choices])
    due_from = forms.DateField(label=_("Due from"), required=False, help_text=_("A date like 2024-05-31."))
    due_to = forms.DateField(label=_("Due until"), required=False, help_text=_("A date like 2024-05-31."))

    def clean_agent(self) -> str:
        value = (self.cleaned_data.get("agent") or "").strip().lower()
        if value not in ("", "me", "all") and not value.isdigit():
            raise forms.ValidationError(_("Use \"me\", \"all\" or a user id."))
        return value or "me"

    def agent_id(self, user: Any) -> int | None:
        """The agent whose callbacks are listed; None: everyone's (that the user may see)."""
        value = self.cleaned_data.get("agent") or "me"
        if value == "me":
            return int(user.pk)
        return None if value == "all" else int(value)

    def apply(self, qs: QuerySet[Callback], user: Any, today: datetime.date | None = None) -> QuerySet[Callback]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        today = today or timezone.localdate()
        agent_id = self.agent_id(user)
        if agent_id is not None:
            qs = qs.filter(assignee_id=agent_id)
        when = data.get("when")
        if when == "today":
            qs = qs.filter(status__in=OPEN, due_date=today)
        elif when == "overdue":
            qs = qs.filter(status__in=OPEN, due_date__lt=today)
        elif when == "upcoming":
            qs = qs.filter(status__in=OPEN, due_date__gt=today)
        elif when == "finished":
            qs = qs.exclude(status__in=OPEN)
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("due_from"):
            qs = qs.filter(due_date__gte=data["due_from"])
        if data.get("due_to"):
            qs = qs.filter(due_date__lte=data["due_to"])
        return qs
