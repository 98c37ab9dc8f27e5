"""One error format for the whole API: {"detail": "...", "errors": {"field": ["message", ...]}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError


def _field_name(loc: list[Any]) -> str:
    # ninja reports ("body", "payload", "mobile") or ("query", "sort"); keep the part a user knows.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters", "form")]
    return ".".join(parts) or "__all__"


def install_error_handlers(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, detail: str, errors: dict | None = None) -> HttpResponse:
        body: dict[str, Any] = {"detail": detail}
        if errors:
            body["errors"] = errors
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def django_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            errors = {"__all__": [str(m) for m in exc.messages]}
        return respond(request, 422, _("Some fields are not valid."), errors)

    @api.exception_handler(NinjaValidationError)
    def schema_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors: dict[str, list[str]] = {}
        for err in exc.errors:
            errors.setdefault(_field_name(list(err.get("loc", []))), []).append(str(err.get("msg", "")))
        return respond(request, 422, _("Some fields are not valid."), errors)

    @api.exception_handler(ConflictError)
    def conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        return respond(request, 409, exc.message)

    @api.exception_handler(NotFoundError)
    def not_found(request: HttpRequest, exc: NotFoundError) -> HttpResponse:
        return respond(request, 404, exc.message)

    @api.exception_handler(PermissionDeniedError)
    def forbidden(request: HttpRequest, exc: PermissionDeniedError) -> HttpResponse:
        return respond(request, 403, exc.message)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, _("Log in or send a valid API token."))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, str(exc))
