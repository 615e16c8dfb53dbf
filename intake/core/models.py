"""SQLAlchemy 2.0 models: the ledger of everything intake has seen and sent.

Rows flow one way: MailboxEntry → Message → Attachment → Application
(+ ApplicationVersion) → OutboxMail. Nothing here opens sessions; callers do.
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Index,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from intake.core.statuses import (
    ApplicationStatus,
    AttachmentStatus,
    MessageStatus,
    OutboxStatus,
    ReplyKind,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class StatusType(TypeDecorator):
    """Stores a str Enum by its value and gives the Enum back (drivers disagree on Enums)."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> enum.Enum | None:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    pass


class FolderCursor(Base):
    """How far intake has read one IMAP folder; the server's \\Seen flag proves nothing."""

    __tablename__ = "folder_cursor"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Message(Base):
    """One distinct email, stored raw (by sha256) before anything acts on it."""

    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status", "status"),
        Index("ix_message_campaign_status", "campaign", "status"),
        # A re-delivered copy is found by its Message-ID (and body) among its campaign's mail.
        Index("ix_message_campaign_message_id", "campaign", "message_id_header"),
        # The same mail delivered to two centres' mailboxes is a message of each.
        UniqueConstraint("campaign", "raw_sha256", name="uq_message_campaign_raw_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The campaign whose mailbox it arrived in; None only for mail stored before
    # campaigns were kept, in a deployment that then had several (see migration 0008).
    campaign: Mapped[str | None] = mapped_column(String(100))
    raw_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # As read from the raw bytes at ingest (the duplicate-delivery key); replies thread on it.
    message_id_header: Mapped[str | None] = mapped_column(String(998))
    # The ids in the References header, in header order; a reply's References continue them.
    references_header: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str | None] = mapped_column(String(320))
    reply_address: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[MessageStatus] = mapped_column(StatusType(MessageStatus), default=MessageStatus.STORED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    no_reply_reason: Mapped[str | None] = mapped_column(String(40))
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    defects: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    entries: Mapped[list[MailboxEntry]] = relationship(back_populates="message")


class MailboxEntry(Base):
    """One UID in one folder at one UIDVALIDITY: the ledger that decides what is new."""

    __tablename__ = "mailbox_entry"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(320))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    uid: Mapped[int] = mapped_column(Integer)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    is_duplicate: Mapped[bool] = mapped_column(Boolean, default=False)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship(back_populates="entries")


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    filename: Mapped[str] = mapped_column(String(400))
    content_type: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20))
    container: Mapped[str | None] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[AttachmentStatus | None] = mapped_column(StatusType(AttachmentStatus))
    reason: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    forms_found: Mapped[int] = mapped_column(Integer, default=0)
    parse_seconds: Mapped[float | None] = mapped_column(Float)  # how long its parse took; None: never timed

    message: Mapped[Message] = relationship(back_populates="attachments")


