"""API authentication: the browser session (with CSRF) or a personal token (`Authorization: Bearer gx_…`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from guanxi.governance import permissions
from guanxi.governance.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """Session auth that refuses users who are no longer active employees."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and permissions.role_of(user) is None:
            return None
        return user


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = api_token_authenticate(key or "")
        if user is not None:
            request.user = user
        return user


API_AUTH = [TokenAuth(), TokenHeaderAuth(), ActiveSessionAuth()]
