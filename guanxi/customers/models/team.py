from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerTeamMember(models.Model):
    """团队成员: people besides the owner who work with a customer, so the relationship is shared.

    Membership widens visibility (see visibility.py): read access shows the customer, write
    access also lets the member change it, until `expires_at`.
    """

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        WRITE = "write", _("Read and write")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE,
                             related_name="customer_teams")
    access = models.CharField(_("access"), max_length=5, choices=Access.choices, default=Access.READ)
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="customer_team_member_unique")]
        indexes = [models.Index(fields=["user", "customer"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.customer}"
