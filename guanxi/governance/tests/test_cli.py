"""The `guanxi` command and `createadmin`."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from guanxi.governance.models import AuditLog, Role


def test_guanxi_help():
    proc = subprocess.run([sys.executable, "-m", "guanxi.cli", "--help"], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 0
    for command in ("demo", "serve", "worker", "scheduler", "createadmin", "backup", "restore"):
        assert command in proc.stdout


def test_guanxi_subcommand_help():
    from guanxi.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["scheduler", "--help"])
    assert exc.value.code == 0


def test_createadmin(db):
    out = StringIO()
    call_command("createadmin", username="boss", password="Strong-pass-2024", stdout=out)
    user = authenticate(username="boss", password="Strong-pass-2024")
    assert user is not None and user.is_superuser and user.is_staff
    assert user.employee.role == Role.ADMIN
    assert AuditLog.objects.filter(entity="employee", object_id=str(user.employee.pk)).exists()
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", username="boss", password="Strong-pass-2024")


def test_createadmin_refuses_weak_password(db):
    with pytest.raises(CommandError, match="Password refused"):
        call_command("createadmin", username="boss", password="123")


def test_createadmin_prompts(db, monkeypatch):
    answers = iter(["Strong-pass-2024", "Strong-pass-2024"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("createadmin", username="boss2", stdout=StringIO())
    assert authenticate(username="boss2", password="Strong-pass-2024") is not None
