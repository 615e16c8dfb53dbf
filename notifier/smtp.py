"""Hand one message to the SMTP server, and say whether trying again can help.

smtplib, socket and ssl errors are translated here, at the boundary, into the
small family below so the outbox can decide retry / fail / stop:

* ``PermanentSendError``: the server refused *this message or recipient* with
  a 5xx (unknown mailbox, content refused, too big). Retrying cannot help.
* ``TransientSendError``: try again later: a 4xx for this message, or any
  failure that is not about this message. Its subclasses set
  ``server_wide`` so a flush stops instead of hammering the server:

  - ``ServerUnavailableError``: connection refused or reset, timeout, TLS
    failure, disconnect, 421 — the server is unreachable or going away.
  - ``SmtpSetupError``: the server rejects our login (535), our envelope
    sender, or STARTTLS, or the password variable is unset. Staff must fix
    the smtp settings. This is deliberately *not* permanent: failing every
    queued reply because of a config mistake would lose them all, so rows
    wait with back-off (and the error is recorded on each) until it is fixed.
    Stopping at the first one also avoids repeated failed logins, which
    NetEase treats as an attack and answers by locking the mailbox.

The rule underneath: a failure that is not about this message never fails it.

``SmtpSession`` sends many messages over one connection (one login, not one
per reply): before it reuses the connection it asks the server whether it is
still there (NOOP), and logs in again when not, so a connection the server
dropped while idle never turns into a failure of the next message.
"""
from __future__ import annotations

import functools
import smtplib
import socket
import ssl
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from intake.core.config import ConfigError, SmtpSettings


class SendError(Exception):
    """The message was not accepted by the server."""

    server_wide = False  # true when no other message could go now either


class TransientSendError(SendError):
    """Not sent this time; the same message may go later."""


class ServerUnavailableError(TransientSendError):
    server_wide = True


class SmtpSetupError(TransientSendError):
    """Our configuration is refused; nothing will go until staff fix it."""

    server_wide = True


class PermanentSendError(SendError):
    """The server refused this message for good."""


def send_message(settings: SmtpSettings, message: EmailMessage | bytes, *, to_address: str) -> None:
    """Send ``message`` to ``to_address`` (the outbox row's); raise a ``SendError`` if not accepted.

    ``message``: an EmailMessage, or its bytes as they go on the wire (the
    outbox's stored reply: sent as stored, not parsed and written again)."""
    message = _wire(message)
    _check_to_header(message, to_address)
    client = _connect_and_login(settings)
    try:
        _transaction(client, envelope_sender(settings), to_address, message)
    finally:
        _close_quietly(client)


# Servers close a session after some number of messages (often with a 421
# that would stop the flush); a new login well before that is cheap.
MESSAGES_PER_CONNECTION = 50
# Servers drop a connection left idle for a minute or more; one used this
# recently needs no NOOP first (a round trip for every reply of a busy flush).
IDLE_BEFORE_NOOP_SECONDS = 5.0


