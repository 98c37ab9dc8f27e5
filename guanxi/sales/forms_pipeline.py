"""Web forms of the pipeline area. They shape and check input; the services write (and check again)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin, DateInput, PersonChoiceField, model_choice
from guanxi.customers.models import Customer, Product
from guanxi.governance.selectors import active_users, assignable_owner_ids

from .models import Opportunity, Pipeline, Stage, Target


def _owner_queryset(user: Any, current_id: int | None = None) -> Any:
    allowed = assignable_owner_ids(user)
    qs = active_users()
    if allowed is not None:
        qs = qs.filter(pk__in=allowed | ({current_id} if current_id else set()))
    return qs


class OpportunityForm(BootstrapMixin, forms.ModelForm):
    """Create (with the customer) or edit (without) an opportunity. The customer select offers only the
    chosen customer; a search box (htmx) fills in others the user may change."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    owner = PersonChoiceField(label=_("Owner"), queryset=active_users().none(), required=False,
                              help_text=_("Empty: the customer's owner."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Opportunity
        fields = ["customer", "name", "amount", "expected_close_date", "owner", "competitors", "notes"]
        widgets = {"expected_close_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any, with_customer: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        if with_customer:
            field = model_choice(self, "customer")
            field.queryset = Customer.objects.editable_by(user)
            chosen = self.data.get("customer") if self.is_bound else (self.initial.get("customer") or "")
            chosen = getattr(chosen, "pk", chosen)
            options = list(Customer.objects.editable_by(user).filter(pk=chosen).values_list("pk", "name")) \
                if str(chosen).isdigit() else []
            field.widget.choices = [("", _("Search for a customer…")), *options]
        else:
            del self.fields["customer"]
        current = self.instance.owner_id if self.instance.pk else None
        model_choice(self, "owner").queryset = _owner_queryset(user, current)
        self.fields["amount"].help_text = _("With products below, the amount is their total.")
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        self.style()

    def _post_clean(self) -> None:
        # The services validate the model (with pipeline and stage, which this form does not set).
        pass

    def service_data(self) -> dict[str, Any]:
        names = ["name", "amount", "expected_close_date", "competitors", "notes"]
        data = {n: self.cleaned_data[n] for n in names if n in self.cleaned_data}
        if data.get("amount") is None:
            data["amount"] = Decimal("0")
        if self.cleaned_data.get("owner") is not None:
            data["owner"] = self.cleaned_data["owner"]
        elif self.instance.pk:
            data["owner"] = None
        return data


class OpportunityLineForm(BootstrapMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), max_digits=12, decimal_places=3,
                                  required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), min_value=Decimal("0"), max_digits=14, decimal_places=2,
                                    required=False, help_text=_("Empty: the product's price."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "product").queryset = Product.objects.filter(is_active=True).order_by("name")
        self.style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.has_changed() and not data.get("product") and not self.errors:
            self.add_error("product", _("Choose a product."))
        return data

    def line(self) -> dict[str, Any] | None:
        if not self.has_changed() or not self.cleaned_data.get("product"):
            return None
        return {"product": self.cleaned_data["product"], "quantity": self.cleaned_data.get("quantity") or Decimal("1"),
                "unit_price": self.cleaned_data.get("unit_price")}


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict[str, Any]]:
        return [line for form in self.forms if (line := cast(OpportunityLineForm, form).line()) is not None]


# formset_factory returns a subclass of `formset`; its stub only says "some BaseFormSet".
OpportunityLineFormSet = cast(type[BaseLineFormSet], forms.formset_factory(
    OpportunityLineForm, formset=BaseLineFormSet, extra=3, max_num=50, validate_max=True))


class MoveForm(forms.Form):
    stage = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=300)
    version = forms.IntegerField(required=False, min_value=1)


class PipelineForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "department", "is_default"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].help_text = _(
            "New opportunities of this department's customers (and its sub-departments', unless they have their "
            "own) use this pipeline. Empty: a company-wide pipeline.")
        self.fields["is_default"].help_text = _("The pipeline for customers whose department has none.")
        self.style()


class StageForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "probability", "kind"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["kind"].help_text = _("Won and lost are final: moving there asks for a reason.")
        self.style()

    def _post_clean(self) -> None:
        pass


class TargetForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Target
        fields = ["metric", "period", "period_start", "department", "user", "value"]
        widgets = {"period_start": DateInput()}

    def __init__(self, *args: Any, departments: Any, people: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "department").queryset = departments
        self.fields["user"] = PersonChoiceField(label=_("Employee"), queryset=people, required=False)
        self.fields["department"].help_text = _("Leave department and employee empty for a company-wide target.")
        self.fields["period_start"].help_text = _("Any day of the month or quarter; it is stored as the first day.")
        self.fields["value"].help_text = _("Money for revenue and gross profit; a number for customers and "
                                           "follow-ups.")
        self.style()

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}

