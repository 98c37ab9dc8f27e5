"""backup → restore round trip, and refusals that leave the database untouched (SQLite or PostgreSQL).
The attachment files in backups: test_backup_files.py."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from guanxi.customers.models import Customer
from guanxi.customers.services.customers import customer_create
from guanxi.governance.services_backup import backup_create, backup_read_manifest

from .backup_helpers import private_root  # noqa: F401 - fixture
from .backup_helpers import rewrite as _rewrite

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_root")]


@pytest.fixture
def backed_up(customers, tmp_path):
    path = tmp_path / "guanxi.tar"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def test_round_trip(backed_up, org):
    manifest = backup_read_manifest(backed_up)
    assert manifest["engine"] == connection.vendor
    assert (manifest["format_version"], manifest["files"]) == (2, [])
    assert manifest["tables"]["customers_customer"] == 4
    assert len(manifest["sha256"]) == 64
    customer_create(actor=org.rep, data={"name": "备份之后新建的客户"})
    Customer.objects.filter(name="公海客户").delete()
    assert Customer.objects.count() == 4
    out = io.StringIO()
    call_command("restore", str(backed_up), stdout=out)
    assert "verified" in out.getvalue()
    names = set(Customer.objects.values_list("name", flat=True))
    assert names == {"张三贸易有限公司", "上海李四科技", "成都王五餐饮", "公海客户"}
    # A backup of the restored database holds the same rows.
    again = backup_create(path=backed_up.parent / "again.tar")
    assert again.manifest["tables"] == manifest["tables"]


def _refused(path: Path, message: str) -> None:
    before = sorted(Customer.objects.values_list("name", flat=True))
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path))
    assert sorted(Customer.objects.values_list("name", flat=True)) == before


def test_corrupt_payload_refused(backed_up, org):
    customer_create(actor=org.rep, data={"name": "不该丢失的客户"})
    manifest = backup_read_manifest(backed_up)
    with tarfile.open(backed_up) as tar:
        data = bytearray(tar.extractfile(manifest["payload"]).read())
    data[len(data) // 2] ^= 0xFF
    bad = backed_up.parent / "corrupt.tar"
    _rewrite(backed_up, bad, replace={manifest["payload"]: bytes(data)})
    _refused(bad, "checksum does not match")
    assert Customer.objects.filter(name="不该丢失的客户").exists()


def test_truncated_file_refused(backed_up):
    bad = backed_up.parent / "truncated.tar"
    bad.write_bytes(backed_up.read_bytes()[: 2000])
    _refused(bad, "damaged|not a Guanxi backup")


def test_foreign_files_refused(backed_up, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup at all")
    _refused(text, "not a Guanxi backup")
    other = tmp_path / "other.tar"
    _rewrite(backed_up, other, manifest={"format": "something-else", "tables": {}})
    _refused(other, "not a Guanxi backup")
    manifest = backup_read_manifest(backed_up)
    engine = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    wrong_engine = tmp_path / "engine.tar"
    _rewrite(backed_up, wrong_engine, manifest={**manifest, "engine": engine})
    _refused(wrong_engine, f"backup is of a {engine} database")


def test_row_count_mismatch_refused(backed_up, tmp_path):
    manifest = backup_read_manifest(backed_up)
    manifest["tables"]["customers_customer"] = 5
    bad = tmp_path / "counts.tar"
    _rewrite(backed_up, bad, manifest=manifest)
    _refused(bad, "Row counts")


def test_backup_from_newer_version_refused(backed_up, tmp_path):
    manifest = backup_read_manifest(backed_up)
    manifest["migrations"]["customers"].append("9999_from_the_future")
    bad = tmp_path / "newer.tar"
    _rewrite(backed_up, bad, manifest=manifest)
    _refused(bad, "newer version")


@pytest.mark.parametrize("version", [0, 3, "2"])
def test_unknown_format_version_refused(backed_up, tmp_path, version):
    manifest = backup_read_manifest(backed_up)
    bad = tmp_path / "version.tar"
    _rewrite(backed_up, bad, manifest={**manifest, "format_version": version})
    _refused(bad, f"uses backup format {version}; this version of Guanxi reads formats 1, 2")
