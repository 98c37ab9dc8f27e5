"""Web forms of the knowledge base (the services validate again; these only parse), and the search filter
that the web list and `GET /api/knowledge/articles` share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin
from guanxi.customers.models import Product
from guanxi.governance import permissions

from .models import Article

ALL_STATUSES = "all"


class KnowledgeFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        help_text=_("Words of the question or answer, in Chinese, English or pinyin."))
    category = forms.CharField(label=_("Category"), required=False, max_length=50)
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1, help_text=_("The product's id."))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[(Article.Status.APPROVED, _("Approved")), (ALL_STATUSES, _("All statuses")),
                                        *[c for c in Article.Status.choices if c[0] != Article.Status.APPROVED]],
                               help_text=_("Approved articles unless you write articles and choose another."))

    def clean_product(self) -> Product | None:
        pk = self.cleaned_data.get("product")
        if pk is None:
            return None
        product = Product.objects.filter(pk=pk).first()
        if product is None:
            raise forms.ValidationError(_("Choose a valid product."))
        return product

    def criteria(self, user: Any) -> dict[str, Any]:
        """Keyword arguments for the selectors (call after is_valid())."""
        data = self.cleaned_data
        status = data.get("status") or Article.Status.APPROVED
        if not permissions.can(user, permissions.CHANGE):
            status = Article.Status.APPROVED
        return {"category": data.get("category") or None, "product": data.get("product"),
                "status": None if status == ALL_STATUSES else status}


class ArticleForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Question"), max_length=200,
                            help_text=_("As a customer would ask it, e.g. 如何申请退款？"))
    answer = forms.CharField(label=_("Agreed answer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 10}),
                             help_text=_("Plain text; line breaks are kept."))
    category = forms.CharField(label=_("Category"), max_length=50, required=False,
                               widget=forms.TextInput(attrs={"list": "kb-categories", "autocomplete": "off"}))
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    tags = forms.CharField(label=_("Tags"), max_length=200, required=False,
                           help_text=_("Separated by commas, e.g. 退款, refund, 售后."))
    change_note = forms.CharField(label=_("What changed"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, article: Article | None = None, source: Any = None, **kwargs: Any) -> None:
        """`source`: where an edit starts from (the pending version, if any; else the article)."""
        super().__init__(*args, **kwargs)
        products = Product.objects.filter(is_active=True)
        if article is not None and article.product_id:
            products = products | Product.objects.filter(pk=article.product_id)
        self.fields["product"].queryset = products.order_by("name")  # type: ignore[attr-defined]
        if article is not None and not self.is_bound:
            for name in ("title", "answer", "category", "tags"):
                self.fields[name].initial = getattr(source or article, name)
            self.fields["product"].initial = article.product_id
            self.fields["version"].initial = article.version
        self.style()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data.get(name) for name in ("title", "answer", "category", "tags", "product", "change_note")}


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), max_length=500, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
