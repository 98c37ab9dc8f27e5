"""What an uploaded file really is, from its bytes: the allow-list of attachment types.

A file is accepted only when its content is one of the allowed kinds AND its extension names that kind, so a
program renamed to .pdf or a PDF renamed to .png is refused. Programs (Windows MZ, ELF, Mach-O, scripts with
#!) are refused whatever they are called. Office files are ZIP (docx, xlsx, pptx) or OLE2 (doc, xls)
containers; the ZIP ones are checked for zip bombs from the central directory only (nothing is extracted),
and macro-enabled documents are refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# extension -> (kind, content type); the kind is what the content sniffing below reports.
ALLOWED: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "gif": ("gif", "image/gif"),
    "webp": ("webp", "image/webp"),
    "txt": ("text", "text/plain"),
    "csv": ("text", "text/csv"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "doc": ("doc", "application/msword"),
    "xls": ("xls", "application/vnd.ms-excel"),
}
KIND_LABELS = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WebP", "text": gettext_lazy("text"),
               "docx": "Word (.docx)", "xlsx": "Excel (.xlsx)", "pptx": "PowerPoint (.pptx)", "doc": "Word (.doc)",
               "xls": "Excel (.xls)", "zip": "ZIP", "ole": "Office (OLE2)"}

EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OOXML_PARTS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


class FileRefused(Exception):
    """The file may not be attached; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileType:
    extension: str
    kind: str
    content_type: str


def _limits() -> tuple[int, int, int]:
    return (int(getattr(settings, "GUANXI_ATTACHMENT_MAX_UNZIPPED_BYTES", 100 * 1024 * 1024)),
            int(getattr(settings, "GUANXI_ATTACHMENT_MAX_ZIP_ENTRIES", 2000)),
            int(getattr(settings, "GUANXI_ATTACHMENT_MAX_ZIP_RATIO", 100)))


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _zip_kind(data: bytes) -> str:
    """docx / xlsx / pptx from the container's parts; plain "zip" otherwise. Refuses bombs and macros."""
    max_total, max_entries, max_ratio = _limits()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > max_entries:
                raise FileRefused(_("The archive holds too many files (more than %(n)s).") % {"n": max_entries})
            total = sum(e.file_size for e in entries)
            names = {e.filename for e in entries}
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names and \
                archive.getinfo("[Content_Types].xml").file_size < 1024 * 1024 else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise FileRefused(_("The file is damaged and cannot be read.")) from None
    if total > max_total or total > max_ratio * max(len(data), 1):
        raise FileRefused(_("The file unpacks to far more than its size (a zip bomb); it was refused."))
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise FileRefused(_("Documents with macros are not accepted."))
    if content_types:
        for kind, prefix in OOXML_PARTS.items():
            if any(n.startswith(prefix) for n in names):
                return kind
    return "zip"


def _ole_kind(data: bytes) -> str:
    """doc or xls by the name of the main stream in the compound file's directory."""
    if _utf16("_VBA_PROJECT") in data:
        raise FileRefused(_("Documents with macros are not accepted."))
    if _utf16("WordDocument") in data:
        return "doc"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "xls"
    return "ole"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data[:65536]:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def sniff(data: bytes) -> str:
    """The kind of content: pdf, png, jpeg, gif, webp, docx, xlsx, pptx, zip, doc, xls, ole, text or ""."""
    head = data[:16]
    if any(head.startswith(magic) for magic in EXECUTABLE_MAGIC):
        raise FileRefused(_("Programs and scripts are not accepted."))
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data)
    if data and _is_text(data):
        return "text"
    return ""


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_file(name: str, data: bytes) -> FileType:
    """The file's type when its content and extension agree on an allowed kind; FileRefused otherwise."""
    kind = sniff(data)  # refuses programs whatever the name says
    extension = extension_of(name)
    allowed = ALLOWED.get(extension)
    if allowed is None:
        raise FileRefused(_("Files of this type (%(ext)s) are not accepted. Allowed: %(allowed)s.") % {
            "ext": f".{extension}" if extension else _("no extension"),
            "allowed": ", ".join(f".{e}" for e in ALLOWED)})
    if kind != allowed[0]:
        raise FileRefused(_("The file's content (%(kind)s) does not match its extension .%(ext)s.") % {
            "kind": KIND_LABELS.get(kind, _("unknown")), "ext": extension})
    return FileType(extension=extension, kind=kind, content_type=allowed[1])
