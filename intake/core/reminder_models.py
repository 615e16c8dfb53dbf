"""The ledger of deadline reminders: one row per recipient, deadline and offset, ever.

A row is inserted (under the unique constraint) before the reminder's outbox
row, in the same transaction, and only the sweep whose insert succeeded
queues the mail; so two sweeps, a restart or a crash can never send one
offset's reminder twice. The deadline is part of the key: a deadline moved
later makes its offsets due again.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.core.models import Base, UTCDateTime, utcnow


class SentReminder(Base):
    __tablename__ = "sent_reminder"
    __table_args__ = (UniqueConstraint("campaign", "recipient", "deadline", "offset_days"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    recipient: Mapped[str] = mapped_column(String(320))  # the address, lower-cased
    deadline: Mapped[date] = mapped_column(Date)
    offset_days: Mapped[int] = mapped_column(Integer)
    # Why this recipient was reminded: "incomplete" (an application still
    # missing fields) or "inquiry" (asked how to apply, sent no form).
    reason: Mapped[str] = mapped_column(String(20))
    # The mail the reminder threads on: the latest one from the recipient.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
