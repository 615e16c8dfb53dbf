"""Mailbox → stored messages. Raw bytes and a ledger row are written before anything parses them.

The ledger (account, folder, UIDVALIDITY, UID) decides what is new; the
server's \\Seen flag does not. A message seen again — the same UID, the same
bytes, or the same Message-ID with the same body (a duplicate delivery, or
old mail after a UIDVALIDITY change) — is linked to the message already
stored and creates nothing new.

Mail is stored a fetch batch (``mailbox.batch_size``) at a time: every raw
mail of the batch durable on disk first (written side by side), then one
transaction for their rows and the cursor. A crash before that commit
leaves the cursor where it was, so the batch is fetched again and stored
once.
"""
from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email import policy
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.core import crash_points
from intake.core.blobstore import BlobStore
from intake.mail.charsets import message_ids
from intake.mail.mailbox import FetchedMail, MailboxClient, account_key
from intake.mail.mime import parse_mail
from intake.core.models import FolderCursor, MailboxEntry, Message
from intake.core.statuses import MessageStatus

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class IngestReport:
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    too_large: int = 0  # headers kept, the mail left on the server
    uidvalidity_changed: bool = False
    alerts: list[str] = field(default_factory=list)

    def merged(self, other: "IngestReport") -> "IngestReport":
        """Both mailboxes' fetches as one."""
        return IngestReport(
            seen=self.seen + other.seen, stored=self.stored + other.stored,
            duplicates=self.duplicates + other.duplicates, too_large=self.too_large + other.too_large,
            uidvalidity_changed=self.uidvalidity_changed or other.uidvalidity_changed,
            alerts=[*self.alerts, *other.alerts],
        )


def fetch_new_messages(
    mailbox: MailboxClient,
    *,
    campaign: str,
    session_factory: sessionmaker[Session],
    blobs: BlobStore,
    progress: Progress | None = None,
) -> IngestReport:
    """New mail of ``campaign``'s mailbox, stored as that campaign's messages."""
    settings = mailbox.settings
    account, folder = account_key(settings), settings.folder
    report = IngestReport()
    with session_factory() as session:
        cursor = _cursor(session, account, folder, mailbox.uidvalidity)
        if cursor.uidvalidity != mailbox.uidvalidity:
            alert = (
                f"邮箱 {folder} 的 UIDVALIDITY 从 {cursor.uidvalidity} 变为 {mailbox.uidvalidity}："
                "服务器重建了该文件夹。旧邮件按内容去重，不会重复处理。"
            )
            log.warning(alert)
            report.alerts.append(alert)
            report.uidvalidity_changed = True
            cursor.uidvalidity = mailbox.uidvalidity
            cursor.last_uid = 0
        session.commit()
        last_uid = cursor.last_uid

    uids = mailbox.uids_after(last_uid)
    batch_size = settings.batch_size
    # fsync waits on the disk, not the CPU: several blobs are made durable at once.
    with ThreadPoolExecutor(max_workers=BLOB_WRITERS) as writers:
        for start in range(0, len(uids), batch_size):
            fetched = []
            for mail in mailbox.fetch(uids[start : start + batch_size],
                                      max_bytes=round(settings.max_message_mb * 1024 * 1024)):
                crash_points.reached("after_fetch")
                fetched.append(mail)
            raw_shas = list(writers.map(blobs.put, [mail.raw for mail in fetched]))
            for is_new, mail in zip(store_fetched_batch(fetched, raw_shas, session_factory=session_factory,
                                                        campaign=campaign, account=account, folder=folder,
                                                        uidvalidity=mailbox.uidvalidity), fetched):
                if mail.headers_only:
                    report.too_large += 1
                    report.alerts.append(too_large_notice(mail.size, settings.max_message_mb))
                report.seen += 1
                if is_new:
                    report.stored += 1
                else:
                    report.duplicates += 1
                if progress:
                    progress(report.seen, len(uids))
    return report


