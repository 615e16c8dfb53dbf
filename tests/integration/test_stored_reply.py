"""Stored rows are enough to reply: a message's own ids are kept, and the outbox sends to its row's address."""
from datetime import datetime, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, text

from intake.core.config import settings_from_mapping
from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, ApplicationVersion, Message, OutboxMail
from intake.core.statuses import ApplicationStatus
from intake.mail.mime import parse_mail
from intake.worker.record import _copy_headers
from notifier.replies import queue_message_reply
from notifier.smtp import PermanentSendError, send_message
from tests.fixtures.smtp import acknowledgement, sink_settings

pytestmark = pytest.mark.integration

T0 = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(database_url):
    upgrade_database(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def settings(tmp_path):
    return settings_from_mapping(
        {
            "mailbox": {"host": "127.0.0.1", "username": "zjzxqyfw@126.com"},
            "smtp": {"host": "127.0.0.1", "from_address": "zjzxqyfw@126.com"},
            "campaign": {"name": "zj-2020", "deadline": "2020-09-25"},
        },
        base_dir=tmp_path,
    )


def stored_message(**values) -> Message:
    defaults = dict(
        raw_sha256="a" * 64, size=1, body_sha256="b" * 64, received_at=T0, subject="报名表 张喆",
        from_name="张喆", from_address="zhangzhe@example.com", reply_address="zhangzhe@example.com",
        message_id_header="<orig-1@mail.example.com>", references_header=["<root@mail.example.com>"],
        defects=[],
    )
    defaults.update(values)
    return Message(**defaults)


def test_existing_messages_get_no_references_on_upgrade(database_url):
    upgrade_database(database_url, "0001")
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO message (raw_sha256, size, body_sha256, received_at, subject, from_name, status,"
                " attempts, is_late, defects, created_at) VALUES ('a', 1, 'b', :t, 's', 'n', 'stored', 0,"
                " false, '[]', :t)"
            ), {"t": datetime(2020, 9, 20, 2, 0)})
            connection.execute(text(
                "INSERT INTO attachment (message_id, filename, content_type, sha256, size, origin, kind,"
                " forms_found) SELECT id, 'f.docx', 'application/octet-stream', 'c', 1, 'attachment', 'docx', 0"
                " FROM message"
            ))
        upgrade_database(database_url)
        with make_session_factory(engine)() as session:
            [message] = session.scalars(select(Message)).all()
            assert message.references_header == []
    finally:
        engine.dispose()


def test_copied_headers_keep_the_references():
    mail = parse_mail(
        b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <m@example.com>\r\n"
        b"References: <r1@example.com>\r\n <r2@example.com>\r\n\r\nbody\r\n"
    )
    message = stored_message(references_header=[])
    _copy_headers(message, mail)
    assert message.references_header == ["<r1@example.com>", "<r2@example.com>"]


def test_reply_from_stored_rows_threads_with_the_message(engine, tmp_path):
    with make_session_factory(engine)() as session, session.begin():
        message = stored_message()
        session.add(message)
        session.flush()
        application = Application(
            campaign="zj-2020", reference="ZJZJ-2020-0001", status=ApplicationStatus.PENDING_REVIEW,
            sender=message.from_address, reply_address=" zhangzhe@example.com", name="张喆",
            fields={"name": "张喆"}, message_id=message.id,
        )
        session.add(application)
        session.flush()
        session.add(ApplicationVersion(application_id=application.id, version=1, message_id=message.id,
                                       fields={"name": "张喆"}, missing_fields=[]))
        session.flush()
        assert queue_message_reply(message, settings(tmp_path).campaigns[0], session=session)
    with make_session_factory(engine)() as session:
        [row] = session.scalars(select(OutboxMail)).all()
    reply = message_from_bytes(row.raw, policy=policy.SMTP)
    assert reply["Subject"] == "Re: 报名表 张喆"
    assert reply["In-Reply-To"] == "<orig-1@mail.example.com>"
    assert reply["References"] == "<root@mail.example.com> <orig-1@mail.example.com>"
    assert row.to_address == reply["To"].addresses[0].addr_spec == "zhangzhe@example.com"


def test_a_to_header_other_than_the_rows_address_is_refused_before_connecting():
    class NoServer:
        host, port = "127.0.0.1", 9

    message = acknowledgement("applicant@example.com", message_id="<intake.x@126.com>")
    with pytest.raises(PermanentSendError, match="To address"):
        send_message(sink_settings(NoServer()), message, to_address="someone-else@example.com")
