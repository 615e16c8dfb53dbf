"""A mail over the size cap is never downloaded: its headers are kept, staff see it, the next poll does not fetch it again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from devtools.samples import emails
from intake.core.models import Message
from intake.core.statuses import MessageStatus
from intake.worker.pipeline import run_once
from review.dashboard_figures import failed_messages

CHINA = timezone(timedelta(hours=8))


def test_a_mail_over_the_cap_keeps_its_headers_tells_staff_and_is_not_fetched_again(make_intake_env, sqlite_url):
    env = make_intake_env(sqlite_url, mailbox={"max_message_mb": 0.5})
    scans = [(f"扫描件{n}.jpg", bytes(range(256)) * 1200) for n in range(3)]  # ~900 KB of attachments
    big = emails.netease_mail(sender_name="李雷", sender_address="lilei@163.com", subject="报名表（扫描件）",
                              body="附件是扫描件。", attachments=scans)
    env.deliver(big, at=datetime(2020, 9, 12, 10, 0, tzinfo=CHINA))

    first = run_once(env.runtime)
    second = run_once(env.runtime)

    assert first.ingest.too_large == 1 and first.ingest.alerts
    assert second.ingest.seen == 0  # never fetched again
    with env.runtime.session_factory() as session:
        [message] = session.scalars(select(Message)).all()
        assert message.status == MessageStatus.TOO_LARGE
        assert message.size == len(big.replace(b"\n", b"\r\n")) or message.size > 500_000
        assert message.subject == "报名表（扫描件）" and message.from_address == "lilei@163.com"
        stored = env.runtime.blobs.get(message.raw_sha256)
        assert len(stored) < 5_000 and b"Subject:" in stored  # the header block only
        total, shown = failed_messages(session)
        assert total == 1 and "未下载" in shown[0].error and not shown[0].retryable
    assert env.smtp_sink.messages == []
