"""The applicant's story, end to end, on real servers.

Realistic emails are delivered to a real Dovecot; ``poll --once`` runs twice;
the right applications come out with the right fields, and exactly one
reply per mail reaches a real SMTP server — none to the auto-reply, the bounce
or the newsletter, nothing twice.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import func, select

from intake.core.models import Application, Attachment, MailboxEntry, Message, OutboxMail
from intake.worker.pipeline import run_once
from devtools.samples.mailbox import demo_mailbox, expected_applicants
from intake.core.statuses import ApplicationStatus, AttachmentStatus, OutboxStatus
from notifier.outbox import flush_outbox, utcnow

pytestmark = pytest.mark.integration

ID_PATTERN = re.compile(r"\d{17}[\dXx]")
MOBILE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def mailbox():
    return demo_mailbox(to_address="zjzxqyfw@126.com")


def received_replies(sink):
    return [BytesParser(policy=policy.default).parsebytes(m.data) for m in sink.messages]


def test_a_season_of_mail_becomes_applications_and_one_reply_each(make_intake_env, database_url, mailbox):
    env = make_intake_env(database_url)
    for mail in mailbox:
        env.deliver(mail.raw, at=mail.received_at)

    first = run_once(env.runtime)
    second = run_once(env.runtime)

    assert first.ok and second.ok
    assert first.process.failed == 0, first.process.errors
    assert (first.ingest.stored, first.ingest.duplicates) == (len(mailbox) - 1, 1)
    assert (second.ingest.stored, second.process.processed, second.process.replies_queued) == (0, 0, 0)

    with env.runtime.session_factory() as session:
        # Every raw message is stored, byte for byte.
        stored = set(session.scalars(select(MailboxEntry.raw_sha256)))
        assert stored == {hashlib.sha256(m.raw).hexdigest() for m in mailbox}
        for sha in stored:
            assert env.runtime.blobs.get(sha) is not None
        assert session.scalar(select(func.count()).select_from(Message)) == len(mailbox) - 1

        applications = session.scalars(select(Application).order_by(Application.id)).all()
        expected = expected_applicants(mailbox)
        assert sorted(a.id_number for a in applications) == sorted(expected)
        for application in applications:
            person = expected[application.id_number]
            assert application.fields == person.expected_fields(), person.name
            assert application.missing_fields == []
            assert application.status == ApplicationStatus.PENDING_REVIEW
        resubmitted = next(a for a in applications if a.version == 2)
        assert [v.missing_fields for v in resubmitted.versions] == [["mobile", "expertise"], []]
        late = [a.name for a in applications if a.is_late]
        assert late == [m.applicants[0].name for m in mailbox if m.expect_reply == "late"]

        zipped = session.scalars(select(Attachment).where(Attachment.origin == "zip")).all()
        assert {a.filename: a.status for a in zipped} == {
            f"湛江市中小企业志愿服务专家报名表-{mailbox[2].applicants[0].name}.docx": AttachmentStatus.PARSED,
            "个人简历.docx": AttachmentStatus.NOT_A_FORM,
        }
        assert all(r.status == OutboxStatus.SENT for r in session.scalars(select(OutboxMail)))

    replies = received_replies(env.smtp_sink)
    expected_kinds = Counter(m.expect_reply for m in mailbox if m.expect_reply)
    kinds = Counter(r["X-Intake-Outbox"] for r in replies)
    assert kinds == expected_kinds
    # One reply per mail — the two applicants of one mail are listed in one reply, with their own references.
    [several] = [r for r in replies if r["X-Intake-Outbox"] == "several_applications"]
    assert len(set(re.findall(r"ZJZJ-2020-\d{4}", several.get_body(("plain",)).get_content()))) == 2
    assert len({r["In-Reply-To"] for r in replies}) == len(replies)
    assert len({r["Message-ID"] for r in replies}) == len(replies)
    machine_senders = {"MAILER-DAEMON@126.com", "news@example.com"} | {
        BytesParser(policy=policy.default).parsebytes(m.raw)["From"].addresses[0].addr_spec
        for m in mailbox if "auto-reply" in m.label
    }
    assert not {r["To"].addresses[0].addr_spec for r in replies} & machine_senders
    for reply in replies:
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["In-Reply-To"]
        assert str(reply["Subject"]).startswith("Re: ")
        body = reply.get_body(("plain",)).get_content()
        assert not ID_PATTERN.search(body) and not MOBILE_PATTERN.search(body)
        if reply["X-Intake-Outbox"] == "inquiry":  # a question: how to apply, and the blank form
            assert "25" in body and [part.get_filename() for part in reply.iter_attachments()]
        else:
            assert re.search(r"ZJZJ-2020-\d{4}", body)


def test_incomplete_form_gets_a_please_complete_notice_naming_what_is_missing(make_intake_env, sqlite_url, mailbox):
    env = make_intake_env(sqlite_url)
    first_try = next(m for m in mailbox if m.expect_reply == "incomplete")
    env.deliver(first_try.raw, at=first_try.received_at)

    run_once(env.runtime)

    [reply] = received_replies(env.smtp_sink)
    body = reply.get_body(("plain",)).get_content()
    assert reply["X-Intake-Outbox"] == "incomplete"
    assert "手机号码" in body and "专业领域" in body
    assert "2020年9月25日" in body
    with env.runtime.session_factory() as session:
        [application] = session.scalars(select(Application)).all()
        assert application.status == ApplicationStatus.INCOMPLETE
        assert application.missing_fields == ["mobile", "expertise"]


def test_no_reply_is_lost_while_the_smtp_server_is_down(make_intake_env, database_url, mailbox):
    env = make_intake_env(database_url)
    normal = [m for m in mailbox if m.expect_reply][:4]
    for mail in normal:
        env.deliver(mail.raw, at=mail.received_at)
    env.smtp_sink.stop()

    report = run_once(env.runtime)

    assert report.process.replies_queued == len(normal)
    assert report.outbox.sent == 0
    with env.runtime.session_factory() as session:
        statuses = Counter(r.status for r in session.scalars(select(OutboxMail)))
    assert statuses == {OutboxStatus.PENDING: report.process.replies_queued}

    # Still down at the next poll: nothing sent, nothing lost, nothing re-queued.
    again = run_once(env.runtime)
    assert (again.process.replies_queued, again.outbox.sent) == (0, 0)

    env.smtp_sink.start()
    later = lambda: utcnow() + timedelta(hours=2)  # past the retry back-off
    flushed = flush_outbox(env.runtime.session_factory, env.settings.campaigns[0].smtp, env.settings.outbox, now=later,
                           campaign=env.settings.campaigns[0].name)
    assert flushed.sent == report.process.replies_queued
    assert flush_outbox(env.runtime.session_factory, env.settings.campaigns[0].smtp, env.settings.outbox, now=later,
                           campaign=env.settings.campaigns[0].name).sent == 0
    assert len(env.smtp_sink.messages) == report.process.replies_queued
