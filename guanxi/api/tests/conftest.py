from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client


class Api:
    """A JSON client for /api/ as one user (session) or with a token."""

    def __init__(self, user: Any = None, token: str | None = None, header: str = "Authorization"):
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            self.client.force_login(user)
        if token is not None:
            self.headers = {header: f"Bearer {token}" if header == "Authorization" else token}

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        url = "/api" + path
        if method == "get":
            return self.client.get(url, params, **kwargs)
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)

    def walk(self, path: str, limit: int = 200, **params: Any) -> list[dict]:
        """Every item of a paginated list, following next_cursor."""
        items: list[dict] = []
        cursor = None
        for _ in range(1000):
            query = {"limit": limit, **params}
            if cursor:
                query["cursor"] = cursor
            r = self.get(path, **query)
            assert r.status_code == 200, r.content
            body = r.json()
            items.extend(body["items"])
            cursor = body["next_cursor"]
            if not cursor:
                return items
        raise AssertionError("pagination did not end")


@pytest.fixture
def api():
    return Api
