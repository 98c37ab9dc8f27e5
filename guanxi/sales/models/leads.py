"""Leads (线索), the campaigns that bring them, duplicate-check and assignment rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.customers.models.customer import validate_credit_code
from guanxi.governance import permissions
from guanxi.governance.models import Scope
from guanxi.governance.selectors import user_department_ids


class Campaign(TimeStampedModel):
    """A marketing activity that brings leads: a car show, a roadshow, an advert, a web form…"""

    class Kind(models.TextChoices):
        EXHIBITION = "exhibition", _("Exhibition / show")
        ROADSHOW = "roadshow", _("Roadshow")
        ADVERT = "advert", _("Advertising")
        ONLINE = "online", _("Online / website")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Customer event")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.OTHER)
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(0)])
    department = models.ForeignKey("governance.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


def lead_read_q(user: Any, prefix: str = "") -> Q:
    """Leads follow the same scopes as customers; unassigned leads are visible to all who see leads."""
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.VIEW):
        return Q(pk__in=[])
    alive = Q(**{f"{prefix}deleted_at__isnull": True})
    if scope == Scope.ALL:
        return alive
    mine = Q(**{f"{prefix}owner_id": user.pk}) | Q(**{f"{prefix}owner__isnull": True})
    if scope == Scope.DEPARTMENT:
        mine |= Q(**{f"{prefix}department_id__in": user_department_ids(user)})
    return alive & mine


def lead_write_q(user: Any, prefix: str = "") -> Q:
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.CHANGE):
        return Q(pk__in=[])
    alive = Q(**{f"{prefix}deleted_at__isnull": True})
    if scope == Scope.ALL:
        return alive
    owner = Q(**{f"{prefix}owner_id": user.pk})
    if scope == Scope.DEPARTMENT:
        owner |= Q(**{f"{prefix}owner__isnull": True}) | Q(**{f"{prefix}department_id__in": user_department_ids(user)})
    return alive & owner


def lead_restore_q(user: Any) -> Q:
    """Deleted leads the user may restore from the recycle bin: the RESTORE capability, within the scope that
    would let them change the lead."""
    scope = permissions.scope_of(user)
    if scope is None or not permissions.can(user, permissions.RESTORE):
        return Q(pk__in=[])
    deleted = Q(deleted_at__isnull=False)
    if scope == Scope.ALL:
        return deleted
    owner = Q(owner_id=user.pk)
    if scope == Scope.DEPARTMENT:
        owner |= Q(owner__isnull=True) | Q(department_id__in=user_department_ids(user))
    return deleted & owner


class LeadQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> LeadQuerySet:
        return self.filter(lead_read_q(user))

    def editable_by(self, user: Any) -> LeadQuerySet:
        return self.filter(lead_write_q(user))

    def restorable_by(self, user: Any) -> LeadQuerySet:
        """Deleted leads in the user's recycle bin (the bin applies the restore window)."""
        return self.filter(lead_restore_q(user))


class Lead(TimeStampedModel, VersionedModel, SoftDeleteModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    class Source(models.TextChoices):
        WEB_FORM = "web_form", _("Web form")
        PHONE = "phone", _("Phone")
        EVENT = "event", _("Event / show")
        ADVERT = "advert", _("Advertising")
        REFERRAL = "referral", _("Referral")
        IMPORT = "import", _("Import")
        API = "api", _("API")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True,
                                   validators=[validate_credit_code])
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.OTHER)
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="leads")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    disqualify_reason = models.CharField(_("reason for disqualifying"), max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="owned_leads")
    department = models.ForeignKey("governance.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"), default=0, validators=[MaxValueValidator(100)])
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    # Normalised company name (full/half width, spaces, legal-form suffixes, branch brackets) for 查重.
    company_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    last_interaction_at = models.DateTimeField(_("last follow-up"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="source_leads")
    converted_opportunity = models.ForeignKey("sales.Opportunity", verbose_name=_("opportunity"), null=True,
                                              blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-id"]
        indexes = [models.Index(fields=["owner", "deleted_at"]), models.Index(fields=["department", "deleted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], condition=Q(external_id__gt=""),
                                    name="lead_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


class LeadActivity(TimeStampedModel):
    """A follow-up on a lead; copied to the customer's timeline when the lead is converted."""

    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, related_name="activities")
    channel = models.CharField(_("channel"), max_length=10, default="phone")
    summary = models.CharField(_("summary"), max_length=200)
    content = models.TextField(_("details"), blank=True, max_length=10000)
    occurred_at = models.DateTimeField(_("when"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True,
                              on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lead follow-up")
        verbose_name_plural = _("lead follow-ups")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return self.summary


class DuplicateRule(models.Model):
    """What happens when a new lead or customer matches an existing record on a field."""

    class Field(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        EMAIL = "email", _("Email")
        COMPANY = "company", _("Company name")
        CREDIT_CODE = "credit_code", _("Unified social credit code")

    class Action(models.TextChoices):
        BLOCK = "block", _("Block the entry")
        WARN = "warn", _("Warn, allow saving")
        ALLOW = "allow", _("Allow silently")

    field = models.CharField(_("field"), max_length=12, choices=Field.choices, unique=True)
    action = models.CharField(_("when it matches"), max_length=6, choices=Action.choices, default=Action.WARN)

    class Meta:
        verbose_name = _("duplicate check rule")
        verbose_name_plural = _("duplicate check rules")
        ordering = ["field"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.get_action_display()}"


class AssignmentRule(models.Model):
    """Who gets new leads: round-robin in a team, optionally only for a region or industry."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin in the team")
        REGION = "region", _("By region (province)")
        INDUSTRY = "industry", _("By industry")

    name = models.CharField(_("name"), max_length=100)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default=Method.ROUND_ROBIN)
    match_values = models.CharField(_("provinces or industries"), max_length=500, blank=True,
                                    help_text=_("Comma-separated; for region and industry rules."))
    department = models.ForeignKey("governance.Department", verbose_name=_("team"), on_delete=models.CASCADE,
                                   related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True,
                                     related_name="+", help_text=_("Empty: every active sales rep in the team."))
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", editable=False)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class OwnerChange(models.Model):
    """Every change of owner of a customer or lead, with its reason: the pool's and handover's ledger."""

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("Assigned")
        REASSIGN = "reassign", _("Reassigned")
        CLAIM = "claim", _("Claimed from the pool")
        RELEASE = "release", _("Released to the pool")
        RECYCLE = "recycle", _("Recycled to the pool")
        HANDOVER = "handover", _("Handed over")
        CONVERT = "convert", _("Converted")

    entity = models.CharField(_("record type"), max_length=10)  # "customer" | "lead"
    object_id = models.BigIntegerField(_("record id"))
    kind = models.CharField(_("change"), max_length=10, choices=Kind.choices)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)
    batch = models.ForeignKey("sales.Handover", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="changes")

    class Meta:
        verbose_name = _("owner change")
        verbose_name_plural = _("owner changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["entity", "object_id", "-at"]),
            models.Index(fields=["to_user", "kind", "at"]),
            models.Index(fields=["from_user", "kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.object_id}: {self.get_kind_display()}"
