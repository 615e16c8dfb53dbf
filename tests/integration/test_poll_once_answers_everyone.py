"""One ``intake poll --once`` after a busy morning answers every applicant.

Twelve applicants mail their forms before the operator runs ``intake poll
--once``. The outbox sends five replies per batch; the command still sends
all twelve, over one SMTP login, before it exits. On a day when the hourly
send limit is lower than the mail waiting, the command says how many replies
wait for it and from when they go.
"""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from tests.fixtures.intake_env import settings_mapping
from tests.fixtures.schema import execute

pytestmark = pytest.mark.integration

APPLICANTS = 12
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def morning(tmp_path, dovecot_server, imap_account, smtp_sink, sqlite_url):
    """The inbox with twelve application mails; returns a function writing the config."""
    people = sample_applicants(APPLICANTS, seed=1212)
    for number, person in enumerate(people):
        sent = datetime(2020, 9, 14, 8, number, tzinfo=CHINA)
        raw = emails.netease_mail(
            sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
            body="您好，附件是我的报名表。", attachments=[(f"报名表-{person.name}.docx", build_form_docx(person))],
            date=sent, message_id=f"<morning-{number}@126.com>",
        )
        dovecot_server.append(imap_account.username, imap_account.password, "INBOX", raw, msg_time=sent)

    def config(**outbox) -> None:
        mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink,
                                   database_url=sqlite_url)
        mapping["mailbox"]["batch_size"] = 5
        mapping["outbox"].update(batch_size=5, **outbox)
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")

    return people, config


def poll_once(tmp_path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(tmp_path / "config.yaml"), "poll", "--once"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_one_poll_answers_every_applicant_though_a_batch_holds_five(morning, tmp_path, smtp_sink):
    people, config = morning
    config()

    done = poll_once(tmp_path)

    answered = {mail.rcpt_tos[0] for mail in smtp_sink.messages}
    assert answered == {person.email for person in people}
    assert len(smtp_sink.messages) == APPLICANTS
    assert "发送：成功 12，稍后重试 0，失败 0，待发送 0" in done.stdout
    assert len(smtp_sink.logins) < APPLICANTS, "the replies share SMTP logins"
    assert "发送上限" not in done.stdout


def test_replies_over_the_hourly_limit_wait_and_the_command_says_how_many_and_until_when(
        morning, tmp_path, smtp_sink):
    people, config = morning
    config(max_per_hour=7)

    done = poll_once(tmp_path)

    assert len(smtp_sink.messages) == 7
    waiting = re.search(r"因发送上限等待的回复 (\d+) 封，(\d{4}-\d\d-\d\d \d\d:\d\d) 起陆续自动发送", done.stdout)
    assert waiting, done.stdout
    assert int(waiting.group(1)) == APPLICANTS - 7
    # Within the coming hour, in the centre's time: when the first of the seven sent leaves the window.
    until = datetime.strptime(waiting.group(2), "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    now = datetime.now(CHINA)
    assert now + timedelta(minutes=58) <= until + timedelta(minutes=1) and until <= now + timedelta(hours=1)
    assert "每小时最多发送 7 封" in done.stdout

    again = poll_once(tmp_path)  # nothing lost: still waiting, nothing sent twice
    assert len(smtp_sink.messages) == 7
    assert f"因发送上限等待的回复 {APPLICANTS - 7} 封" in again.stdout


def test_replies_go_out_as_the_mail_is_recorded_not_after_the_last(tmp_path, dovecot_server, imap_account,
                                                                      smtp_sink, sqlite_url):
    """Sixty forms: the worker records them in groups (fifty at most) and
    sends the replies each group queued before it records the next, so the
    first applicants are answered while the rest of the backlog is read."""
    people = sample_applicants(60, seed=6060)
    for number, person in enumerate(people):
        sent = datetime(2020, 9, 24, 9, number, tzinfo=CHINA)
        raw = emails.qq_mail(sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
                             body="报名表见附件。", attachments=[(f"{person.name}.docx", build_form_docx(person))],
                             date=sent)
        dovecot_server.append(imap_account.username, imap_account.password, "INBOX", raw, msg_time=sent)
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink,
                               database_url=sqlite_url)
    mapping["outbox"].update(batch_size=5)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")

    done = poll_once(tmp_path)

    assert "发送：成功 60，稍后重试 0，失败 0，待发送 0" in done.stdout
    assert sorted(mail.rcpt_tos[0] for mail in smtp_sink.messages) == sorted(person.email for person in people)
    last_recorded = execute(sqlite_url, "SELECT max(processed_at) FROM message")[0][0]
    answered_before = execute(sqlite_url, "SELECT count(*) FROM outbox_mail WHERE sent_at < :last",
                              last=last_recorded)[0][0]
    assert answered_before >= 5, "the first group's replies went out before the last mail was recorded"
