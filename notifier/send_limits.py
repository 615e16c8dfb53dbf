"""How many replies may go out per hour and per day, overall and to one domain.

The service answers mail from anyone, so someone who makes it answer (a
script sending forms from many addresses) must not turn the centre's
mailbox into a spam relay. The limits are far above what a campaign sends
(a city's busiest day is a few hundred replies); a reply over a limit is not
dropped, it waits in the outbox with the reason, and goes when the window
has room again.

A flush reads what was sent in the last day once (``SendBudget.read``) and
counts its own sends on top, rather than asking the database four times per
reply; it reads again every batch, so another flush's sends are seen soon.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.core.config import OutboxSettings
from intake.core.models import OutboxMail
from intake.core.statuses import OutboxStatus

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# How a held reply's reason ends (its last_error), so what waits for a limit can be counted.
HOLD_NOTE = "稍后自动发送（防止被用来群发邮件）"


@dataclass(frozen=True)
class Hold:
    until: datetime  # when the window that holds it has room again
    reason: str  # Chinese, for staff
    everyone: bool  # the overall limit: nothing else may go either


class SendBudget:
    """The replies sent in the last day, overall and per domain, as the limits count them."""

    def __init__(self, policy: OutboxSettings, sent_times: list[tuple[datetime, str]]) -> None:
        self.policy = policy
        self._overall: list[datetime] = []
        self._by_domain: dict[str, list[datetime]] = defaultdict(list)
        for sent_at, to_address in sorted(sent_times):
            self.record_sent(to_address, sent_at)

    @classmethod
    def read(cls, session: Session, now: datetime, policy: OutboxSettings, *,
             campaign: str | None = None) -> "SendBudget":
        """What ``campaign``'s SMTP account sent: each account has limits of its own."""
        rows = session.execute(
            select(OutboxMail.sent_at, OutboxMail.to_address)
            .where(OutboxMail.of_campaign(campaign), OutboxMail.status == OutboxStatus.SENT,
                   OutboxMail.sent_at > now - DAY)
        ).all()
        return cls(policy, [(sent_at, to_address) for sent_at, to_address in rows])

    def record_sent(self, to_address: str, sent_at: datetime) -> None:
        bisect.insort(self._overall, sent_at)
        bisect.insort(self._by_domain[_domain(to_address)], sent_at)

    def hold_for(self, to_address: str, now: datetime) -> Hold | None:
        """None when a reply to ``to_address`` may be sent now; else until when it waits, and why."""
        policy, domain = self.policy, _domain(to_address)
        checks = [
            (HOUR, policy.max_per_hour, self._overall, False, f"已达到每小时最多发送 {policy.max_per_hour} 封的上限"),
            (DAY, policy.max_per_day, self._overall, False, f"已达到每天最多发送 {policy.max_per_day} 封的上限"),
            (HOUR, policy.max_per_domain_per_hour, self._by_domain[domain], True,
             f"发往 {domain} 的回复已达到每小时 {policy.max_per_domain_per_hour} 封的上限"),
            (DAY, policy.max_per_domain_per_day, self._by_domain[domain], True,
             f"发往 {domain} 的回复已达到每天 {policy.max_per_domain_per_day} 封的上限"),
        ]
        for window, limit, sent_times, to_domain, reason in checks:
            in_window = sent_times[bisect.bisect_right(sent_times, now - window):]
            if len(in_window) >= limit:
                # The window has room again once enough of what it holds has aged out of it.
                room_at = in_window[len(in_window) - limit] + window
                return Hold(room_at, f"{reason}，{HOLD_NOTE}", not to_domain)
        return None


def hold_for(session: Session, to_address: str, now: datetime, policy: OutboxSettings, *,
             campaign: str | None = None) -> Hold | None:
    """``SendBudget.hold_for`` for a single reply, read fresh from the database."""
    return SendBudget.read(session, now, policy, campaign=campaign).hold_for(to_address, now)


def waiting_for_limits(session: Session, *, campaign: str | None = None) -> tuple[int, datetime | None]:
    """How many of ``campaign``'s unsent replies a send limit holds back, and the earliest time one goes."""
    count, earliest = session.execute(
        select(func.count(), func.min(OutboxMail.next_attempt_at))
        .where(OutboxMail.of_campaign(campaign), OutboxMail.status == OutboxStatus.PENDING,
               OutboxMail.last_error.like(f"%{HOLD_NOTE}"))
    ).one()
    return count or 0, earliest


def _domain(to_address: str) -> str:
    return to_address.rsplit("@", 1)[-1].lower()
