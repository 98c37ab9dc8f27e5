"""Web forms. They only shape and check input; the services do the writes (and check again)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.governance import permissions
from guanxi.governance.selectors import active_users, assignable_owner_ids

from .models import Contact, Customer, CustomFieldDefinition, Interaction, Order, Product, Task
from .services.custom_fields import clean_custom_values

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any):
        super().__init__(format=DATETIME_LOCAL, **kwargs)


def changed_data(form: Any) -> dict[str, Any]:
    """An edit form's model fields the user changed: an untouched date (shown in local time) is not
    sent back as a "change" of time zone, and the audit trail lists only real edits."""
    return {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.changed_data}


class BootstrapMixin:
    """Bootstrap classes on every widget, and is-invalid on fields with errors."""

    def style(self) -> None:
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            # Only errors already found: reading self.errors here would validate the form before a
            # subclass's __init__ has narrowed its querysets or made fields required.
            if self._errors and name in self._errors:  # type: ignore[attr-defined]
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self.style()

    def add_service_errors(self, exc: ValidationError, prefix_map: dict[str, str] | None = None) -> None:
        """Put a service's ValidationError on the matching fields (others on the form)."""
        prefix_map = prefix_map or {}
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)  # type: ignore[attr-defined]
        else:
            for key, errors in exc.message_dict.items():
                field: str | None = key
                for prefix, replacement in prefix_map.items():
                    if key.startswith(prefix):
                        field = replacement + key[len(prefix):]
                if field not in self.fields:  # type: ignore[attr-defined]
                    field = None
                for message in errors:
                    self.add_error(field, message)  # type: ignore[attr-defined]
        self.style()


def custom_field(definition: CustomFieldDefinition) -> forms.Field:
    label, required = definition.label, definition.required
    kind = definition.field_type
    if kind == CustomFieldDefinition.FieldType.NUMBER:
        return forms.DecimalField(label=label, required=required)
    if kind == CustomFieldDefinition.FieldType.DATE:
        return forms.DateField(widget=DateInput(), label=label, required=required)
    if kind == CustomFieldDefinition.FieldType.CHOICE:
        choices = [("", "—")] + [(str(c), str(c)) for c in definition.choices]
        return forms.ChoiceField(choices=choices, label=label, required=required)
    return forms.CharField(max_length=definition.max_length, label=label, required=required)


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of people, shown by name (张伟) rather than username."""

    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """`form.fields[name]` as the ModelChoiceField it is (`fields` is typed as plain Fields)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a ModelChoiceField")
    return field


class CustomFieldsMixin(BootstrapMixin):
    """Adds `cf_<key>` inputs for the entity's active custom fields; `custom_values()` returns them."""

    entity = ""

    def add_custom_fields(self, definitions: list[CustomFieldDefinition], current: dict[str, Any]) -> None:
        self.custom_definitions = definitions
        for definition in definitions:
            name = f"cf_{definition.key}"
            self.fields[name] = custom_field(definition)  # type: ignore[attr-defined]
            if definition.key in current:
                self.initial[name] = current[definition.key]  # type: ignore[attr-defined]

    @property
    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"cf_{d.key}"] for d in self.custom_definitions]  # type: ignore[index]

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(f"cf_{definition.key}")  # type: ignore[attr-defined]
            if value in (None, ""):
                continue
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            values[definition.key] = value
        return values

    def clean_custom(self) -> None:
        if any(f"cf_{d.key}" in self.errors for d in self.custom_definitions):  # type: ignore[attr-defined]
            return
        try:
            clean_custom_values(self.entity, self.custom_values(), self.custom_definitions)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                name = "cf_" + key.removeprefix("custom.")
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)  # type: ignore[attr-defined]


