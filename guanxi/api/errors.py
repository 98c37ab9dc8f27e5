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
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters", "form",
                                               "ninja_pagination")]
    return ".".join(parts) or "__all__"


def _message(err: dict[str, Any]) -> str:
    """Pydantic's messages are English only; say the common ones in the user's language."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "value_error" and err.get("msg") and "ctx" not in err:
        return str(err["msg"])  # ours, already translated
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return _("Enter a valid date like 2024-05-31.")
    if kind.startswith("datetime") or kind.startswith("timezone"):
        return _("Enter a valid date and time like 2024-05-31T14:30:00+08:00.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind.startswith("decimal") or kind in ("float_parsing", "float_type"):
        return _("Enter a number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return _("Select a valid choice: %(choices)s.") % {"choices": expected} if expected else \
            _("Select a valid choice.")
    if kind == "string_too_long":
        return _("Ensure this value has at most %(n)s characters.") % {"n": ctx.get("max_length", "?")}
    if kind == "string_too_short":
        return _("This field may not be blank.")
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(n)s.") % {"n": ctx.get("ge", "?")}
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(n)s.") % {"n": ctx.get("le", "?")}
    if kind in ("greater_than", "less_than"):
        return _("This value is out of range.")
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        return _("This value has the wrong type.")
    return str(err.get("msg", ""))


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
        """Bad query-string or path parameters -> 400 (malformed request); bad body fields -> 422."""
        errors: dict[str, list[str]] = {}
        malformed = True
        for err in exc.errors:
            loc = list(err.get("loc", []))
            if not loc or loc[0] not in ("query", "path"):
                malformed = False
            errors.setdefault(_field_name(loc), []).append(_message(err))
        if malformed:
            return respond(request, 400, _("Some query parameters are not valid."), errors)
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