class SmtpSession:
    """Messages sent one after another over one connection, as ``send_message`` sends one.

    Use as a context manager; calling it has ``send_message``'s signature,
    so the outbox can hand it over wherever it takes a sender.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.logins = 0
        self._client: smtplib.SMTP | None = None
        self._sent_on_client = 0
        self._last_answer = 0.0  # time.monotonic() of the server's last answer on this connection

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __call__(self, settings: SmtpSettings, message: EmailMessage | bytes, *, to_address: str) -> None:
        if settings != self.settings:  # not the account this session logged in to
            send_message(settings, message, to_address=to_address)
            return
        message = _wire(message)
        _check_to_header(message, to_address)
        client = self._usable_client()
        try:
            _transaction(client, envelope_sender(settings), to_address, message)
        except SendError as exc:
            if exc.server_wide:
                self.close()
            raise
        finally:
            self._sent_on_client += 1
        self._last_answer = time.monotonic()

    def close(self) -> None:
        client, self._client = self._client, None
        _close_quietly(client)

    def _usable_client(self) -> smtplib.SMTP:
        # A connection that answered moments ago is still there: the NOOP is for one left idle.
        idle = time.monotonic() - self._last_answer >= IDLE_BEFORE_NOOP_SECONDS
        if self._client is not None and (self._sent_on_client >= MESSAGES_PER_CONNECTION
                                         or (idle and not _answers(self._client))):
            self.close()
        if self._client is None:
            self._client = _connect_and_login(self.settings)
            self._sent_on_client = 0
            self.logins += 1
        return self._client


def _answers(client: smtplib.SMTP) -> bool:
    """Whether the server still takes commands on this connection (it may have closed an idle one)."""
    try:
        code, _text = client.noop()
    except (smtplib.SMTPException, OSError):
        return False
    return code == 250


def envelope_sender(settings: SmtpSettings) -> str:
    """The MAIL FROM address: the login when it is an address, else from_address.

    126.com refuses mail whose envelope sender differs from the logged-in
    account, and a null sender (<>) would mark our replies as bounces.
    """
    if "@" in settings.username:
        return settings.username
    return settings.from_address


def _wire(message: EmailMessage | bytes) -> bytes:
    return message if isinstance(message, bytes) else message.as_bytes(policy=policy.SMTP)


def _check_to_header(wire: bytes, to_address: str) -> None:
    """The envelope recipient must be the one address the reader sees in To."""
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(wire.partition(b"\r\n\r\n")[0])
    addresses = [addr for _name, addr in getaddresses(head.get_all("To", [])) if addr]
    if len(addresses) != 1:
        raise PermanentSendError(f"a reply must have exactly one To address, this one has {len(addresses)}")
    if addresses[0].casefold() != to_address.casefold():
        raise PermanentSendError("the message's To address is not the address it is to be sent to")


def _connect_and_login(settings: SmtpSettings) -> smtplib.SMTP:
    """Everything before MAIL FROM; any failure here is server-wide."""
    try:
        password = settings.resolved_password() if settings.username else None
    except ConfigError as exc:
        raise SmtpSetupError(str(exc)) from None
    if settings.username and password is None:
        raise SmtpSetupError("smtp.username is set but no password (smtp.password or smtp.password_env)")

    client: smtplib.SMTP | None = None
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                local_hostname=_local_hostname(),
                timeout=settings.timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(
                settings.host, settings.port, local_hostname=_local_hostname(), timeout=settings.timeout_seconds
            )
        client.ehlo()
        if settings.security == "starttls":
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if settings.username:
            client.login(settings.username, password)
        return client
    except smtplib.SMTPAuthenticationError as exc:
        _close_quietly(client)
        raise SmtpSetupError(f"login refused: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        _close_quietly(client)
        raise SmtpSetupError(f"server does not support what smtp.security/username need: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        # Banner 554 (our IP is blocked), HELO refused, STARTTLS refused, 421 …
        _close_quietly(client)
        raise ServerUnavailableError(f"server refused the session: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        # OSError covers refused, reset, unreachable, DNS, timeouts and ssl.SSLError.
        _close_quietly(client)
        raise ServerUnavailableError(f"cannot reach {settings.host}:{settings.port}: {_describe(exc)}") from None


def _transaction(client: smtplib.SMTP, sender: str, recipient: str, wire: bytes) -> None:
    """MAIL FROM, RCPT TO, DATA: here a reply can be about this message."""
    try:
        client.sendmail(sender, [recipient], wire)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        raise _by_code(code, f"recipient refused: {_reply(code, text)}") from None
    except smtplib.SMTPSenderRefused as exc:
        reply = _reply(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code == 552:
            # Sent back to MAIL FROM ... SIZE=: this message is too big.
            raise PermanentSendError(f"message refused: {reply}") from None
        if 400 <= exc.smtp_code < 500:
            # Typically a sending quota ("451 MI:SFQ" at NetEase): affects every message.
            raise ServerUnavailableError(f"sender deferred: {reply}") from None
        raise SmtpSetupError(f"envelope sender {sender} refused: {reply}") from None
    except smtplib.SMTPDataError as exc:
        raise _by_code(exc.smtp_code, f"message refused: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        # e.g. an address needing SMTPUTF8 the server lacks: only this message is affected.
        raise PermanentSendError(f"message needs an extension the server lacks: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, f"server answered {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except (smtplib.SMTPException, OSError) as exc:
        # Disconnects and timeouts mid-transaction: the server did not take it.
        raise ServerUnavailableError(f"connection lost while sending: {_describe(exc)}") from None


def _by_code(code: int, text: str) -> SendError:
    if code == 421:
        return ServerUnavailableError(text)
    if 500 <= code < 600:
        return PermanentSendError(text)
    return TransientSendError(text)


def _close_quietly(client: smtplib.SMTP | None) -> None:
    # After the server accepted the message, a failing QUIT must not turn it
    # into an error (that would send it twice).
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


@functools.cache
def _local_hostname() -> str:
    # smtplib looks the name up again on every connection; once is enough.
    return socket.getfqdn() or "localhost"


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
