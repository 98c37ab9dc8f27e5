from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(using: str = "default", **kwargs: object) -> None:
    from django.db import connections

    from .search import ensure_sqlite_search_index

    ensure_sqlite_search_index(connections[using])


class CustomersConfig(AppConfig):
    name = "guanxi.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self, dispatch_uid="customers_search_index")
