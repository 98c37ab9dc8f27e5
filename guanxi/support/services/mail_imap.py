"""Fetching the support mailbox over IMAP (issue 4 §2): every unread e-mail is filed by `receive_email` and then
marked as read. Settings: GUANXI_IMAP_HOST (empty: polling is off), _PORT, _USER, _PASSWORD, _SSL, _FOLDER,
_BATCH (e-mails per run).

Messages are fetched with BODY.PEEK (which leaves them unread) and marked read only once filed, so an e-mail
whose filing failed (say, the database was down) is tried again by the next run. Rejected e-mails are filed
too — in the received e-mail log — and marked read.
"""

from __future__ import annotations

import imaplib
import logging
from typing import Any

from django.conf import settings

from .mail import receive_email

log = logging.getLogger(__name__)


def is_configured() -> bool:
    return bool(getattr(settings, "GUANXI_IMAP_HOST", ""))


def _connect() -> Any:
    host = settings.GUANXI_IMAP_HOST
    use_ssl = getattr(settings, "GUANXI_IMAP_SSL", True)
    port = int(getattr(settings, "GUANXI_IMAP_PORT", 0) or (993 if use_ssl else 143))
    cls = imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4
    conn = cls(host, port, timeout=60)
    conn.login(getattr(settings, "GUANXI_IMAP_USER", ""), getattr(settings, "GUANXI_IMAP_PASSWORD", ""))
    return conn


def _raw(parts: Any) -> bytes | None:
    for part in parts or ():
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes | bytearray):
            return bytes(part[1])
    return None


def poll_mailbox() -> dict[str, int]:
    """File the unread e-mails of the support mailbox; the counts by outcome (and "failed")."""
    counts = {"fetched": 0, "new_ticket": 0, "reply": 0, "rejected": 0, "failed": 0}
    if not is_configured():
        return counts
    conn = _connect()
    try:
        status, _data = conn.select(getattr(settings, "GUANXI_IMAP_FOLDER", "") or "INBOX")
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open the folder: {status}")
        status, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split() if status == "OK" and data else []
        for uid in uids[:int(getattr(settings, "GUANXI_IMAP_BATCH", 50))]:
            counts["fetched"] += 1
            try:
                status, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = _raw(parts) if status == "OK" else None
                if raw is None:
                    raise imaplib.IMAP4.error(f"no message body for UID {uid!r}")
                row = receive_email(raw)
                conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
                counts[row.outcome] += 1
            except Exception:
                counts["failed"] += 1
                log.exception("Could not file the e-mail with IMAP UID %r; it stays unread for the next run", uid)
    finally:
        try:
            conn.logout()
        except Exception:
            log.debug("IMAP logout failed", exc_info=True)
    return counts
