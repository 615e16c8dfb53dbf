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

Every mail and reply is its campaign's (``Message.campaign``: the campaign
whose mailbox it came to; ``OutboxMail.campaign``: whose account sends it).
Campaigns known from applications but no longer configured are listed too.
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


def campaign_operations(session: Session, *, campaigns: list[str], held_note: str) -> list[CampaignOperations]:
    """Every campaign's figures: the configured ones (``campaigns``) in order, then others by name.

    ``held_note``: how the reason of a reply a send limit holds back ends
    (the outbox writes it; this layer cannot know its wording)."""
    names = [*campaigns, *sorted(set(_campaigns_with_applications(session)) - set(campaigns))]
    figures = {name: CampaignOperations(name) for name in names}
    _count_mail(session, figures)
    _count_replies(session, figures, held_note=held_note)
    return list(figures.values())


def database_answers(session: Session) -> None:
    """Raises (SQLAlchemy's error) unless the database answers a query on our own schema."""
    session.execute(select(Message.id).limit(1)).all()


def _campaigns_with_applications(session: Session) -> list[str]:
    return list(session.scalars(select(Application.campaign).distinct()))


def _count_mail(session: Session, figures: dict[str, CampaignOperations]) -> None:
    listed = Message.campaign.in_(list(figures))
    for name, status, count in session.execute(
            select(Message.campaign, Message.status, func.count()).where(listed)
            .group_by(Message.campaign, Message.status)):
        figures[name].mails[MessageStatus(status)] = count
    for name, oldest in session.execute(
            select(Message.campaign, func.min(Message.created_at))
            .where(listed, Message.status == MessageStatus.STORED).group_by(Message.campaign)):
        figures[name].oldest_unparsed_at = oldest
    for name, count in session.execute(
            select(Message.campaign, func.count()).select_from(Attachment).join(Message)
            .where(listed, Attachment.status == AttachmentStatus.UNREADABLE).group_by(Message.campaign)):
        figures[name].unreadable_attachments = count
    timed = (select(Message.campaign, Attachment.kind, func.count(Attachment.parse_seconds),
                    func.sum(Attachment.parse_seconds)).join(Message)
             .where(listed, Attachment.parse_seconds.is_not(None))
             .group_by(Message.campaign, Attachment.kind).order_by(Attachment.kind))
    for name, kind, count, seconds in session.execute(timed):
        figures[name].parse_times[kind] = ParseTimes(count, float(seconds))


def _count_replies(session: Session, figures: dict[str, CampaignOperations], *, held_note: str) -> None:
    held = (OutboxMail.status == OutboxStatus.PENDING) & OutboxMail.last_error.endswith(held_note, autoescape=True)
    counts = (select(OutboxMail.campaign, OutboxMail.status, func.count(), func.sum(case((held, 1), else_=0)))
              .where(OutboxMail.campaign.in_(list(figures))).group_by(OutboxMail.campaign, OutboxMail.status))
    for name, status, count, held_count in session.execute(counts):
        figures[name].replies[OutboxStatus(status)] = count
        figures[name].replies_held += held_count or 0
