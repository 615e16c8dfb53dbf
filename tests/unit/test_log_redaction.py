"""Every log line intake writes is redacted: message, arguments and traceback."""
import io
import logging

import pytest

from intake.core import log_redaction
from intake.core.config import MailboxSettings

ID_NUMBER = "440802197805121234"
MOBILE = "13812345678"


@pytest.fixture
def log_stream():
    stream = io.StringIO()
    logger = logging.getLogger("intake.test_redaction")
    handler = log_redaction.redacting_handler(stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, stream
    logger.removeHandler(handler)


def test_a_logged_form_field_shows_no_id_or_phone(log_stream):
    logger, stream = log_stream
    logger.info("parsed %s: id=%s mobile=%s", "张伟", ID_NUMBER, MOBILE)
    line = stream.getvalue()
    assert ID_NUMBER not in line and MOBILE not in line
    assert "张伟" in line and "440802********1234" in line


def test_a_traceback_quoting_a_field_is_redacted_too(log_stream):
    logger, stream = log_stream
    try:
        raise ValueError(f"身份证号码“{ID_NUMBER}”校验位不正确, 联系 138 1234 5678")
    except ValueError:
        logger.exception("record failed")
    text = stream.getvalue()
    assert "Traceback" in text
    assert ID_NUMBER not in text and "1234 5678" not in text


def test_a_database_url_password_and_a_resolved_secret_never_appear(log_stream, monkeypatch):
    logger, stream = log_stream
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "s3cret-auth-code")
    settings = MailboxSettings(host="imap.126.com", username="zjzxqfw@126.com",
                               password_env="INTAKE_TEST_IMAP_PASSWORD")
    settings.resolved_password()
    logger.error("login failed with s3cret-auth-code to postgresql://intake:pg-pass@db/intake")
    text = stream.getvalue()
    assert "s3cret-auth-code" not in text and "pg-pass" not in text
    assert "postgresql://intake:[已隐藏]@db/intake" in text


def test_email_addresses_keep_only_their_first_letter_and_domain(log_stream):
    logger, stream = log_stream
    logger.warning("reply to zhangwei1975@126.com refused")
    assert "z***@126.com" in stream.getvalue() and "zhangwei1975" not in stream.getvalue()


def test_install_replaces_its_own_handler_instead_of_stacking():
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        log_redaction.install(logging.INFO, io.StringIO())
        log_redaction.install(logging.INFO, io.StringIO())
        ours = [h for h in root.handlers if getattr(h, "_intake_redacting", False)]
        assert len(ours) == 1
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
