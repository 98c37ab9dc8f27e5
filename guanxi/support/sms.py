"""A small pluggable SMS backend, shaped like Django's e-mail backends.

`send_sms(to, text)` hands the message to the class named by the setting GUANXI_SMS_BACKEND:

- "guanxi.support.sms.ConsoleBackend" (the default) writes each message to standard output;
- "guanxi.support.sms.LocmemBackend" keeps them in `guanxi.support.sms.outbox` (tests);
- a gateway of your own: subclass `BaseSmsBackend` and implement `send_messages`.

No external service is called by the backends shipped here.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "guanxi.support.sms.ConsoleBackend"


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


class BaseSmsBackend:
    def __init__(self, **options: Any) -> None:
        self.options = options

    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Send the messages; return how many were sent."""
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    _lock = threading.Lock()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        stream = self.options.get("stream") or sys.stdout
        with self._lock:
            for message in messages:
                stream.write(f"SMS to {message.to}\n{message.text}\n{'-' * 40}\n")
            stream.flush()
        return len(messages)


outbox: list[SmsMessage] = []


class LocmemBackend(BaseSmsBackend):
    """Keeps sent messages in the module's `outbox` list (clear it between tests)."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend(path: str | None = None, **options: Any) -> BaseSmsBackend:
    backend: type[BaseSmsBackend] = import_string(path or str(getattr(settings, "GUANXI_SMS_BACKEND", DEFAULT_BACKEND)))
    return backend(**options)


def send_sms(to: str, text: str) -> int:
    """Send one text message through the configured backend; returns 1 when sent."""
    return get_backend().send_messages([SmsMessage(to=to, text=text)])
