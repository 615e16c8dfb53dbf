import socket

import pytest

from devtools.servers.smtp_sink import SmtpSink
from notifier import smtp
from notifier.smtp import (
    PermanentSendError,
    ServerUnavailableError,
    SmtpSession,
    SmtpSetupError,
    TransientSendError,
    send_message,
)
from tests.fixtures.smtp import SINK_FROM_ADDRESS, acknowledgement, sink_settings

pytestmark = pytest.mark.integration


def reply_to(address: str):
    return acknowledgement(
        address,
        message_id="<intake.smtptest@126.com>",
        to_name="张喆",
        original_subject="报名表 张喆",
        original_message_id="<orig@example.com>",
    )


def test_delivers_with_login_and_envelope_sender(smtp_sink):
    send_message(sink_settings(smtp_sink), reply_to("applicant@example.com"), to_address="applicant@example.com")
    [mail] = smtp_sink.messages
    assert mail.envelope_from == SINK_FROM_ADDRESS
    assert mail.rcpt_tos == ["applicant@example.com"]
    assert mail.message["Subject"] == "Re: 报名表 张喆"
    assert mail.message["Message-ID"] == "<intake.smtptest@126.com>"
    assert smtp_sink.logins == [SINK_FROM_ADDRESS]


def test_without_username_sends_from_from_address(smtp_sink):
    send_message(
        sink_settings(smtp_sink, username="", password=None), reply_to("applicant@example.com"),
        to_address="applicant@example.com",
    )
    assert smtp_sink.messages[0].envelope_from == SINK_FROM_ADDRESS
    assert smtp_sink.logins == []


def test_5xx_for_recipient_is_permanent(smtp_sink):
    smtp_sink.set_recipient_reply("gone@example.com", "550 5.1.1 mailbox unavailable")
    with pytest.raises(PermanentSendError, match="550"):
        send_message(sink_settings(smtp_sink), reply_to("gone@example.com"), to_address="gone@example.com")
    assert smtp_sink.messages == []


def test_4xx_for_recipient_is_transient_but_not_server_wide(smtp_sink):
    smtp_sink.set_recipient_reply("busy@example.com", "450 4.2.1 mailbox busy")
    with pytest.raises(TransientSendError) as caught:
        send_message(sink_settings(smtp_sink), reply_to("busy@example.com"), to_address="busy@example.com")
    assert not caught.value.server_wide


def test_login_refused_is_a_setup_error():
    with SmtpSink(credentials={SINK_FROM_ADDRESS: "right"}) as sink:
        with pytest.raises(SmtpSetupError, match="535") as caught:
            send_message(
                sink_settings(sink, password="wrong"), reply_to("applicant@example.com"),
                to_address="applicant@example.com",
            )
        assert caught.value.server_wide
        assert sink.messages == []


def test_missing_password_variable_is_a_setup_error(smtp_sink, monkeypatch):
    monkeypatch.delenv("INTAKE_TEST_UNSET_SMTP_PASSWORD", raising=False)
    settings = sink_settings(smtp_sink, password=None, password_env="INTAKE_TEST_UNSET_SMTP_PASSWORD")
    with pytest.raises(SmtpSetupError, match="INTAKE_TEST_UNSET_SMTP_PASSWORD"):
        send_message(settings, reply_to("applicant@example.com"), to_address="applicant@example.com")


def test_stopped_server_refuses_connections_and_restarts_on_the_same_port(smtp_sink):
    settings = sink_settings(smtp_sink)
    smtp_sink.stop()
    with pytest.raises(ServerUnavailableError) as caught:
        send_message(settings, reply_to("applicant@example.com"), to_address="applicant@example.com")
    assert caught.value.server_wide
    smtp_sink.start()
    send_message(settings, reply_to("applicant@example.com"), to_address="applicant@example.com")
    assert len(smtp_sink.messages) == 1


def test_sink_writes_eml_files(tmp_path):
    with SmtpSink(eml_dir=tmp_path / "sent") as sink:
        send_message(sink_settings(sink), reply_to("applicant@example.com"), to_address="applicant@example.com")
    [eml] = (tmp_path / "sent").glob("*.eml")
    assert b"Message-ID: <intake.smtptest@126.com>" in eml.read_bytes()


def test_a_session_sends_one_reply_after_another_on_one_login(smtp_sink):
    settings = sink_settings(smtp_sink)
    with SmtpSession(settings) as session:
        for number in range(3):
            session(settings, reply_to(f"applicant{number}@example.com"), to_address=f"applicant{number}@example.com")
    assert (session.logins, len(smtp_sink.messages)) == (1, 3)


def test_a_connection_left_idle_and_dropped_is_opened_again(smtp_sink, monkeypatch):
    settings = sink_settings(smtp_sink)
    monkeypatch.setattr(smtp, "IDLE_BEFORE_NOOP_SECONDS", 0.0)  # every reuse counts as after a pause
    with SmtpSession(settings) as session:
        session(settings, reply_to("first@example.com"), to_address="first@example.com")
        session._client.sock.shutdown(socket.SHUT_RDWR)  # the server dropped it while idle
        session(settings, reply_to("second@example.com"), to_address="second@example.com")
    assert session.logins == 2
    assert [mail.rcpt_tos for mail in smtp_sink.messages] == [["first@example.com"], ["second@example.com"]]