class CustomerForm(CustomFieldsMixin, forms.ModelForm):
    entity = "customer"

    tags_text = forms.CharField(
        label=_("Tags"), required=False, max_length=500,
        help_text=_("Separate tags with commas, e.g. VIP, Shanghai, distributor."),
    )
    owner = PersonChoiceField(
        label=_("Owner"), queryset=active_users(), required=False,
        empty_label=_("Nobody (public pool)"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Customer
        fields = [
            "kind", "name", "short_name", "credit_code", "industry", "source", "province", "city", "address",
            "birthday", "lifecycle", "churn_reason", "notes",
        ]
        widgets = {
            "birthday": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: Any, definitions: list[CustomFieldDefinition], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        customer: Customer = self.instance
        # Owners a rep with the "own" scope cannot choose: they always own what they create.
        allowed = assignable_owner_ids(user)
        if permissions.scope_of(user) == "own":
            del self.fields["owner"]
        else:
            qs = active_users()
            if allowed is not None:
                qs = qs.filter(pk__in=allowed)
            model_choice(self, "owner").queryset = qs
            self.fields["owner"].initial = customer.owner_id if customer.pk else user.pk
        if customer.pk:
            self.fields["version"].initial = customer.version
            self.fields["tags_text"].initial = ", ".join(t.name for t in customer.tags.all())
        self.add_custom_fields(definitions, customer.custom or {} if customer.pk else {})
        self.style()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.clean_custom()
        return data

    def tag_names(self) -> list[str]:
        raw = self.cleaned_data.get("tags_text") or ""
        return [t.strip() for t in raw.replace("，", ",").split(",") if t.strip()]

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["custom"] = self.custom_values()
        if "owner" in self.fields:
            data["owner"] = self.cleaned_data.get("owner")
        return data

    @property
    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.Meta.fields]


class ContactForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = ["name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary"]
        widgets = {"birthday": DateInput(), "mobile": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self.style()

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class InteractionForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["channel", "direction", "contact", "summary", "content", "occurred_at", "next_follow_up_at"]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 3}),
            "occurred_at": DateTimeLocalInput(),
            "next_follow_up_at": DateTimeLocalInput(),
        }

    def __init__(self, *args: Any, customer: Customer, contacts: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.customer = customer
        contact = model_choice(self, "contact")
        contact.queryset = contacts
        contact.empty_label = _("(no particular contact)")
        self.fields["occurred_at"].required = False
        self.fields["occurred_at"].help_text = _("Leave empty for now.")
        if not self.is_bound and not self.instance.pk:
            self.initial["occurred_at"] = timezone.localtime().strftime(DATETIME_LOCAL)
        self.style()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        occurred = data.get("occurred_at") or self.instance.occurred_at or timezone.now()
        upcoming = data.get("next_follow_up_at")
        if upcoming and upcoming <= occurred:
            self.add_error("next_follow_up_at", _("The next follow-up must be after this one."))
        return data

    def _post_clean(self) -> None:
        # The service validates the record (it knows the customer and staff member).
        pass

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if not data["occurred_at"]:
            data.pop("occurred_at")
        return data


class InteractionEditForm(InteractionForm):
    """Edit a logged follow-up. The next follow-up date is not offered: it made a task when it was logged,
    and that task is edited on its own."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta(InteractionForm.Meta):
        fields = ["channel", "direction", "contact", "summary", "content", "occurred_at"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].required = True
        self.fields["occurred_at"].help_text = ""
        self.fields["version"].initial = self.instance.version
        self.style()

    def service_data(self) -> dict[str, Any]:
        return changed_data(self)


class TaskForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "due_at", "notes"]
        widgets = {"due_at": DateTimeLocalInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            tomorrow = timezone.localtime() + datetime.timedelta(days=1)
            self.initial["due_at"] = tomorrow.replace(hour=10, minute=0).strftime(DATETIME_LOCAL)
        self.style()

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def assignee_choices(user: Any, current_id: int | None = None) -> Any:
    """Active people `user` may give tasks to (always themself; the current assignee is kept as a choice)."""
    qs = active_users()
    allowed = assignable_owner_ids(user)
    if allowed is not None:
        qs = qs.filter(pk__in=allowed | {user.pk} | ({current_id} if current_id else set()))
    return qs


class TaskEditForm(TaskForm):
    assignee = PersonChoiceField(label=_("Assignee"), queryset=active_users(), empty_label=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta(TaskForm.Meta):
        fields = ["title", "due_at", "assignee", "notes"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "assignee").queryset = assignee_choices(user, self.instance.assignee_id)
        self.fields["version"].initial = self.instance.version
        self.style()

    def service_data(self) -> dict[str, Any]:
        return changed_data(self)


class OrderForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["number", "status", "channel", "ordered_at"]
        widgets = {"ordered_at": DateTimeLocalInput()}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.instance.pk:
            self.initial["ordered_at"] = timezone.localtime().strftime(DATETIME_LOCAL)
        self.style()

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class OrderEditForm(OrderForm):
    """Header fields, the status (paid / refunded / cancelled) and the delivery time; the lines stay as
    they were ordered."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta(OrderForm.Meta):
        fields = [*OrderForm.Meta.fields, "delivered_at"]
        widgets = {**OrderForm.Meta.widgets, "delivered_at": DateTimeLocalInput()}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ordered_at"].required = True
        self.fields["version"].initial = self.instance.version
        self.style()

    def service_data(self) -> dict[str, Any]:
        return changed_data(self)


class OrderLineForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False,
                                     empty_label=_("(other)"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3,
                                  required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=Decimal("0"), max_digits=14, decimal_places=2,
                                    required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "product").queryset = Product.objects.filter(is_active=True)
        self.style()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not self.has_changed():
            return data
        if not data.get("product") and not data.get("description"):
            self.add_error("description", _("Choose a product or describe the item."))
        if data.get("quantity") is None:
            self.add_error("quantity", _("Enter a quantity."))
        if data.get("unit_price") is None and not data.get("product"):
            self.add_error("unit_price", _("Enter a unit price."))
        return data

    def line(self) -> dict[str, Any] | None:
        if not self.has_changed() or not self.cleaned_data:
            return None
        data = {"product": self.cleaned_data.get("product"), "description": self.cleaned_data.get("description") or "",
                "quantity": self.cleaned_data["quantity"]}
        if self.cleaned_data.get("unit_price") is not None:
            data["unit_price"] = self.cleaned_data["unit_price"]
        return data


class BaseOrderLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError(_("Add at least one line."))

    def lines(self) -> list[dict[str, Any]]:
        return [line for form in self.forms if (line := form.line()) is not None]


# formset_factory returns a subclass of `formset`; its stub only says "some BaseFormSet".
OrderLineFormSet = cast(type[BaseOrderLineFormSet],
                        forms.formset_factory(OrderLineForm, formset=BaseOrderLineFormSet, extra=3, max_num=50,
                                              absolute_max=50, validate_max=True))
