"""IMAP client: connect, identify, and fetch raw mail by UID without marking it.

Only this module talks IMAP. It never deletes mail: the optional move uses
MOVE where the server has it, else COPY + \\Deleted + UID EXPUNGE of exactly
those UIDs.

``watch_for_new_mail`` keeps one more session in IMAP IDLE (RFC 2177) where
the server advertises it, and calls back on every EXISTS so new mail is
fetched within seconds; the fetching itself is still the poll's. Where IDLE
is missing (126.com), refused, or its connection drops, it says so and the
caller keeps polling; it tries IDLE again after a pause that grows.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from contextlib import contextmanager
from typing import Iterator

import imapclient
from imapclient.exceptions import IMAPClientError

from intake.core.config import MailboxSettings

log = logging.getLogger(__name__)

CLIENT_VERSION = "0.1"
# RFC 2177 asks for IDLE to be re-issued within 29 minutes; a connection that
# died without a word (a NAT or firewall dropping it) is only noticed when we
# next talk, so talk more often than that.
IDLE_RENEW_SECONDS = 300
# How long one wait inside IDLE lasts before the stop flag is looked at again.
IDLE_CHECK_SECONDS = 1.0
# Longest pause before trying IDLE again after a refusal or a dropped connection.
IDLE_RETRY_MAX_SECONDS = 3600


class MailboxError(Exception):
    """The mailbox could not be reached or refused us; the message says what to check."""


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    raw: bytes
    internaldate: datetime  # aware, as the server recorded arrival
    size: int
    # Over the size cap: ``raw`` holds the header block only, the mail stays on the server.
    headers_only: bool = False


def _arrival(data: dict) -> datetime:
    internaldate = data.get(b"INTERNALDATE")
    if internaldate is None:
        return datetime.now(timezone.utc)
    return internaldate.replace(tzinfo=timezone.utc) if internaldate.tzinfo is None else internaldate


@contextmanager
def _imap_errors(action: str) -> Iterator[None]:
    """No imaplib/socket exception leaves this module: callers see MailboxError."""
    try:
        yield
    except MailboxError:
        raise
    except (IMAPClientError, OSError, socket.timeout, ssl.SSLError) as exc:
        raise MailboxError(f"IMAP {action} 失败: {exc}. The next poll retries; check the server if it persists.") from exc


def account_key(settings: MailboxSettings) -> str:
    return f"{settings.username}@{settings.host}:{settings.port}"


class MailboxClient:
    """One logged-in IMAP session on one folder (use as a context manager)."""

    def __init__(self, settings: MailboxSettings) -> None:
        self.settings = settings
        self._client: imapclient.IMAPClient | None = None
        self.uidvalidity: int = 0
        self.capabilities: set[bytes] = set()

    def __enter__(self) -> "MailboxClient":
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self) -> None:
        s = self.settings
        try:
            client = imapclient.IMAPClient(
                s.host,
                port=s.port,
                ssl=s.security == "ssl",
                ssl_context=ssl.create_default_context() if s.security != "none" else None,
                timeout=s.timeout_seconds,
            )
            if s.security == "starttls":
                client.starttls(ssl.create_default_context())
            client.normalise_times = False
            client.login(s.username, s.resolved_password() or "")
            self._client = client
            self.capabilities = set(client.capabilities())
            if b"ID" in self.capabilities:
                # NetEase (126/163) refuses SELECT with "Unsafe Login" until the client identifies itself.
                client.id_({"name": s.id_name, "version": CLIENT_VERSION, "vendor": "intake"})
            status = client.select_folder(s.folder, readonly=s.move_to is None)
        except (IMAPClientError, OSError, socket.timeout, ssl.SSLError) as exc:
            self.close()
            raise MailboxError(
                f"无法连接或登录邮箱 {s.username}@{s.host}:{s.port}（{s.security}）: {exc}. "
                "Check mailbox.host/port/security, and that IMAP is enabled in the webmail settings "
                "with the authorization code (授权码) as the password."
            ) from exc
        self.uidvalidity = int(status[b"UIDVALIDITY"])

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection is going away either way
            try:
                client.shutdown()
            except Exception:
                pass

    @property
    def client(self) -> imapclient.IMAPClient:
        if self._client is None:
            raise MailboxError("mailbox is not open")
        return self._client

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, ascending ("N:*" also returns the last UID, so filter)."""
        with _imap_errors("SEARCH"):
            uids = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in uids if uid > last_uid)

    def fetch(self, uids: list[int], *, max_bytes: int | None = None) -> Iterator[FetchedMail]:
        """Raw bytes with BODY.PEEK[] (never sets \\Seen: staff read this inbox too).

        Sizes are asked first: a mail over ``max_bytes`` is never downloaded,
        only its header block (``headers_only``), so one huge mail cannot fill
        the worker's memory or be fetched again at every poll."""
        if not uids:
            return
        if max_bytes is not None:
            with _imap_errors("FETCH"):
                sizes = self.client.fetch(uids, ["RFC822.SIZE"])
            too_large = [uid for uid in uids if int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0)) > max_bytes]
            if too_large:
                yield from self._fetch_headers(too_large)
                uids = [uid for uid in uids if uid not in set(too_large)]
                if not uids:
                    return
        with _imap_errors("FETCH"):
            response = self.client.fetch(uids, ["BODY.PEEK[]", "INTERNALDATE", "RFC822.SIZE"])
        for uid in uids:
            data = response.get(uid)
            if data is None:
                log.warning("UID %s vanished before it could be fetched", uid)
                continue
            raw = data.get(b"BODY[]")
            if raw is None:
                raise MailboxError(f"server returned no body for UID {uid}")
            size = int(data.get(b"RFC822.SIZE", len(raw)))
            if size != len(raw):
                raise MailboxError(
                    f"UID {uid}: fetched {len(raw)} bytes but the server says {size}; not storing a partial body"
                )
            yield FetchedMail(uid=uid, raw=bytes(raw), internaldate=_arrival(data), size=size)

    def _fetch_headers(self, uids: list[int]) -> Iterator[FetchedMail]:
        with _imap_errors("FETCH"):
            response = self.client.fetch(uids, ["BODY.PEEK[HEADER]", "INTERNALDATE", "RFC822.SIZE"])
        for uid in uids:
            data = response.get(uid)
            if data is None:
                continue
            yield FetchedMail(uid=uid, raw=bytes(data.get(b"BODY[HEADER]") or b""), internaldate=_arrival(data),
                              size=int(data.get(b"RFC822.SIZE", 0)), headers_only=True)

    def move(self, uids: list[int], folder: str) -> None:
        if not uids:
            return
        with _imap_errors("MOVE"):
            self._move(uids, folder)

    def _move(self, uids: list[int], folder: str) -> None:
        client = self.client
        if not client.folder_exists(folder):
            client.create_folder(folder)
        if b"MOVE" in self.capabilities:
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [imapclient.DELETED], silent=True)
        if b"UIDPLUS" in self.capabilities:
            client.uid_expunge(uids)
        else:
            # Without UIDPLUS a plain EXPUNGE would also remove mail staff deleted
            # by hand; leave the \Deleted flag for the server to clean up instead.
            log.warning("server lacks UIDPLUS; moved mail is flagged \\Deleted but not expunged")

    # --- IMAP IDLE ---------------------------------------------------------------------

    @property
    def has_idle(self) -> bool:
        return b"IDLE" in self.capabilities

    def idle_until_new_mail(
        self, stop: threading.Event, *, idling: Callable[[], None] = lambda: None,
        renew_seconds: float = IDLE_RENEW_SECONDS,
    ) -> bool:
        """Wait in IDLE for an EXISTS; True when one came, False at ``stop`` or renewal time.

        ``idling`` is called once the server has accepted the IDLE. Raises
        MailboxError when the server refuses IDLE or the connection drops
        (also silently: the renewal's DONE then gets no answer).
        """
        client = self.client
        with _imap_errors("IDLE"):
            client.idle()
            try:
                idling()
                return self._wait_in_idle(client, stop, renew_seconds)
            finally:
                client.idle_done()

    def _wait_in_idle(self, client: imapclient.IMAPClient, stop: threading.Event, renew_seconds: float) -> bool:
        renew_at = time.monotonic() + renew_seconds
        while not stop.is_set() and time.monotonic() < renew_at:
            started = time.monotonic()
            responses = client.idle_check(timeout=IDLE_CHECK_SECONDS)
            if any(len(response) >= 2 and response[1] == b"EXISTS" for response in responses):
                return True
            if any(response and response[0] == b"BYE" for response in responses):
                raise MailboxError("IMAP server ended the IDLE session (BYE)")
            if not responses and time.monotonic() - started < IDLE_CHECK_SECONDS / 2:
                # Readable at once yet nothing to read: the server closed the connection.
                raise MailboxError("IMAP connection closed during IDLE")
        return False


