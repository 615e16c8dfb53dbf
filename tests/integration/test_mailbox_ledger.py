"""The database ledger, not the server's flags, decides what is new; mail is never lost or deleted."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.core.models import Application, MailboxEntry, Message
from intake.worker.pipeline import run_once
from devtools.samples import emails
from devtools.samples.forms import build_form_docx, sample_applicants
from devtools.samples.mailbox import on

pytestmark = pytest.mark.integration


def application_mail(person, day: int) -> bytes:
    return emails.netease_mail(
        sender_name=person.name, sender_address=person.email, subject=f"报名表-{person.name}", body="见附件",
        attachments=[(f"{person.name}.docx", build_form_docx(person))], date=on(day),
    )


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_mail_is_fetched_without_marking_it_read(make_intake_env, sqlite_url):
    env = make_intake_env(sqlite_url)
    [person] = sample_applicants(1, seed=11)
    env.deliver(application_mail(person, 10), at=on(10))

    run_once(env.runtime)

    with env.dovecot.session(env.imap_account.username, env.imap_account.password) as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
    assert all(b"\\Seen" not in f for f in flags.values())  # staff still see it as unread in webmail


def test_a_rebuilt_folder_does_not_reprocess_old_mail(make_intake_env, database_url):
    env = make_intake_env(database_url)
    people = sample_applicants(4, seed=5)
    old = [application_mail(p, 10 + i) for i, p in enumerate(people[:2])]
    for i, raw in enumerate(old):
        env.deliver(raw, at=on(10 + i))
    run_once(env.runtime)

    # The server rebuilds the inbox (new UIDVALIDITY) with the old mail plus new mail.
    env.dovecot.recreate_mailbox(env.imap_account.username, "INBOX")
    for i, raw in enumerate(old):
        env.deliver(raw, at=on(10 + i))
    for i, person in enumerate(people[2:]):
        env.deliver(application_mail(person, 20 + i), at=on(20 + i))
    report = run_once(env.runtime)

    assert report.ingest.uidvalidity_changed and report.ingest.alerts
    assert (report.ingest.stored, report.ingest.duplicates) == (2, 2)
    with env.runtime.session_factory() as session:
        assert count(session, Message) == 4
        assert count(session, Application) == 4
        assert count(session, MailboxEntry) == 6
    assert len(env.smtp_sink.messages) == 4


def test_processed_mail_moves_with_copy_and_expunge_where_the_server_lacks_move(
    make_intake_env, sqlite_url, make_dovecot_server, smtp_sink
):
    like_126 = make_dovecot_server(disable_move=True, disable_idle=True)
    account = like_126.new_account("centre")
    env = make_intake_env(
        sqlite_url,
        mailbox={"host": account.host, "port": account.port, "username": account.username,
                 "password": account.password, "move_to": "已处理"},
    )
    people = sample_applicants(2, seed=9)
    for i, person in enumerate(people):
        like_126.append(account.username, account.password, "INBOX", application_mail(person, 10 + i), msg_time=on(10 + i))

    report = run_once(env.runtime)

    assert report.moved == 2
    with like_126.session(account.username, account.password) as client:
        assert b"MOVE" not in client.capabilities()
        client.select_folder("INBOX", readonly=True)
        assert client.search("ALL") == []
        client.select_folder("已处理", readonly=True)
        assert len(client.search("ALL")) == 2
    # Nothing is fetched again from the processed folder or the inbox.
    assert run_once(env.runtime).ingest.stored == 0