class Application(Base):
    """One applicant in one campaign; later corrected forms become new versions.

    ``name``, ``id_number``, ``employer``, ``county``, ``mobile``, ``email``
    and ``review_count`` repeat what ``fields`` and ``needs_review`` say, so
    the staff queue can filter, search and sort 100,000 rows by index;
    ``sync_columns`` is the one place that copies them. ``row_version`` is
    bumped by every UPDATE (SQLAlchemy's version counter), so two people
    saving the same application never overwrite each other silently.

    Lateness is per mail (``Message.is_late``); an application keeps it for
    its first version (``is_late``: the application itself came in late) and
    its latest (``latest_is_late``: the newest correction came in late), both
    by the mails' arrival times. ``possible_duplicate_of_id`` links a form
    that another sender sent with an ID number already on file to the
    application it may duplicate; staff resolve it, nothing is merged.
    """

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_campaign_idnumber", "campaign", "id_number"),
        Index("ix_application_campaign_sender", "campaign", "sender"),
        Index("ix_application_queue", "campaign", "received_at", "id"),
        Index("ix_application_status_queue", "campaign", "status", "received_at", "id"),
        Index("ix_application_county", "campaign", "county"),
        Index("ix_application_mobile", "campaign", "mobile"),
        Index("ix_application_email", "campaign", "email"),
        Index("ix_application_name", "campaign", "name"),
        Index("ix_application_employer", "campaign", "employer"),
        # Covers the dashboard's counts by county, status, lateness and fields to check.
        Index("ix_application_figures", "campaign", "county", "status", "is_late", "review_count"),
        Index("ix_application_possible_duplicate", "possible_duplicate_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[ApplicationStatus] = mapped_column(StatusType(ApplicationStatus))
    sender: Mapped[str | None] = mapped_column(String(320))
    reply_address: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(40))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confidence: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    missing_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_review: Mapped[list[str]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Where the parser read each field on the form's attachment (``FormResult.source``):
    # {key: {"page": n, "box": [x0, top, x1, bottom]}}, page 1-based, origin top left, in the
    # original's own units: PDF points for a PDF (typed or scanned), pixels of an image file
    # as sent, turned upright by its EXIF orientation. The page's size in those units is read
    # from the original itself (``review.pages.PagePreviews.page_sizes``), so the review app
    # draws and masks a box on its page image at whatever scale it was rendered. Empty for
    # formats without pages (Word, WPS) and for forms read before this was kept.
    field_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)  # its first version arrived late
    latest_is_late: Mapped[bool] = mapped_column(Boolean, default=False)  # its latest version arrived late
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", name="fk_application_possible_duplicate")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when its first mail arrived
    employer: Mapped[str | None] = mapped_column(String(200))
    county: Mapped[str | None] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(320))
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # checked by a person
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    message: Mapped[Message] = relationship(foreign_keys=[message_id])
    possible_duplicate_of: Mapped[Application | None] = relationship(
        remote_side=[id], foreign_keys=[possible_duplicate_of_id]
    )
    versions: Mapped[list[ApplicationVersion]] = relationship(
        back_populates="application", order_by="ApplicationVersion.version"
    )

    search: Mapped[ApplicationSearch | None] = relationship(
        back_populates="application", cascade="all, delete-orphan", uselist=False
    )

    __mapper_args__ = {"version_id_col": row_version}

    def sync_columns(self) -> None:
        """Copy the searchable values out of ``fields`` (the only writer of these columns)."""
        fields = self.fields or {}

        def text(key: str, limit: int) -> str | None:
            value = fields.get(key)
            return str(value)[:limit] if value not in (None, "", []) else None

        self.name, self.id_number = text("name", 100), text("id_number", 40)
        self.employer, self.county = text("employer", 200), text("county", 40)
        self.mobile, self.email = text("mobile", 40), (text("email", 320) or "").lower() or None
        self.review_count = len(self.needs_review or [])
        if self.reference is None:
            return  # searched once numbered: its row is written then, with the reference in it
        searched = search_text(self.reference, self.name, self.employer, self.email, self.mobile, self.id_number)
        if self.search is None:
            self.search = ApplicationSearch(campaign=self.campaign, text=searched)
        elif self.search.text != searched:
            self.search.text = searched


SEARCH_SEPARATOR = "\x1f"
TAIL_MARK = "$"  # ends the values searched by their last digits (reference, mobile, ID number)


def search_text(reference, name, employer, email, mobile, id_number) -> str:
    """What the staff queue searches, lower-cased: a substring finds a name, an employer or an
    e-mail; digits followed by TAIL_MARK find the end of a reference, a mobile or an ID number."""
    tails = [f"{value}{TAIL_MARK}" for value in (reference, mobile, id_number) if value]
    return SEARCH_SEPARATOR.join([*(value for value in (name, employer, email) if value), *tails]).lower()


class ApplicationSearch(Base):
    """One narrow row per application with the text the staff queue searches.

    A search for a name or a phone's last digits reads every row; reading a
    table of short strings instead of the applications with their JSON
    fields keeps that to milliseconds at 100,000 applications. Written only by
    ``Application.sync_columns``.
    """

    __tablename__ = "application_search"
    __table_args__ = (Index("ix_application_search_campaign", "campaign"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="search")


class ApplicationVersion(Base):
    __tablename__ = "application_version"
    __table_args__ = (UniqueConstraint("application_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"))
    version: Mapped[int] = mapped_column(Integer)
    # Indexed: a mail's reply is decided from the versions it made.
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), index=True)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    field_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")  # as Application's
    missing_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="versions")


class OutboxMail(Base):
    """A reply recorded before it is sent; the idempotency key makes it at-most-once."""

    __tablename__ = "outbox_mail"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_campaign_due", "campaign", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose SMTP account sends it (as Message.campaign).
    campaign: Mapped[str | None] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[ReplyKind] = mapped_column(StatusType(ReplyKind))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    source_message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    message_id_header: Mapped[str] = mapped_column(String(998))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[OutboxStatus] = mapped_column(StatusType(OutboxStatus), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @classmethod
    def of_campaign(cls, campaign: str | None):
        """The rows one campaign's SMTP account sends (None: rows kept before campaigns were)."""
        return cls.campaign.is_(None) if campaign is None else cls.campaign == campaign


# The replies one address got lately (the loop and flood guard counts them), whatever its case.
Index("ix_outbox_recipient_created", func.lower(OutboxMail.to_address), OutboxMail.created_at)


class AuditEntry(Base):
    """Who did what, when: logins, reveals, corrections, decisions, exports. Never edited."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_action_at", "action", "at"),
        Index("ix_audit_application", "application_id"),
        Index("ix_audit_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("application.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64))
