"""What operators watch, per campaign, counted from the database alone.

Any number of workers on any number of machines share one database, so every
figure is read from the rows they write, never from one process's memory:
``intake status``, ``intake health`` and the web app's ``/metrics`` see the
same numbers whichever process asks. Nothing here writes.

A campaign's figures:

- mail fetched, by status; the queue (mail stored but not yet read and
  recorded) and how long its oldest has waited since it was fetched; failed
  mail (kept with its error for ``intake retry``) and attachments that could
  not be read;
- replies sent, failed, and waiting to go, of which some a send limit holds back;
- how long parses took, by file format (how many were timed, and their seconds).

Which campaign a row belongs to: an application by its column; a reply by its
idempotency key, which always begins ``{campaign}:``; a stored mail, which
has no campaign of its own yet, by the mailbox it came from: a deployment reads
one mailbox for one campaign (``mailbox_campaign``), so every mail is that
campaign's. Campaigns known from applications or replies but not the mailbox's
show their replies, and no mail.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from intake.core.models import Application, Attachment, Message, OutboxMail
from intake.core.statuses import AttachmentStatus, MessageStatus, OutboxStatus


@dataclass(frozen=True)
class ParseTimes:
    """The parses of one file format that were timed."""

    count: int
    seconds: float


@dataclass
class CampaignOperations:
    campaign: str
    mails: dict[MessageStatus, int] = field(default_factory=lambda: dict.fromkeys(MessageStatus, 0))
    oldest_unparsed_at: datetime | None = None  # when the oldest mail in the queue was fetched
    unreadable_attachments: int = 0
    replies: dict[OutboxStatus, int] = field(default_factory=lambda: dict.fromkeys(OutboxStatus, 0))
    replies_held: int = 0  # of the replies waiting, those a send limit holds back
    parse_times: dict[str, ParseTimes] = field(default_factory=dict)  # by file format

    @property
    def mails_fetched(self) -> int:
        return sum(self.mails.values())

    @property
    def queue_depth(self) -> int:
        return self.mails[MessageStatus.STORED]

    @property
    def failed_mails(self) -> int:
        return self.mails[MessageStatus.FAILED]

    @property
    def replies_waiting(self) -> int:
        """Replies not yet sent nor given up on (being sent counts: it may not have gone)."""
        return self.replies[OutboxStatus.PENDING] + self.replies[OutboxStatus.SENDING]

    def oldest_unparsed_age(self, now: datetime) -> timedelta | None:
        return None if self.oldest_unparsed_at is None else max(now - self.oldest_unparsed_at, timedelta(0))


def campaign_operations(session: Session, *, mailbox_campaign: str, held_note: str) -> list[CampaignOperations]:
    """Every campaign's figures, the mailbox's first, then the others by name.

    ``held_note``: how the reason of a reply a send limit holds back ends
    (the outbox writes it; this layer cannot know its wording)."""
    names = [mailbox_campaign, *sorted(set(_campaigns_with_applications(session)) - {mailbox_campaign})]
    figures = {name: CampaignOperations(name) for name in names}
    _count_mail(session, figures[mailbox_campaign])
    _count_replies(session, figures, held_note=held_note)
    return list(figures.values())


def database_answers(session: Session) -> None:
    """Raises (SQLAlchemy's error) unless the database answers a query on our own schema."""
    session.execute(select(Message.id).limit(1)).all()


def _campaigns_with_applications(session: Session) -> list[str]:
    return list(session.scalars(select(Application.campaign).distinct()))


def _count_mail(session: Session, figures: CampaignOperations) -> None:
    for status, count in session.execute(select(Message.status, func.count()).group_by(Message.status)):
        figures.mails[MessageStatus(status)] = count
    figures.oldest_unparsed_at = session.scalar(
        select(func.min(Message.created_at)).where(Message.status == MessageStatus.STORED))
    figures.unreadable_attachments = session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.status == AttachmentStatus.UNREADABLE)) or 0
    timed = (select(Attachment.kind, func.count(Attachment.parse_seconds), func.sum(Attachment.parse_seconds))
             .where(Attachment.parse_seconds.is_not(None)).group_by(Attachment.kind).order_by(Attachment.kind))
    figures.parse_times = {kind: ParseTimes(count, float(seconds)) for kind, count, seconds in session.execute(timed)}


def _count_replies(session: Session, figures: dict[str, CampaignOperations], *, held_note: str) -> None:
    # The campaign a reply's key begins with (None: a campaign not listed, left out).
    campaign = case(*((OutboxMail.idempotency_key.startswith(f"{name}:", autoescape=True), name) for name in figures),
                    else_=None)
    held = (OutboxMail.status == OutboxStatus.PENDING) & OutboxMail.last_error.endswith(held_note, autoescape=True)
    replies = select(campaign.label("campaign"), OutboxMail.status.label("status"),
                     case((held, 1), else_=0).label("held")).subquery()
    counts = (select(replies.c.campaign, replies.c.status, func.count(), func.sum(replies.c.held))
              .where(replies.c.campaign.is_not(None)).group_by(replies.c.campaign, replies.c.status))
    for name, status, count, held_count in session.execute(counts):
        figures[name].replies[OutboxStatus(status)] = count
        figures[name].replies_held += held_count or 0
