"""Errors that services raise; the web and API layers translate them to messages and status codes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class GuanxiError(Exception):
    default_message = _("The operation failed.")

    def __init__(self, message: str | None = None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)


class ConflictError(GuanxiError):
    """The record changed since the caller read it (stale `version`)."""

    default_message = _(
        "This record was changed by someone else since you opened it. "
        "Reload it to see their changes, then apply yours again."
    )


class NotFoundError(GuanxiError):
    default_message = _("Not found, or you do not have access to it.")


class PermissionDeniedError(GuanxiError):
    default_message = _("You do not have permission to do this.")
