"""A mailbox open to the world: one poll over every hostile mail of the table, and the worker keeps its promises.

The hostile mailbox (``devtools.samples.hostile``: traversal and control
characters in filenames, header injection, spoofed senders, 100,000 parts,
3,000 nested messages, broken MIME, repeat deliveries, every kind of
machine-sent mail, and applications whose attachment is a bomb, a trap or
a lie) — without the 60 MB mail and with the bombs at a tenth of their size
— goes into the test Dovecot, and one ``intake poll`` runs over it as the
service would, its SMTP server the test sink.

The worker must survive; every mail must end with a status and every
attachment with one; nothing may be answered that is machine-sent; every
reply goes to exactly one recipient, the stored one; no name in a mail may
put a file outside the storage folder. Each mail is also checked against
what its row of the table expects (``hostile_outcome.problems``).

A mail that still misbehaves is listed in ``STILL_MISBEHAVES`` with how:
its test is an expected failure (strict, so the fix that cures it turns it
into a failure to remove from the list).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select

from devtools.samples.hostile import hostile_mailbox
from devtools.samples.hostile_files import SENTINEL_NAME
from devtools.samples.hostile_outcome import NOT_TERMINAL, MailOutcome, problems, read_outcomes, stray_replies
from devtools.servers.smtp_sink import SmtpSink
from intake.core import crash_points
from intake.core.models import Attachment, Message
from tests.fixtures.intake_env import settings_mapping

pytestmark = pytest.mark.integration

SCALE = 0.1  # bombs at a tenth of the table's size: same ratios, a bounded run
PARSE_SECONDS = 15  # per file; what needs longer is stopped and says so
MAILS = {mail.key: mail for mail in hostile_mailbox(scale=SCALE, include_huge=False)}
# A traversal name climbing out of the worker's folder would land in here.
TRAVERSAL_MARKS = ("evil", "cron.d", "x.pdf")

# Mail the worker does not yet handle as the table expects, and how (issue 11).
STILL_MISBEHAVES: dict[str, str] = {}


@dataclass
class HostilePoll:
    returncode: int
    stderr: str
    outcomes: dict[str, MailOutcome]
    received: list
    database_url: str
    root: Path
    trap: Path
    temp_before: set[str]


@pytest.fixture(scope="module")
def hostile_poll(dovecot_server, tmp_path_factory) -> HostilePoll:
    root = tmp_path_factory.mktemp("hostile")
    trap = root / "trap"
    mails = hostile_mailbox(scale=SCALE, include_huge=False, trap_dir=trap)
    account = dovecot_server.new_account("hostile")
    database_url = f"sqlite:///{root / 'intake.sqlite3'}"
    temp_before = set(os.listdir(tempfile.gettempdir()))
    with SmtpSink() as sink:
        mapping = settings_mapping(tmp_path=root, imap_account=account, smtp_sink=sink, database_url=database_url)
        mapping["outbox"]["batch_size"] = 500
        mapping["parsing"] = {"timeout_seconds": PARSE_SECONDS}
        config = root / "config.yaml"
        config.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
        uids = {}
        for mail in mails:
            uids[mail.key] = dovecot_server.append(account.username, account.password, "INBOX", mail.raw,
                                                   msg_time=mail.received_at)
            mail.release()
        # Two levels down, so "../../x" from the worker's folder still lands inside ``root``.
        workdir = root / "work" / "a" / "b"
        workdir.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k != crash_points.ENVIRONMENT_VARIABLE}
        done = subprocess.run([sys.executable, "-m", "intake", "--config", str(config), "poll"], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=300)
        received = sink.messages
    return HostilePoll(done.returncode, done.stderr, read_outcomes(database_url, uids, received), received,
                       database_url, root, trap, temp_before)


def _known(key: str, reason: str | None = None):
    reason = reason or STILL_MISBEHAVES.get(key)
    return pytest.param(key, id=key, marks=pytest.mark.xfail(strict=True, reason=reason) if reason else ())


def test_the_worker_survives_the_hostile_mailbox(hostile_poll):
    assert hostile_poll.returncode == 0, hostile_poll.stderr[-3000:]


@pytest.mark.parametrize("key", [_known(key) for key in MAILS])
def test_each_hostile_mail_is_handled_as_its_row_expects(hostile_poll, key):
    mail, outcome = MAILS[key], hostile_poll.outcomes[key]
    assert problems(mail, outcome, hostile_poll.outcomes) == [], f"{mail.label}: expected {mail.expected.what}"


def test_every_message_ends_with_a_status_and_every_attachment_with_one(hostile_poll):
    engine = create_engine(hostile_poll.database_url)
    with engine.connect() as db:
        waiting = db.execute(select(Message.id, Message.status, Message.error)
                             .where(Message.status.in_(NOT_TERMINAL))).all()
        no_status = db.execute(select(Attachment.filename).where(Attachment.status.is_(None))).scalars().all()
    engine.dispose()
    assert waiting == [] and no_status == []


def test_no_reply_goes_anywhere_the_outbox_did_not_record(hostile_poll):
    assert stray_replies(hostile_poll.outcomes, hostile_poll.received) == []
    for mail in hostile_poll.received:
        assert len(mail.rcpt_tos) == 1 and "victim" not in mail.rcpt_tos[0]


def test_no_name_in_a_mail_puts_a_file_outside_the_storage_folder(hostile_poll):
    store = hostile_poll.root / "store"
    planted = [path for path in hostile_poll.root.rglob("*")
               if store not in path.parents and any(mark in path.name for mark in TRAVERSAL_MARKS)]
    new_in_temp = {name for name in set(os.listdir(tempfile.gettempdir())) - hostile_poll.temp_before
                   if any(mark in name for mark in TRAVERSAL_MARKS)}
    assert planted == [] and new_in_temp == set()
    assert not Path("/etc/cron.d/x.pdf").exists()


def test_a_pdf_naming_a_pickle_never_gets_it_loaded(hostile_poll):
    assert (hostile_poll.trap / "cmap.pickle.gz").exists(), "the trap was laid"
    assert not (hostile_poll.trap / SENTINEL_NAME).exists()