def watch_for_new_mail(
    settings: MailboxSettings,
    *,
    on_new_mail: Callable[[], None],
    on_push: Callable[[bool], None],
    stop: threading.Event,
    retry_seconds: float,
) -> None:
    """Until ``stop``: IDLE on the folder and call ``on_new_mail`` for every EXISTS.

    ``on_push(True)`` once the server accepts IDLE, ``on_push(False)`` when it
    stops working (the caller then polls). Returns at ``stop``, or for good
    when the server does not advertise IDLE. A refusal or a dropped
    connection is tried again after ``retry_seconds``, doubling up to an
    hour while it keeps failing.
    """
    pause = retry_seconds
    while not stop.is_set():
        pushing = False

        def idling() -> None:
            nonlocal pushing, pause
            if not pushing:
                pushing, pause = True, retry_seconds
                log.info("IMAP IDLE on %s: new mail is fetched as it arrives", settings.host)
                on_push(True)

        try:
            with MailboxClient(settings) as mailbox:
                if not mailbox.has_idle:
                    log.info("IMAP server %s has no IDLE: new mail is found by polling", settings.host)
                    on_push(False)
                    return
                while not stop.is_set():
                    if mailbox.idle_until_new_mail(stop, idling=idling):
                        on_new_mail()
        except MailboxError as exc:
            log.warning("IMAP IDLE stopped (%s); polling until it works again (next try in %.0f s)", exc, pause)
        if stop.is_set():
            return
        on_push(False)
        if stop.wait(pause):
            return
        pause = min(pause * 2, IDLE_RETRY_MAX_SECONDS)
