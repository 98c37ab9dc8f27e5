from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_article_search_index(using: str = "default", **kwargs: object) -> None:
    """Table rebuilds on SQLite drop the triggers that keep the knowledge-base FTS5 index (migration 0003)."""
    from django.db import connections

    from .knowledge_search import INDEX

    INDEX.ensure(connections[using])


class SupportConfig(AppConfig):
    name = "guanxi.support"
    label = "support"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        post_migrate.connect(_ensure_article_search_index, sender=self, dispatch_uid="support_article_search_index")
