"""Kill the worker with SIGKILL at every step, again and again; then run it cleanly.

Twenty-four applicants mail their forms. ``intake poll`` is started over and
over and killed (``INTAKE_CRASH_AT``, see ``intake.core.crash_points``) right
after a fetch, after the raw mail is on disk, after its row commits, before
recording, after recording, before the mailbox move, and after the SMTP
server accepted a reply but before the outbox row says so — each at several
depths, plus kills at steps and depths drawn at random. Then one clean run.

Nothing may be lost (every mail stored, processed and moved; every applicant
one application) and nothing done twice (no duplicate application; one reply
per application mail, except that a kill between the SMTP server's 250 and
the outbox update may send that one reply again — with the same Message-ID,
so the applicant's mail client shows one).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from imapclient import IMAPClient
from sqlalchemy import create_engine, func, select, update

from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from intake.core import crash_points
from intake.core.models import Application, MailboxEntry, Message, OutboxMail
from intake.core.statuses import MessageStatus, OutboxStatus
from tests.fixtures.intake_env import settings_mapping

APPLICANTS = 24  # three waves of eight
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def campaign(tmp_path, dovecot_server, imap_account, smtp_sink, sqlite_url):
    mapping = settings_mapping(tmp_path=tmp_path, imap_account=imap_account, smtp_sink=smtp_sink,
                               database_url=sqlite_url)
    mapping["mailbox"].update(batch_size=5, move_to="已处理")
    mapping["outbox"]["batch_size"] = 500
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    people = sample_applicants(APPLICANTS, seed=404)
    mails = []
    for number, person in enumerate(people):
        sent = datetime(2020, 9, 10, 9, number, tzinfo=CHINA)
        message_id = f"<kill-test-{number}@126.com>"
        raw = emails.netease_mail(
            sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}",
            body="您好，附件是我的报名表。", attachments=[(f"报名表-{person.name}.docx", build_form_docx(person))],
            date=sent, message_id=message_id,
        )
        mails.append((message_id, raw, sent))

    def deliver(wave: list) -> None:
        for _message_id, raw, sent in wave:
            dovecot_server.append(imap_account.username, imap_account.password, "INBOX", raw, msg_time=sent)

    engine = create_engine(sqlite_url)
    yield config, people, mails, deliver, engine
    engine.dispose()


def poll(config, tmp_path, crash_at: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != crash_points.ENVIRONMENT_VARIABLE}
    if crash_at:
        env[crash_points.ENVIRONMENT_VARIABLE] = crash_at
    done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "poll"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1, -signal.SIGKILL), done.stderr[-3000:]
    return done.returncode


def let_the_sending_lease_run_out(engine) -> None:
    """What ten minutes of waiting would do: a row left 'sending' by a killed flush is due again."""
    with engine.begin() as connection:
        connection.execute(update(OutboxMail).where(OutboxMail.status == OutboxStatus.SENDING)
                           .values(next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_killing_the_worker_anywhere_loses_nothing_and_sends_nothing_twice(campaign, tmp_path, smtp_sink):
    config, people, mails, deliver, engine = campaign
    message_ids = [message_id for message_id, _raw, _sent in mails]
    rng = random.Random(20261130)
    # Three waves of mail, so every step has work to be killed in: the first
    # two killed at each step in the order mail meets them (at the first and
    # second time the step is reached), the third at steps and depths drawn at random.
    waves = [mails[0:8], mails[8:16], mails[16:24]]
    plans = [[f"{step}:1" for step in crash_points.STEPS], [f"{step}:2" for step in crash_points.STEPS],
             [f"{rng.choice(crash_points.STEPS)}:{rng.randint(1, 5)}" for _ in range(6)]]
    killed = Counter()
    for wave, plan in zip(waves, plans):
        deliver(wave)
        for crash_at in plan:
            if poll(config, tmp_path, crash_at) == -signal.SIGKILL:
                killed[crash_at.split(":")[0]] += 1
            let_the_sending_lease_run_out(engine)
    assert set(killed) == set(crash_points.STEPS), f"a step was never killed at: {killed}"

    assert poll(config, tmp_path) == 0
    assert poll(config, tmp_path) == 0  # a second clean run finds nothing left to do

    with engine.connect() as db:
        messages = db.execute(select(Message.message_id_header, Message.status)).all()
        assert sorted(m for m, _ in messages) == sorted(message_ids), "every mail stored exactly once"
        assert {status for _, status in messages} == {MessageStatus.PROCESSED}
        assert db.scalar(select(func.count()).select_from(MailboxEntry).where(MailboxEntry.moved.is_(False))) == 0
        applications = db.execute(select(Application.id_number)).scalars().all()
        assert sorted(applications) == sorted(p.id_number for p in people), "one application per applicant"
        unsent = db.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status != OutboxStatus.SENT))
        assert unsent == 0

    replies = [mail.message for mail in smtp_sink.messages]
    answered = Counter(reply["In-Reply-To"] for reply in replies)
    assert set(answered) == set(message_ids), "every application mail answered"
    repeated = {mid: n for mid, n in answered.items() if n > 1}
    # Only a kill between the server's 250 and the outbox update may repeat a reply ...
    assert sum(n - 1 for n in repeated.values()) <= killed["after_smtp_accepted"], repeated
    # ... and the repeat is the same mail: the recipient's client folds it.
    for original in repeated:
        assert len({r["Message-ID"] for r in replies if r["In-Reply-To"] == original}) == 1
    assert dovecot_inbox_is_empty(campaign)
    print(f"\nkill test: {sum(killed.values())} kills landed ({dict(killed)}); {len(message_ids)} mails, "
          f"{len(applications)} applications, {len(replies)} replies, {len(repeated)} repeated after a 250")


def dovecot_inbox_is_empty(campaign) -> bool:
    config = yaml.safe_load(campaign[0].read_text(encoding="utf-8"))["mailbox"]
    with IMAPClient(config["host"], port=config["port"], ssl=False) as client:
        client.login(config["username"], config["password"])
        client.select_folder("INBOX", readonly=True)
        return client.search("ALL") == []