BLOB_WRITERS = 8


def store_fetched_batch(
    batch: list[FetchedMail],
    raw_sha256s: list[str],
    *,
    session_factory: sessionmaker[Session],
    campaign: str,
    account: str,
    folder: str,
    uidvalidity: int,
) -> list[bool]:
    """Rows for fetched mail whose raw bytes are durable (``raw_sha256s``),
    and the cursor past them, in one transaction; for each, True when it is
    a message intake has not seen before."""
    for _ in batch:
        crash_points.reached("after_blob")
    with session_factory() as session, session.begin():
        cursor = _cursor(session, account, folder, uidvalidity)
        seen = set(session.scalars(select(MailboxEntry.uid).where(
            MailboxEntry.account == account, MailboxEntry.folder == folder, MailboxEntry.uidvalidity == uidvalidity,
            MailboxEntry.uid.in_([mail.uid for mail in batch]))))
        fresh = [(mail, raw_sha, *_copy_keys(mail.raw)) for mail, raw_sha in zip(batch, raw_sha256s)
                 if mail.uid not in seen]
        copies = stored_copies(session=session, campaign=campaign, raw_sha256s=[item[1] for item in fresh],
                               message_id_headers=[item[2] for item in fresh if item[2]])
        new_uids = set()
        for mail, raw_sha, message_id_header, body_sha in fresh:
            message = existing = copies.find(raw_sha, message_id_header, body_sha)
            if existing is None:
                message = _new_message(mail, raw_sha, message_id_header, body_sha, campaign)
                session.add(message)
                copies.add(message)
                new_uids.add(mail.uid)
            session.add(MailboxEntry(account=account, folder=folder, uidvalidity=uidvalidity, uid=mail.uid,
                                     raw_sha256=raw_sha, message=message, is_duplicate=existing is not None))
        if batch:
            cursor.last_uid = max(cursor.last_uid, *(mail.uid for mail in batch))
    for _ in batch:
        crash_points.reached("after_message_commit")
    return [mail.uid in new_uids for mail in batch]


def _copy_keys(raw: bytes) -> tuple[str | None, str]:
    """What tells a re-delivered copy of a mail: its Message-ID and its body's digest."""
    head, body = _split_head(raw)
    return read_message_id(head), hashlib.sha256(body).hexdigest()


def _new_message(fetched: FetchedMail, raw_sha: str, message_id_header: str | None, body_sha: str,
                 campaign: str) -> Message:
    message = Message(
        campaign=campaign,
        raw_sha256=raw_sha,
        size=fetched.size if fetched.headers_only else len(fetched.raw),
        message_id_header=message_id_header,
        body_sha256=body_sha,
        received_at=fetched.internaldate,
        status=MessageStatus.TOO_LARGE if fetched.headers_only else MessageStatus.STORED,
        defects=[too_large_notice(fetched.size, None)] if fetched.headers_only else [],
    )
    if fetched.headers_only:  # never processed: who sent it, for staff, from the header block
        headers = parse_mail(fetched.raw)
        message.subject, message.from_name = headers.subject[:2000], headers.from_name[:500]
        message.from_address = headers.from_address
    return message


def too_large_notice(size: int, cap_mb: float | None) -> str:
    cap = f"超过上限 {cap_mb:g} MB，" if cap_mb else "超过大小上限，"
    return (f"邮件大小约 {size / 1024 / 1024:.1f} MB，{cap}未下载，仅保存了邮件头；"
            "原邮件仍在邮箱中，请在网页邮箱中查看，必要时请发件人压缩附件后重新发送。")


