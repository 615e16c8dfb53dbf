"""A whole campaign on real servers, with a controlled clock: mail, reminders, a restart, the deadline, decisions.

Applicants write from 10 September; reminders are due at 09:00 seven, three
and one day before the 25 September deadline; the worker is restarted
between two offsets; one applicant completes the form after the first
reminder, another writes only to ask; a correction arrives after the
deadline; staff approve and reject with notices. Every mail that asks for an
answer gets exactly one, every reminder goes once to whom it should, nothing
goes to an auto-reply, and nothing is sent twice.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_incomplete_form_docx, sample_applicants
from intake.core.db import Runtime
from intake.core.models import Application
from intake.worker.pipeline import run_once
from notifier.outbox import flush_outbox
from notifier.reminders import sweep_reminders
from review.decisions import decide

pytestmark = pytest.mark.integration

CHINA = timezone(timedelta(hours=8))
CENTRE = "zjzxqyfw@126.com"


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2020, 9, day, hour, minute, tzinfo=CHINA)


def qq(person, subject: str, text: str, attachments=(), *, day: int, address: str | None = None) -> bytes:
    return emails.qq_mail(sender_name=person.name, sender_address=address or person.email, subject=subject,
                          body=text, attachments=list(attachments), date=at(day, 8, 55), to_address=CENTRE)


def sent_mail(sink) -> list:
    return [BytesParser(policy=policy.default).parsebytes(m.data) for m in sink.messages]


class Campaign:
    """The worker as ``intake run`` drives it: polls, reminder sweeps and flushes at given moments."""

    def __init__(self, env) -> None:
        self.env = env
        self.runtime = env.runtime

    def deliver(self, raw: bytes, day: int) -> None:
        self.env.deliver(raw, at=at(day, 9, 1))

    def poll(self) -> None:
        report = run_once(self.runtime)
        assert report.ok and report.process.failed == 0, report.process.errors

    def sweep(self, moment: datetime) -> int:
        settings = self.runtime.settings
        [campaign] = settings.campaigns
        queued = sweep_reminders(settings, campaign, self.runtime.session_factory, moment).queued
        flush_outbox(self.runtime.session_factory, campaign.smtp, settings.outbox, campaign=campaign.name)
        return queued

    def restart(self) -> None:
        """The worker stops and starts again: a new process would hold nothing of the old one."""
        self.runtime.close()
        self.runtime = Runtime.from_settings(self.env.settings)


def test_a_whole_campaign_answers_every_mail_once_and_reminds_only_who_needs_it(make_intake_env, sqlite_url):
    env = make_intake_env(sqlite_url)
    campaign = Campaign(env)
    complete, incomplete, asker, rejected, away = sample_applicants(5, seed=77)
    answered: dict[str, str] = {}  # Message-ID of each mail that asks for an answer → its label

    def mail(label: str, raw: bytes, day: int) -> None:
        campaign.deliver(raw, day)
        if label != "out_of_office":
            answered[BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"]] = label

    mail("complete", qq(complete, "报名表", "附件是报名表。", [("报名表.docx", build_form_docx(complete))], day=10), 10)
    mail("incomplete", qq(incomplete, "报名表", "报名表见附件。",
                          [("报名表.docx", build_incomplete_form_docx(incomplete, ["mobile", "expertise"]))], day=10), 10)
    mail("question", qq(asker, "咨询报名", "请问志愿服务专家怎么报名？", day=11), 11)
    mail("to_reject", qq(rejected, "报名表", "请查收。", [("报名表.docx", build_form_docx(rejected))], day=12), 12)
    mail("out_of_office", emails.auto_reply(sender_name=away.name, sender_address=away.email, subject="报名表",
                                            date=at(13), to_address=CENTRE), 13)
    campaign.poll()

    assert campaign.sweep(at(17, 20, 0)) == 0  # nothing due before seven days ahead at 09:00
    assert campaign.sweep(at(18, 9, 0)) == 2  # 7 days: the incomplete applicant and the one who asked
    assert campaign.sweep(at(18, 15, 0)) == 0  # never twice for one offset
    campaign.restart()
    assert campaign.sweep(at(19, 9, 0)) == 0  # after a restart, still not twice

    mail("completes", qq(incomplete, "Re: 报名表", "已补充完整。", [("报名表.docx", build_form_docx(incomplete))],
                         day=20), 20)
    campaign.poll()
    campaign.restart()  # between two offsets
    assert campaign.sweep(at(22, 9, 0)) == 1  # 3 days: only the one who asked; the completed applicant none
    assert campaign.sweep(at(24, 22, 30)) == 0  # 1 day, but at night: waits for the morning
    assert campaign.sweep(at(24, 23, 59)) == 0
    # The deadline passes: the one-day reminder was never sent in waking hours, and none goes after it.
    assert campaign.sweep(at(25, 23, 59) + timedelta(minutes=2)) == 0

    mail("late_correction", qq(complete, "Re: 报名表（更正）", "更正了工作单位。",
                               [("报名表.docx", build_form_docx(complete))], day=27), 27)
    campaign.poll()

    with campaign.runtime.session_factory() as session, session.begin():
        by_name = {a.name: a for a in session.scalars(select(Application))}
        for name, action, extra in [(complete.name, "approve", {}),
                                    (rejected.name, "reject", {"reason": "专业领域与需求不符"})]:
            application = by_name[name]
            decision = decide(session, application, action, username="reviewer", address="127.0.0.1",
                              expected_version=application.row_version, settings=env.settings, notify=True, **extra)
            assert decision.ok and decision.emailed, decision.message
    flush_outbox(campaign.runtime.session_factory, env.settings.campaigns[0].smtp, env.settings.outbox,
                 campaign=env.settings.campaigns[0].name)
    campaign.poll()  # nothing new: nothing more is sent

    replies = sent_mail(env.smtp_sink)
    kinds = Counter(reply["X-Intake-Outbox"] for reply in replies)
    answers = Counter(reply["In-Reply-To"] for reply in replies
                      if reply["X-Intake-Outbox"] not in ("reminder", "approved", "rejected"))
    assert answers == Counter({message_id: 1 for message_id in answered}), "one answer to every mail that asks"
    assert kinds["late"] == 1 and kinds["update"] == 1 and kinds["inquiry"] == 1
    reminders = [reply for reply in replies if reply["X-Intake-Outbox"] == "reminder"]
    assert sorted(r["To"].addresses[0].addr_spec for r in reminders) == sorted([incomplete.email, asker.email,
                                                                                 asker.email])
    assert kinds["approved"] == 1 and kinds["rejected"] == 1
    assert away.email not in {reply["To"].addresses[0].addr_spec for reply in replies}
    assert len({reply["Message-ID"] for reply in replies}) == len(replies), "nothing sent twice"
