"""Mailbox → stored messages. Raw bytes and a ledger row are written before anything parses them.

The ledger (account, folder, UIDVALIDITY, UID) decides what is new; the
server's \\Seen flag does not. A message seen again — the same UID, the same
bytes, or the same Message-ID with the same body (a duplicate delivery, or
old mail after a UIDVALIDITY change) — is linked to the message already
stored and creates nothing new.

Mail is stored a fetch batch (``mailbox.batch_size``) at a time: every raw
mail of the batch durable on disk first (each written in the background as
it arrives, while the next is fetched), then one transaction for their rows
and the cursor. A crash before that commit leaves the cursor where it was,
so the batch is fetched again and stored once.
"""
from __future__ import annotations

import hashlib
import logging
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


def fetch_new_messages(
    mailbox: MailboxClient,
    *,
    session_factory: sessionmaker[Session],
    blobs: BlobStore,
    progress: Progress | None = None,
) -> IngestReport:
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
    with blobs.write_behind() as writer:
        for start in range(0, len(uids), batch_size):
            fetched, raw_shas = [], []
            for mail in mailbox.fetch(uids[start : start + batch_size],
                                      max_bytes=round(settings.max_message_mb * 1024 * 1024)):
                crash_points.reached("after_fetch")
                fetched.append(mail)
                raw_shas.append(writer.put(mail.raw))
            writer.flush()  # every raw mail of the batch durable before the commit that records it
            for is_new, mail in zip(store_fetched_batch(fetched, raw_shas, session_factory=session_factory,
                                                        account=account, folder=folder,
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


def store_fetched_batch(
    batch: list[FetchedMail],
    raw_sha256s: list[str],
    *,
    session_factory: sessionmaker[Session],
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
        mails = [_Fetched(mail, raw_sha, read_message_id(mail.raw), hashlib.sha256(_body_bytes(mail.raw)).hexdigest())
                 for mail, raw_sha in zip(batch, raw_sha256s)]
        known = _Known.read(mails, session=session, account=account, folder=folder, uidvalidity=uidvalidity)
        is_new = [_store_row(mail, known, session=session, account=account, folder=folder, uidvalidity=uidvalidity)
                  for mail in mails]
        if batch:
            cursor.last_uid = max(cursor.last_uid, *(mail.uid for mail in batch))
    for _ in batch:
        crash_points.reached("after_message_commit")
    return is_new


@dataclass
class _Fetched:
    mail: FetchedMail
    raw_sha256: str
    message_id_header: str | None
    body_sha256: str


@dataclass
class _Known:
    """What the database holds about one fetch batch, read in three queries
    (not three a mail) and kept current as the batch's own messages are added."""

    seen_uids: set[int]
    by_raw: dict[str, Message]
    by_id_and_body: dict[tuple[str, str], Message]

    @classmethod
    def read(cls, mails: list[_Fetched], *, session: Session, account: str, folder: str,
             uidvalidity: int) -> _Known:
        seen_uids = set(session.scalars(select(MailboxEntry.uid).where(
            MailboxEntry.account == account, MailboxEntry.folder == folder, MailboxEntry.uidvalidity == uidvalidity,
            MailboxEntry.uid.in_([mail.mail.uid for mail in mails]))))
        known = cls(seen_uids, {}, {})
        for message in session.scalars(select(Message).where(
                Message.raw_sha256.in_({mail.raw_sha256 for mail in mails}))):
            known.by_raw.setdefault(message.raw_sha256, message)
        message_ids = {mail.message_id_header for mail in mails if mail.message_id_header}
        if message_ids:
            for message in session.scalars(select(Message).where(Message.message_id_header.in_(message_ids))):
                known.by_id_and_body.setdefault((message.message_id_header, message.body_sha256), message)
        return known

    def same_message(self, mail: _Fetched) -> Message | None:
        """The same bytes; or, a re-delivery (it adds Received: headers), the same Message-ID and body.
        A reused Message-ID with a different body is a different message."""
        same_bytes = self.by_raw.get(mail.raw_sha256)
        if same_bytes is not None or not mail.message_id_header:
            return same_bytes
        return self.by_id_and_body.get((mail.message_id_header, mail.body_sha256))

    def add(self, message: Message) -> None:
        self.by_raw.setdefault(message.raw_sha256, message)
        if message.message_id_header:
            self.by_id_and_body.setdefault((message.message_id_header, message.body_sha256), message)


def _store_row(fetched: _Fetched, known: _Known, *, session: Session, account: str, folder: str,
               uidvalidity: int) -> bool:
    mail = fetched.mail
    if mail.uid in known.seen_uids:
        return False
    existing = known.same_message(fetched)
    if existing is None:
        message = Message(
            raw_sha256=fetched.raw_sha256,
            size=mail.size if mail.headers_only else len(mail.raw),
            message_id_header=fetched.message_id_header,
            body_sha256=fetched.body_sha256,
            received_at=mail.internaldate,
            status=MessageStatus.TOO_LARGE if mail.headers_only else MessageStatus.STORED,
            defects=[too_large_notice(mail.size, None)] if mail.headers_only else [],
        )
        if mail.headers_only:  # never processed: who sent it, for staff, from the header block
            headers = parse_mail(mail.raw)
            message.subject, message.from_name = headers.subject[:2000], headers.from_name[:500]
            message.from_address = headers.from_address
        session.add(message)
        known.add(message)
    else:
        message = existing
    session.add(
        MailboxEntry(
            account=account, folder=folder, uidvalidity=uidvalidity, uid=mail.uid,
            raw_sha256=fetched.raw_sha256, message=message, is_duplicate=existing is not None,
        )
    )
    return existing is None


def too_large_notice(size: int, cap_mb: float | None) -> str:
    cap = f"超过上限 {cap_mb:g} MB，" if cap_mb else "超过大小上限，"
    return (f"邮件大小约 {size / 1024 / 1024:.1f} MB，{cap}未下载，仅保存了邮件头；"
            "原邮件仍在邮箱中，请在网页邮箱中查看，必要时请发件人压缩附件后重新发送。")


def read_message_id(raw: bytes) -> str | None:
    head = raw[:65536]
    # The header section only: the parser would otherwise read every line of the body it then ignores.
    blank_lines = [at for at in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if at >= 0]
    if blank_lines:
        head = head[:min(blank_lines) + 4]
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
        value = headers.get("Message-ID")
    except Exception:  # a broken header block still gets stored; mime.py reports the defect later
        return None
    # The same reading of the header as the parsed mail's (the first <id>), so
    # duplicate detection and the threading of replies agree on one Message-ID.
    ids = message_ids(str(value)) if value else []
    return ids[0][:998] if ids else None


def _body_bytes(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        index = raw.find(separator)
        if index >= 0:
            return raw[index + len(separator) :]
    return raw


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
