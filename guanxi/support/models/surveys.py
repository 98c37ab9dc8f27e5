"""Satisfaction surveys: question sets, single-use invitations (a link with a token) and responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", _("CSAT (1-5)")
        NPS = "nps", _("NPS (0-10)")
        CUSTOM = "custom", _("Custom questions")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    # Extra questions after the score: [{"key": "q1", "label": "...", "type": "text" | "choice" | "scale",
    # "choices": [...], "required": false}]
    questions = models.JSONField(_("questions"), default=list, blank=True)
    send_after_close = models.BooleanField(_("send when a ticket is closed"), default=False)
    every_days = models.PositiveSmallIntegerField(
        _("send to active customers every (days)"), null=True, blank=True,
        help_text=_("Empty: not on a schedule."))
    valid_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SurveyInvitation(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        LINK = "link", _("Link only")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                               related_name="invitations")
    token = models.CharField(max_length=64, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_invitations")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey("Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="survey_invitations")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(_("sent by"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("sent to"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-id"]
        indexes = [models.Index(fields=["customer", "survey", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer_id}"


class SurveyResponse(models.Model):
    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(_("kind"), max_length=6, choices=Survey.Kind.choices)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="survey_responses")
    ticket = models.ForeignKey("Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="survey_responses")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    score = models.SmallIntegerField(_("score"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    is_detractor = models.BooleanField(_("unhappy"), default=False)
    follow_up_task = models.ForeignKey("customers.Task", verbose_name=_("follow-up task"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.survey} {self.score}"
