"""Forms for the settings pages. They parse and show errors; the services decide what is valid."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.customers.models import CustomFieldDefinition

from .models import AuditLog, Department, Employee, Role, Scope
from .selectors_people import audit_actor_choices, audited_entities, department_tree, manager_choices

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class BootstrapMixin:
    """Give every widget Bootstrap's classes, and mark invalid ones after validation."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's ValidationError on the named fields (others become form-wide errors)."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                target = name if name in self.fields else None  # type: ignore[attr-defined]
                for message in errors:
                    self.add_error(target, message)  # type: ignore[attr-defined]
        else:
            for message in exc.messages:
                self.add_error(None, message)  # type: ignore[attr-defined]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                widget = self.fields[name].widget  # type: ignore[attr-defined]
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def _department_choices(exclude_ids: set[int] | None = None) -> list[tuple[Any, Any]]:
    exclude_ids = exclude_ids or set()
    return [("", _("— none —"))] + [
        (node.department.pk, node.path) for node in department_tree() if node.department.pk not in exclude_ids
    ]


def _manager_choices(exclude_pk: int | None = None) -> list[tuple[Any, Any]]:
    return [("", _("— none —"))] + [
        (e.pk, f"{e} ({e.user.username})") for e in manager_choices() if e.pk != exclude_pk
    ]


def _get(model: Any, pk: Any) -> Any:
    return model.objects.filter(pk=pk).first() if pk else None


class DepartmentChoiceField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any):
        super().__init__(coerce=int, empty_value=None, required=False, **kwargs)


# ---------------------------------------------------------------- audit trail


class AuditFilterForm(BootstrapMixin, forms.Form):
    entity = forms.ChoiceField(label=_("Record type"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False,
                               choices=[("", _("Any action")), *AuditLog.Action.choices])
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", _("Any record type")), *audited_entities()]  # type: ignore[attr-defined]
        self.fields["actor"].choices = [("", _("Anyone"))] + [  # type: ignore[attr-defined]
            (u.pk, f"{person_name(u)} ({u.username})") for u in audit_actor_choices()
        ]
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


# ---------------------------------------------------------------- custom fields


class CustomFieldForm(BootstrapMixin, forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One choice per line. Only used by choice fields."),
    )

    class Meta:
        model = CustomFieldDefinition
        fields = ["entity", "label", "key", "field_type", "required", "max_length", "position", "show_in_list"]
        help_texts = {
            "key": _("Used in imports, exports and the API. Lower-case letters, digits and underscores; "
                     "cannot be changed later."),
            "max_length": _("For text fields: the longest value accepted."),
            "position": _("Smaller numbers come first in forms and lists."),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Values are stored under the key: changing it (or the record type) would orphan them.
            self.fields["key"].disabled = True
            self.fields["entity"].disabled = True
            self.fields["choices_text"].initial = "\n".join(str(c) for c in self.instance.choices or [])
        self._style()
        self.fields["field_type"].widget.attrs["x-model"] = "fieldType"

    def clean_key(self) -> str:
        key = (self.cleaned_data.get("key") or "").strip()
        if not KEY_RE.match(key):
            raise ValidationError(
                _("Start with a lower-case letter; use only lower-case letters, digits and underscores.")
            )
        return key

    def clean_choices_text(self) -> list[str]:
        lines = [line.strip() for line in (self.cleaned_data.get("choices_text") or "").splitlines()]
        choices: list[str] = []
        for line in lines:
            if line and line not in choices:
                choices.append(line)
        return choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("field_type") == CustomFieldDefinition.FieldType.CHOICE and not data.get("choices_text"):
            self.add_error("choices_text", _("A choice field needs at least one choice."))
        return data

    def definition(self) -> CustomFieldDefinition:
        """The instance with the form's values applied, ready for `custom_field_save`."""
        definition = self.instance
        is_choice = self.cleaned_data.get("field_type") == CustomFieldDefinition.FieldType.CHOICE
        definition.choices = (self.cleaned_data.get("choices_text") or []) if is_choice else []
        return definition

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "choices" in exc.error_dict:
            exc.error_dict["choices_text"] = exc.error_dict.pop("choices")
        super().add_service_errors(exc)


# ---------------------------------------------------------------- people


class EmployeeFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *Employee.Status.choices])
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices])
    department = DepartmentChoiceField(label=_("Department"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("Any department")), *_department_choices()[1:]]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = _("Name, username or e-mail")
        self._style()


class EmployeeCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False),
                               help_text=_("At least 8 characters, not only digits, not a common password."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES_REP)
    department = DepartmentChoiceField(label=_("Department"))
    manager = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int, empty_value=None)
    scope = forms.ChoiceField(label=_("Visibility scope"), required=False,
                              choices=[("", _("The role's default")), *Scope.choices])
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices()  # type: ignore[attr-defined]
        self.fields["manager"].choices = _manager_choices()  # type: ignore[attr-defined]
        self.fields["password"].widget.attrs["autocomplete"] = "new-password"
        self.fields["username"].widget.attrs["autocomplete"] = "off"
        self._style()

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "username": data["username"], "password": data["password"], "name": data.get("name") or "",
            "email": data.get("email") or "", "role": data["role"], "scope": data.get("scope") or "",
            "department": _get(Department, data.get("department")),
            "manager": _get(Employee, data.get("manager")),
            "phone": data.get("phone") or "",
        }


class EmployeeEditForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    department = DepartmentChoiceField(label=_("Department"))
    manager = forms.TypedChoiceField(label=_("Manager"), required=False, coerce=int, empty_value=None)
    scope = forms.ChoiceField(label=_("Visibility scope"), required=False,
                              choices=[("", _("The role's default")), *Scope.choices],
                              help_text=_("Whose customers this person sees: the role's default unless set here."))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args: Any, employee: Employee, **kwargs: Any):
        kwargs.setdefault("initial", {
            "name": employee.user.first_name, "email": employee.user.email, "role": employee.role,
            "department": employee.department_id, "manager": employee.manager_id, "scope": employee.scope,
            "phone": employee.phone,
        })
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices()  # type: ignore[attr-defined]
        self.fields["manager"].choices = _manager_choices(exclude_pk=employee.pk)  # type: ignore[attr-defined]
        self._style()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data.get("name") or "", "email": data.get("email") or "", "role": data["role"],
            "scope": data.get("scope") or "", "phone": data.get("phone") or "",
            "department": _get(Department, data.get("department")),
            "manager": _get(Employee, data.get("manager")),
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for old, new in (("first_name", "name"),):
                if old in exc.error_dict:
                    exc.error_dict[new] = exc.error_dict.pop(old)
        super().add_service_errors(exc)


class DepartmentForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    parent = DepartmentChoiceField(label=_("Part of"), help_text=_("Leave empty for a top-level department."))

    def __init__(self, *args: Any, department: Department | None = None, **kwargs: Any):
        if department is not None:
            kwargs.setdefault("initial", {"name": department.name, "parent": department.parent_id})
        super().__init__(*args, **kwargs)
        # A department cannot move under itself or its own sub-departments: do not even offer them.
        exclude: set[int] = set()
        if department is not None and department.pk:
            from .selectors import department_subtree_ids

            exclude = set(department_subtree_ids(department.pk))
        self.fields["parent"].choices = [("", _("— top level —")), *_department_choices(exclude)[1:]]  # type: ignore[attr-defined]
        self._style()

    def parent_department(self) -> Department | None:
        return _get(Department, self.cleaned_data.get("parent"))


# ---------------------------------------------------------------- API tokens


class ApiTokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. “ERP sync” or “my laptop”."))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Optional. The token stops working at the end of this day."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise ValidationError(_("The expiry date is in the past."))
        return day

    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        tz = timezone.get_current_timezone()
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
