"""Ticket attachments (files under GUANXI_PRIVATE_ROOT) in backups: round trip with identical bytes, checksums,
unsafe tar entries, format 1 backups without files, and failed restores that leave the files as they were."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from guanxi.customers.models import Customer
from guanxi.customers.services.customers import customer_create
from guanxi.governance.services_backup import BackupError, backup_create
from guanxi.support.models import TicketAttachment
from guanxi.support.services.attachments import attachment_add
from guanxi.support.services.tickets import ticket_create

from .backup_helpers import private_root, read_manifest, rewrite, sha, tree  # noqa: F401 - private_root: fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_root")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTES = "订单号 123，请尽快处理\n".encode()
BIG = os.urandom(3 * 1024 * 1024 + 17)  # more than one 1 MiB chunk


@pytest.fixture
def attachments(org, customers, private_root):  # noqa: F811
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "屏幕碎了"})
    pdf = attachment_add(actor=org.rep, ticket=ticket, upload=PDF, name="发票.pdf")
    notes = attachment_add(actor=org.rep, ticket=ticket, upload=NOTES, name="说明.txt")
    big = private_root / "imports" / "2024" / "big.bin"  # not an attachment row: every file is kept
    big.parent.mkdir(parents=True)
    big.write_bytes(BIG)
    return pdf, notes


@pytest.fixture
def backed_up(attachments, tmp_path):
    path = tmp_path / "guanxi.tar"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


def _leftovers(root: Path) -> list[str]:
    """Scratch or old folders a restore left beside the attachment folder."""
    return sorted(p.name for p in root.parent.iterdir() if p != root)


def test_backup_lists_every_file_with_size_and_checksum(backed_up, attachments, private_root):  # noqa: F811
    manifest = read_manifest(backed_up)
    pdf, notes = attachments
    assert manifest["format_version"] == 2
    assert {e["path"]: (e["size"], e["sha256"]) for e in manifest["files"]} == {
        pdf.file.name: (len(PDF), pdf.sha256),
        notes.file.name: (len(NOTES), notes.sha256),
        "imports/2024/big.bin": (len(BIG), sha(BIG)),
    }
    assert manifest["files_bytes"] == len(PDF) + len(NOTES) + len(BIG)
    with tarfile.open(backed_up) as tar:
        assert tar.extractfile(f"files/{pdf.file.name}").read() == PDF
        assert all(m.isreg() for m in tar.getmembers())
    out = io.StringIO()
    call_command("restore", str(backed_up), "--check", stdout=out)
    assert "3 files" in out.getvalue()


def test_restore_brings_deleted_files_back_byte_for_byte(backed_up, attachments, private_root, org):  # noqa: F811
    before = tree(private_root)
    for a in attachments:
        Path(a.file.path).unlink()
    (private_root / "imports" / "2024" / "big.bin").unlink()
    (private_root / "after-backup.txt").write_bytes(b"not in the backup")
    customer_create(actor=org.rep, data={"name": "备份之后新建的客户"})
    out = io.StringIO()
    call_command("restore", str(backed_up), stdout=out)
    assert "3 files, checksums verified" in out.getvalue()
    assert tree(private_root) == before  # the folder is the backup's: files back, later files gone
    for row in TicketAttachment.objects.all():
        data = row.file.open("rb").read()
        row.file.close()
        assert sha(data) == row.sha256 and len(data) == row.size
    assert {a.name for a in TicketAttachment.objects.all()} == {"发票.pdf", "说明.txt"}
    assert not Customer.objects.filter(name="备份之后新建的客户").exists()
    assert _leftovers(private_root) == []
    # A second backup of the restored installation holds the same files.
    again = backup_create(path=backed_up.parent / "again.tar")
    assert again.manifest["files"] == read_manifest(backed_up)["files"]


def _refused(path: Path, message: str, root: Path) -> None:
    """The restore fails with `message`, and neither the database nor the files changed."""
    customers = sorted(Customer.objects.values_list("name", flat=True))
    files = tree(root)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path))
    assert sorted(Customer.objects.values_list("name", flat=True)) == customers
    assert tree(root) == files
    assert _leftovers(root) == []


@pytest.fixture
def changed_since(backed_up, attachments, private_root, org):  # noqa: F811
    """After the backup: one attachment file gone, one file and one customer added (a restore would undo it)."""
    Path(attachments[0].file.path).unlink()
    (private_root / "after-backup.txt").write_bytes(b"new")
    customer_create(actor=org.rep, data={"name": "不该丢失的客户"})


@pytest.mark.parametrize("where", ["file", "manifest"])
def test_tampered_file_refused_and_nothing_changed(backed_up, attachments, changed_since, private_root,  # noqa: F811
                                                   tmp_path, where):
    manifest = read_manifest(backed_up)
    name = attachments[1].file.name
    bad = tmp_path / "tampered.tar"
    if where == "file":
        rewrite(backed_up, bad, replace={f"files/{name}": NOTES.replace(b"123", b"999")})
    else:
        for entry in manifest["files"]:
            if entry["path"] == name:
                entry["sha256"] = sha(b"something else")
        rewrite(backed_up, bad, manifest=manifest)
    _refused(bad, f"checksum of {name} does not match", private_root)
    assert Customer.objects.filter(name="不该丢失的客户").exists()


LINK = "holds a link or special file"


def _entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


@pytest.mark.parametrize(("listed", "member", "message"), [
    ("../evil", _entry("files/../evil"), "lists an unsafe path"),
    ("tickets/../../evil", _entry("files/tickets/../../evil"), "lists an unsafe path"),
    ("/srv/evil", _entry("files//srv/evil"), "lists an unsafe path"),
    (None, _entry("../evil"), "holds an unsafe path"),
    (None, _entry("/srv/evil"), "holds an unsafe path"),
    (None, _entry("files/tickets/../../../evil"), "holds an unsafe path"),
    ("tickets/link.pdf", _entry("files/tickets/link.pdf", tarfile.SYMTYPE, "/etc/passwd"), LINK),
    ("tickets/hard.pdf", _entry("files/tickets/hard.pdf", tarfile.LNKTYPE, "manifest.json"), LINK),
    ("tickets/dev", _entry("files/tickets/dev", tarfile.CHRTYPE), LINK),
    (None, _entry("files/extra.txt"), "holds an entry its manifest does not list"),
])
def test_unsafe_entries_refused(backed_up, changed_since, private_root, tmp_path, listed, member,  # noqa: F811
                                message):
    manifest = read_manifest(backed_up)
    if listed is not None:
        manifest["files"].append({"path": listed, "size": 4, "sha256": sha(b"evil")})
    bad = tmp_path / "unsafe.tar"
    rewrite(backed_up, bad, manifest=manifest, extra=[(member, b"evil" if member.isreg() else None)])
    _refused(bad, f"cannot be restored: it {message}", private_root)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "var" / "evil").exists()


def test_missing_file_refused(backed_up, attachments, changed_since, private_root, tmp_path):  # noqa: F811
    bad = tmp_path / "missing.tar"
    rewrite(backed_up, bad, drop=[f"files/{attachments[1].file.name}"])
    _refused(bad, "1 file\\(s\\) listed in its manifest are missing", private_root)


def test_failed_database_restore_leaves_the_files(backed_up, changed_since, private_root, tmp_path):  # noqa: F811
    manifest = read_manifest(backed_up)
    manifest["tables"]["customers_customer"] += 1
    bad = tmp_path / "counts.tar"
    rewrite(backed_up, bad, manifest=manifest)
    _refused(bad, "Row counts", private_root)


def test_format_1_backup_restores_the_database_and_leaves_the_files(backed_up, changed_since,
                                                                    private_root, tmp_path):  # noqa: F811
    manifest = read_manifest(backed_up)
    old = {k: v for k, v in manifest.items() if k not in ("files", "files_bytes")} | {"format_version": 1}
    v1 = tmp_path / "format1.tar"
    rewrite(backed_up, v1, manifest=old, drop=[f"files/{e['path']}" for e in manifest["files"]])
    files = tree(private_root)
    out = io.StringIO()
    call_command("restore", str(v1), stdout=out)
    assert "left as they were (format 1 backup)" in out.getvalue()
    assert not Customer.objects.filter(name="不该丢失的客户").exists()  # the database is the backup's
    assert tree(private_root) == files  # the files are not touched
    assert _leftovers(private_root) == []


def test_backup_refuses_links_in_the_folder(attachments, private_root, tmp_path):  # noqa: F811
    (private_root / "tickets" / "passwd.pdf").symlink_to("/etc/passwd")
    with pytest.raises(BackupError, match="link or special file"):
        backup_create(path=tmp_path / "linked.tar")
    assert not (tmp_path / "linked.tar").exists()
    with pytest.raises(BackupError, match="outside the attachment folder"):
        backup_create(path=private_root / "inside.tar")


def test_failed_swap_keeps_the_old_folder(backed_up, changed_since, private_root, monkeypatch):  # noqa: F811
    files = tree(private_root)
    real_rename = os.rename

    def rename(src, dst):
        # Putting the restored folder in place fails; moving the old one away and back works.
        if Path(dst) == private_root and Path(src).name.startswith(".guanxi-restore-"):
            raise OSError("disk trouble")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(CommandError, match="database was restored, but the attachment folder") as caught:
        call_command("restore", str(backed_up))
    assert tree(private_root) == files  # the old folder is back in place
    [staged] = _leftovers(private_root)
    assert str(private_root.parent / staged) in str(caught.value)
    restored = {path: sha(data) for path, data in tree(private_root.parent / staged).items()}
    assert restored == {e["path"]: e["sha256"] for e in read_manifest(backed_up)["files"]}
