"""`manage.py createadmin [--username admin] [--password …]`: a superuser with an administrator profile."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from guanxi.governance.models import Role
from guanxi.governance.services import employee_create


class Command(BaseCommand):
    help = "Create an administrator account (a superuser with the admin role). Prompts for the password if not given."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", help="default: asked for (twice) on the terminal")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("Give a username.")
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"]
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            validate_password(password, user_model(username=username, email=options["email"]))
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        employee = employee_create(actor=None, username=username, password=password, role=Role.ADMIN,
                                   email=options["email"], is_superuser=True)
        self.stdout.write(self.style.SUCCESS(f"Administrator {employee.user.get_username()!r} created."))
