"""Web forms for leads, campaigns, the public web form, lead import and the lead rules. They shape and check
input; the services do the writes (and check again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.customers.forms import BootstrapMixin, DateInput, DateTimeLocalInput, PersonChoiceField
from guanxi.customers.models import Customer, Interaction
from guanxi.governance import permissions
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users, assignable_owner_ids

from .models import AssignmentRule, Campaign, DuplicateRule, Lead
from .services.lead_import import COLUMNS

LEAD_FIELDS = ("name", "company", "title", "mobile", "email", "credit_code", "province", "city", "industry",
               "source", "campaign", "score", "notes")
OWNER_ME, OWNER_RULES, OWNER_NONE = "me", "rules", "none"


def _model_field(name: str, **kwargs: Any) -> forms.Field:
    model_field: Any = Lead._meta.get_field(name)
    field = model_field.formfield(**kwargs)
    assert field is not None
    return field


def people_for(user: Any) -> Any:
    qs = active_users()
    allowed = assignable_owner_ids(user)
    if allowed is not None:
        qs = qs.filter(pk__in=allowed)
    return qs


class LeadForm(BootstrapMixin, forms.Form):
    owner_choice = forms.ChoiceField(label=_("Owner"), required=False)
    confirm_duplicates = forms.BooleanField(label=_("Save anyway: I have checked the possible duplicates"),
                                            required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, lead: Lead | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user, self.lead = user, lead
        for name in LEAD_FIELDS:
            widget = forms.Textarea(attrs={"rows": 3}) if name == "notes" else None
            self.fields[name] = _model_field(name, **({"widget": widget} if widget else {}))
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.ModelChoiceField)
        campaign_field.queryset = Campaign.objects.filter(is_active=True) if lead is None or not lead.campaign_id \
            else Campaign.objects.filter(is_active=True) | Campaign.objects.filter(pk=lead.campaign_id)
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["source"].initial = Lead.Source.OTHER
        if lead is not None:
            del self.fields["owner_choice"]
            for name in LEAD_FIELDS:
                value = getattr(lead, f"{name}_id" if name == "campaign" else name)
                self.fields[name].initial = value
            self.fields["version"].initial = lead.version
        elif permissions.scope_of(user) == "own":
            del self.fields["owner_choice"]
        else:
            choices: list[tuple[str, Any]] = [(OWNER_ME, _("Me")), (OWNER_RULES, _("By the assignment rules")),
                                              (OWNER_NONE, _("Nobody yet"))]
            people = [(str(u.pk), person_name(u)) for u in people_for(user)[:300]
                      if u.pk != user.pk]
            if people:
                choices.append((str(_("People")), people))
            owner_field = self.fields["owner_choice"]
            assert isinstance(owner_field, forms.ChoiceField)
            owner_field.choices = choices
        self.style()

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in LEAD_FIELDS}
        for name in LEAD_FIELDS:
            if data[name] is None and name not in ("campaign", "score"):
                data[name] = ""
        if data["score"] is None:
            data["score"] = 0
        if self.lead is not None:
            return {k: v for k, v in data.items() if k in self.changed_data or k == "mobile"}
        return data

    def owner(self, unset: Any, auto: Any) -> Any:
        choice = self.cleaned_data.get("owner_choice") or OWNER_ME
        if choice == OWNER_ME:
            return unset
        if choice == OWNER_RULES:
            return auto
        if choice == OWNER_NONE:
            return None
        return people_for(self.user).filter(pk=int(choice)).first() if choice.isdigit() else unset


class ActivityForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Interaction.Channel.choices,
                                initial=Interaction.Channel.PHONE)
    summary = forms.CharField(label=_("Summary"), max_length=200)
    content = forms.CharField(label=_("Details"), required=False, max_length=10000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    occurred_at = forms.DateTimeField(label=_("When"), required=False, widget=DateTimeLocalInput(),
                                      help_text=_("Empty: now."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()


class StatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[c for c in Lead.Status.choices if c[0] != "converted"])
    reason = forms.CharField(label=_("Reason for disqualifying"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()


class AssignForm(BootstrapMixin, forms.Form):
    owner = PersonChoiceField(label=_("New owner"), queryset=active_users(), required=False,
                              empty_label=_("Nobody (unassigned)"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200,
                             help_text=_("Required when the lead already has an owner."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = people_for(user)
        self.style()


class ConvertForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Customer type"), choices=Customer.Kind.choices, initial=Customer.Kind.COMPANY)
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=200,
                                    help_text=_("Empty: the lead's company (or name, for an individual)."))
    existing = forms.IntegerField(label=_("Add to an existing customer instead"), required=False,
                                  widget=forms.HiddenInput)
    create_opportunity = forms.BooleanField(label=_("Also create an opportunity"), required=False)
    opportunity_name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)
    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=0, max_digits=14, decimal_places=2)
    expected_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DateInput())
    confirm_duplicates = forms.BooleanField(label=_("Create anyway: I have checked the possible duplicates"),
                                            required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()


class CampaignForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "kind", "starts_on", "ends_on", "budget", "department", "is_active"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class PublicLeadForm(BootstrapMixin, forms.Form):
    """The public web form. `website` is a honeypot: people do not see it, robots fill it in."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("Email"), required=False)
    province = forms.CharField(label=_("Province"), max_length=20, required=False)
    notes = forms.CharField(label=_("How can we help?"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    website = forms.CharField(label=_("Website"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mobile") and not data.get("email") and "mobile" not in self.errors:
            self.add_error("mobile", _("Leave a mobile number or an email so we can reach you."))
        return data

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("CSV or Excel file"),
                           help_text=_("UTF-8 or GBK CSV (with or without BOM), or .xlsx; the first row names "
                                       "the columns."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()


IMPORT_MODES = [("all", _("Import nothing if any row is bad")), ("valid", _("Import the good rows, report the bad"))]
IMPORT_ASSIGN = [("rules", _("By the assignment rules")), ("me", _("Me")), ("none", _("Nobody yet"))]


class ImportRunForm(BootstrapMixin, forms.Form):
    mode = forms.ChoiceField(label=_("When some rows are bad"), choices=IMPORT_MODES, initial="all")
    assign = forms.ChoiceField(label=_("Owner of rows without one"), choices=IMPORT_ASSIGN, initial="rules")
    confirm_duplicates = forms.BooleanField(label=_("Import possible duplicates too (the rule says warn)"),
                                            required=False)

    def __init__(self, *args: Any, headers: list[str], mapping: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", _("(ignore)")), *[(k, label) for k, (label, _aliases) in COLUMNS.items()]]
        self.columns = []
        for i, header in enumerate(headers):
            name = f"col_{i}"
            self.fields[name] = forms.ChoiceField(label=header or _("(no name)"), choices=choices, required=False,
                                                  initial=mapping[i] if i < len(mapping) else "")
            self.columns.append(name)
        self.style()

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for name in self.columns]

    def column_fields(self) -> list[Any]:
        return [self[name] for name in self.columns]


class DuplicateRuleForm(BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, rules: list[DuplicateRule], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for rule in rules:
            self.fields[rule.field] = forms.ChoiceField(label=rule.get_field_display(),
                                                        choices=DuplicateRule.Action.choices, initial=rule.action)
        self.style()


class AssignmentRuleForm(BootstrapMixin, forms.ModelForm):
    members = forms.ModelMultipleChoiceField(label=_("Members"), queryset=active_users(), required=False,
                                             help_text=_("Empty: every active sales rep in the team."),
                                             widget=forms.SelectMultiple(attrs={"size": 8}))

    class Meta:
        model = AssignmentRule
        fields = ["name", "method", "match_values", "department", "position", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.order_by("name")
        members = self.fields["members"]
        assert isinstance(members, forms.ModelMultipleChoiceField)
        members.label_from_instance = person_name  # type: ignore[method-assign,assignment]
        if self.instance.pk:
            self.fields["members"].initial = list(self.instance.members.values_list("pk", flat=True))
        self.style()

    def service_data(self) -> tuple[dict[str, Any], list[Any]]:
        return ({name: self.cleaned_data.get(name) for name in self.Meta.fields},
                list(self.cleaned_data.get("members") or []))
