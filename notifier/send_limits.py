"""How many replies may go out per hour and per day, overall and to one domain.

The service answers mail from anyone, so someone who makes it answer (a
script sending forms from many addresses) must not turn the centre's
mailbox into a spam relay. The limits are far above what a campaign sends
(a city's busiest day is a few hundred replies); a reply over a limit is not
dropped, it waits in the outbox with the reason, and goes when the window
has room again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.core.config import OutboxSettings
from intake.core.models import OutboxMail
from intake.core.statuses import OutboxStatus

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# A held reply is looked at again this much later (a window frees gradually).
RECHECK = {HOUR: timedelta(minutes=10), DAY: timedelta(hours=1)}


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str  # Chinese, for staff
    everyone: bool  # the overall limit: nothing else may go either


def hold_for(session: Session, to_address: str, now: datetime, policy: OutboxSettings) -> Hold | None:
    """None when a reply to ``to_address`` may be sent now; else until when it waits, and why."""
    domain = to_address.rsplit("@", 1)[-1].lower()
    checks = [
        (HOUR, policy.max_per_hour, None, f"已达到每小时最多发送 {policy.max_per_hour} 封的上限"),
        (DAY, policy.max_per_day, None, f"已达到每天最多发送 {policy.max_per_day} 封的上限"),
        (HOUR, policy.max_per_domain_per_hour, domain,
         f"发往 {domain} 的回复已达到每小时 {policy.max_per_domain_per_hour} 封的上限"),
        (DAY, policy.max_per_domain_per_day, domain,
         f"发往 {domain} 的回复已达到每天 {policy.max_per_domain_per_day} 封的上限"),
    ]
    for window, limit, to_domain, reason in checks:
        if _sent_since(session, now - window, to_domain) >= limit:
            return Hold(now + RECHECK[window], f"{reason}，稍后自动发送（防止被用来群发邮件）", to_domain is None)
    return None


def _sent_since(session: Session, since: datetime, domain: str | None) -> int:
    query = select(func.count()).select_from(OutboxMail).where(
        OutboxMail.status == OutboxStatus.SENT, OutboxMail.sent_at >= since)
    if domain is not None:
        query = query.where(func.lower(OutboxMail.to_address).like(f"%@{domain}"))
    return session.scalar(query) or 0
