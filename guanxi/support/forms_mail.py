"""Forms of the mail area: attachment upload, the public support form, the received e-mail log's filter.
They only parse; the services check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import normalize_phone
from guanxi.customers.forms import BootstrapMixin

from .models import InboundEmail


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, images, text, CSV or Office documents."))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()


class SupportRequestForm(BootstrapMixin, forms.Form):
    """The public support form. `website` is a honeypot: people do not see it, robots fill it in."""

    name = forms.CharField(label=_("Your name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False,
                             widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("How can we help?"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 5}))
    website = forms.CharField(label=_("Website"), required=False, max_length=200,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.style()

    def clean_mobile(self) -> str:
        try:
            return normalize_phone(self.cleaned_data.get("mobile", ""))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("mobile") and not data.get("email") and "mobile" not in self.errors \
                and "email" not in self.errors:
            self.add_error("email", _("Give the e-mail address or the mobile number we know you by."))
        return data

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))


class InboundEmailFilter(forms.Form):
    """The received e-mail log's filter: the web page and `GET /api/support/inbound-emails` share it."""

    outcome = forms.ChoiceField(label=_("Outcome"), required=False,
                                choices=[("", _("All outcomes")), *InboundEmail.Outcome.choices])
