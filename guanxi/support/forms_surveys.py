"""Web forms of surveys: the settings form (questions as a validated JSON list), sending to a customer, and the
public answer form (which only parses: services/survey_answers.py validates)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin, model_choice
from guanxi.customers.models import Customer

from .models import Survey, SurveyInvitation

QUESTIONS_EXAMPLE = ('[{"key": "speed", "label": "Was the answer quick enough?", "type": "choice", '
                     '"choices": ["Yes", "No"], "required": true}]')


class SurveyForm(BootstrapMixin, forms.ModelForm):
    questions_json = forms.CharField(
        label=_("Extra questions (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_("A list of questions asked after the score, each with key, label, type (text, choice or scale "
                    "1-5), choices (for choice) and required. Example: %(example)s") % {"example": QUESTIONS_EXAMPLE})

    class Meta:
        model = Survey
        fields = ["name", "kind", "intro", "send_after_close", "every_days", "valid_days", "is_active"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk and self.instance.questions:
            self.initial["questions_json"] = json.dumps(self.instance.questions, ensure_ascii=False, indent=2)
        self.style()
        self.fields["questions_json"].widget.attrs["class"] += " font-monospace"

    def clean_questions_json(self) -> Any:
        text = (self.cleaned_data.get("questions_json") or "").strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)d, column %(col)d): %(msg)s."),
                params={"line": exc.lineno, "col": exc.colno, "msg": exc.msg}) from None

    def _post_clean(self) -> None:  # the service validates the model
        pass

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["questions"] = self.cleaned_data.get("questions_json") or []
        return data


class SurveySendForm(BootstrapMixin, forms.Form):
    """The customer select offers only the chosen customer; a search box (htmx) fills in others."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    channel = forms.ChoiceField(label=_("Send by"), required=False,
                                choices=[("", _("Best available (e-mail, else SMS, else link)")),
                                         *SurveyInvitation.Channel.choices])

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choice(self, "customer")
        field.queryset = Customer.objects.visible_to(user)
        chosen = self.data.get("customer") if self.is_bound else (self.initial.get("customer") or "")
        options = list(field.queryset.filter(pk=chosen).values_list("pk", "name")) if str(chosen).isdigit() else []
        field.widget.choices = [("", _("Search for a customer…")), *options]
        self.style()


class SurveyAnswerForm(forms.Form):
    """The public page: a score, the survey's extra questions (`q_<key>`) and a comment. The fields accept any
    text: the service says what is missing or out of range, once per field (`add_service_errors`)."""

    score = forms.CharField(required=False)
    comment = forms.CharField(label=_("Anything else you would like to tell us?"), required=False, strip=False,
                              widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}))

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.questions = [q for q in (survey.questions or []) if isinstance(q, dict) and q.get("key")]
        for q in self.questions:
            kind = q.get("type", "text")
            if kind in ("choice", "scale"):
                choices = ([(str(c), str(c)) for c in q.get("choices") or []] if kind == "choice"
                           else [(str(n), str(n)) for n in range(1, 6)])
                widget: forms.Widget = forms.RadioSelect(choices=choices, attrs={"class": "form-check-input"})
            else:
                widget = forms.Textarea(attrs={"rows": 2, "class": "form-control"})
            self.fields[f"q_{q['key']}"] = forms.CharField(label=q.get("label", ""), required=False, strip=False,
                                                           widget=widget)

    def question_fields(self) -> list[Any]:
        return [(q, self[f"q_{q['key']}"]) for q in self.questions]

    def answers(self) -> dict[str, Any]:
        return {q["key"]: self.data.get(f"q_{q['key']}", "") for q in self.questions}

    def add_service_errors(self, exc: Any) -> None:
        for key, messages in exc.message_dict.items():
            name = "q_" + key[len("answers."):] if key.startswith("answers.") else key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
