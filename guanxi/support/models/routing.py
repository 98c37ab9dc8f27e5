"""Routing rules: which team a new ticket goes to; round-robin inside the team (services/routing.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .tickets import Ticket


class RoutingRule(models.Model):
    """The first active rule (by position) whose non-empty conditions all match the ticket wins."""

    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100)
    ticket_type = models.CharField(_("ticket type"), max_length=12, choices=Ticket.Type.choices, blank=True)
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    province = models.CharField(_("region (province)"), max_length=20, blank=True)
    customer_level = models.CharField(_("customer level"), max_length=1, blank=True)
    team = models.ForeignKey("governance.Department", verbose_name=_("team"), on_delete=models.CASCADE,
                             related_name="+")
    round_robin = models.BooleanField(_("assign round-robin inside the team"), default=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class TeamCursor(models.Model):
    """Round-robin position of a team: who got its last ticket."""

    team = models.OneToOneField("governance.Department", on_delete=models.CASCADE, primary_key=True,
                                related_name="+")
    last_assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    def __str__(self) -> str:
        return f"{self.team_id} → {self.last_assignee_id}"