class StoredCopies:
    """The messages of one campaign that fetched mail may be copies of, by the keys that tell a copy."""

    def __init__(self, messages: list[Message]) -> None:
        self._by_bytes: dict[str, Message] = {}
        self._by_id_and_body: dict[tuple[str, str], Message] = {}
        for message in sorted(messages, key=lambda message: message.id):
            self.add(message)

    def add(self, message: Message) -> None:
        self._by_bytes.setdefault(message.raw_sha256, message)
        if message.message_id_header:
            self._by_id_and_body.setdefault((message.message_id_header, message.body_sha256), message)

    def find(self, raw_sha256: str, message_id_header: str | None, body_sha256: str) -> Message | None:
        """The message this mail is a copy of: the same bytes, else (the first
        with) the same Message-ID and body. A re-delivery adds Received:
        headers but keeps Message-ID and body; a reused Message-ID with a
        different body is a different message."""
        same_bytes = self._by_bytes.get(raw_sha256)
        if same_bytes is not None or not message_id_header:
            return same_bytes
        return self._by_id_and_body.get((message_id_header, body_sha256))


def stored_copies(*, session: Session, campaign: str, raw_sha256s: list[str],
                  message_id_headers: list[str]) -> StoredCopies:
    """The messages of ``campaign`` a batch of fetched mail may be copies of.
    The same mail sent to two centres' mailboxes is a message of each: each
    centre answers it. Two lookups, each by an index (asked with OR in one
    query, SQLite read every message of the campaign)."""
    found: list[Message] = []
    if raw_sha256s:
        found += session.scalars(select(Message).where(
            Message.campaign == campaign, Message.raw_sha256.in_(raw_sha256s)))
    if message_id_headers:
        found += session.scalars(select(Message).where(
            Message.campaign == campaign, Message.message_id_header.in_(message_id_headers)))
    return StoredCopies(list({message.id: message for message in found}.values()))


MAX_HEADER_BYTES = 65536


def read_message_id(head: bytes) -> str | None:
    """The Message-ID of a mail's header block (``_split_head``: the parser
    given the whole mail would read every line of its attachments)."""
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head[:MAX_HEADER_BYTES])
        value = headers.get("Message-ID")
    except Exception:  # a broken header block still gets stored; mime.py reports the defect later
        return None
    # The same reading of the header as the parsed mail's (the first <id>), so
    # duplicate detection and the threading of replies agree on one Message-ID.
    ids = message_ids(str(value)) if value else []
    return ids[0][:998] if ids else None


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    """The header block (with the blank line ending it) and the body; a mail
    without a blank line is all header and all body, as it was read before."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index >= 0:
            return raw[:index + len(separator)], raw[index + len(separator):]
    return raw, raw


def _cursor(session: Session, account: str, folder: str, uidvalidity: int) -> FolderCursor:
    cursor = session.scalars(
        select(FolderCursor).where(FolderCursor.account == account, FolderCursor.folder == folder)
    ).first()
    if cursor is None:
        cursor = FolderCursor(account=account, folder=folder, uidvalidity=uidvalidity, last_uid=0)
        session.add(cursor)
        session.flush()
    return cursor


def move_processed_mail(
    mailbox: MailboxClient, *, session_factory: sessionmaker[Session], target_folder: str
) -> int:
    """Move mail whose processing committed; failed mail stays in the inbox for a retry."""
    settings = mailbox.settings
    account, folder = account_key(settings), settings.folder
    with session_factory() as session:
        entries = session.scalars(
            select(MailboxEntry)
            .join(Message, MailboxEntry.message_id == Message.id)
            .where(
                MailboxEntry.account == account,
                MailboxEntry.folder == folder,
                MailboxEntry.uidvalidity == mailbox.uidvalidity,
                MailboxEntry.moved.is_(False),
                Message.status.in_([MessageStatus.PROCESSED, MessageStatus.IGNORED]),
            )
        ).all()
        uids = [entry.uid for entry in entries]
        if not uids:
            return 0
        crash_points.reached("before_move")
        mailbox.move(uids, target_folder)
        for entry in entries:
            entry.moved = True
        session.commit()
        return len(uids)
