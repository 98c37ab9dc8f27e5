from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class ActiveEmployeeMiddleware:
    """A departed employee's open sessions stop working at once, not when they expire."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_superuser:
            employee = getattr(user, "employee", None)
            if employee is not None and employee.status != "active":
                logout(request)
        return self.get_response(request)
