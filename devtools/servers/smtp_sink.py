"""A local SMTP server that keeps what it is sent, for tests and ``intake demo``.

It listens on loopback only and accepts AUTH over plain text there, because
that is what lets the real client code (login, envelope sender) run unchanged.
It can be stopped and started again on the same port, so tests can take "the
mail server" down and bring it back, and it can refuse chosen recipients with
a 4xx or 5xx reply to exercise retry and failure handling.
"""
from __future__ import annotations

import email
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from devtools.servers.ports import LOOPBACK, find_free_port

log = logging.getLogger(__name__)

# The banner name; giving one also spares aiosmtpd a reverse DNS lookup.
SERVER_NAME = "smtp-sink.localhost"


@dataclass(frozen=True)
class ReceivedMail:
    envelope_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage


class _Handler:
    """aiosmtpd hooks; they run on the server's thread, hence the lock."""

    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self._sink.reply_for(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self._sink._record(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        return "250 OK: queued"


def _drop_login_data_warning(record: logging.LogRecord) -> bool:
    # aiosmtpd 1.4 warns on every successful AUTH, even through its own new API.
    return "login_data is deprecated" not in record.getMessage()


class SmtpSink:
    """Start with ``with SmtpSink() as sink:``; read ``sink.messages``.

    ``credentials`` maps user → password; ``None`` accepts any login (and mail
    without login). ``eml_dir`` also writes each message there as a .eml file.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        credentials: dict[str, str] | None = None,
        eml_dir: str | os.PathLike[str] | None = None,
        recipient_replies: dict[str, str] | None = None,
    ) -> None:
        self.host = LOOPBACK
        self.port = port or find_free_port(LOOPBACK)
        self.credentials = dict(credentials) if credentials is not None else None
        self.eml_dir = Path(eml_dir) if eml_dir is not None else None
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self._logins: list[str] = []
        self._recipient_replies = {k.lower(): v for k, v in (recipient_replies or {}).items()}
        self._controller: Controller | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpSink:
        if self._controller is not None:
            return self
        logging.getLogger("mail.log").addFilter(_drop_login_data_warning)
        if self.eml_dir is not None:
            self.eml_dir.mkdir(parents=True, exist_ok=True)
        # A fresh Controller each time: a stopped one has closed its event loop.
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname=SERVER_NAME,
            authenticator=self._authenticate,
            auth_require_tls=False,  # loopback only; lets clients log in without TLS
            auth_required=False,
            ready_timeout=5.0,
        )
        controller.start()  # returns once the server has answered a connection
        self._controller = controller
        return self

    def stop(self) -> None:
        """Close the listening socket; connecting afterwards is refused."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- behaviour ---------------------------------------------------------

    def set_recipient_reply(self, address: str, reply: str | None) -> None:
        """Answer RCPT TO:<address> with ``reply`` (e.g. "550 5.1.1 no such user"); None accepts again."""
        with self._lock:
            if reply is None:
                self._recipient_replies.pop(address.lower(), None)
            else:
                if reply[:1] not in ("4", "5"):
                    raise ValueError("a recipient reply must be a 4xx or 5xx SMTP reply line")
                self._recipient_replies[address.lower()] = reply

    def reply_for(self, address: str) -> str | None:
        with self._lock:
            return self._recipient_replies.get(address.lower())

    # -- what arrived --------------------------------------------------------

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot, safe to read while the server thread keeps receiving."""
        with self._lock:
            return list(self._messages)

    @property
    def logins(self) -> list[str]:
        with self._lock:
            return list(self._logins)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._logins.clear()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = self.credentials is None or self.credentials.get(user) == password
        if not ok:
            # handled=False: aiosmtpd then answers 535 itself (True would leave the client waiting).
            return AuthResult(success=False, handled=False)
        with self._lock:
            self._logins.append(user)
        return AuthResult(success=True, auth_data=auth_data)

    def _record(self, envelope_from: str, rcpt_tos: list[str], data: bytes) -> None:
        message = email.message_from_bytes(data, policy=policy.default)
        mail = ReceivedMail(envelope_from=envelope_from, rcpt_tos=rcpt_tos, data=data, message=message)
        with self._lock:
            self._messages.append(mail)
            number = len(self._messages)
        if self.eml_dir is not None:
            self._write_eml(number, data)

    def _write_eml(self, number: int, data: bytes) -> None:
        name = f"{number:04d}-{hashlib.sha256(data).hexdigest()[:12]}.eml"
        target = self.eml_dir / name
        partial = target.with_suffix(".eml.part")
        # Write then rename, so whoever lists the folder never sees half a message.
        partial.write_bytes(data)
        partial.replace(target)
        log.debug("smtp sink wrote %s", target)
