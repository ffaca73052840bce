"""A real SMTP server on 127.0.0.1 (``aiosmtpd``) that keeps what it receives.

It can be stopped and started again on the same port (the server "down for a
minute"), and it can hold a message before answering (a worker killed mid-send).
"""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Keeper:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if self.server.hold_at == "rcpt":
            self.server.arriving.set()
            while self.server.hold.is_set():
                time.sleep(0.05)  # the sender waits before it has handed the message over
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.server.hold_at == "data":
            self.server.arriving.set()
            while self.server.hold.is_set():
                time.sleep(0.05)  # the message is here; the answer waits
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        with self.server.lock:
            self.server.received.append(mail)
        return "250 Message accepted for delivery"


class SmtpServer:
    """``url`` is what ``SMTP_URL`` takes; ``received`` the parsed messages, in order."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.received: list[EmailMessage] = []
        self.lock = threading.Lock()
        #: While set, a sender is kept waiting at ``hold_at`` ("rcpt" or "data").
        self.hold = threading.Event()
        self.hold_at = "rcpt"
        self.arriving = threading.Event()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.hold.clear()
        self.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.received if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)
