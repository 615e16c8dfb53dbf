"""RFC 3834 matrix: every machine-mail signal gives a reason; normal mail None."""
import pytest

from intake.mail.autoreply import REASONS, no_reply_reason
from intake.mail.mime import parse_mail

NORMAL = ("From: =?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>\r\nTo: intake@example.com\r\n"
          "Subject: 专家申请\r\nMessage-ID: <1@qq.com>\r\n")


def reason(extra_headers: str = "", *, base: str = NORMAL, body: str = "申请", **kwargs):
    raw = (extra_headers + base + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body)
    return no_reply_reason(parse_mail(raw.encode("utf-8")), **kwargs)


def test_normal_mail_may_be_answered():
    assert reason() is None


def test_auto_submitted_no_is_fine():
    assert reason("Auto-Submitted: no\r\n") is None


@pytest.mark.parametrize("headers, expected", [
    ("Auto-Submitted: auto-replied\r\n", "auto-submitted"),
    ("Auto-Submitted: auto-generated\r\n", "auto-submitted"),
    ("Auto-Submitted: Auto-Replied; owner-email=\"x@y\"\r\n", "auto-submitted"),
    ("Return-Path: <>\r\n", "bounce"),
    ("Precedence: bulk\r\n", "bulk"),
    ("Precedence: junk\r\n", "bulk"),
    ("Precedence: list\r\n", "list"),
    ("List-Id: <news.example.com>\r\n", "list"),
    ("List-Unsubscribe: <mailto:u@example.com>\r\n", "list"),
    ("X-Auto-Response-Suppress: All\r\n", "suppressed"),
    ("X-Auto-Response-Suppress: DR, OOF\r\n", "suppressed"),
    ("X-Auto-Response-Suppress: AutoReply\r\n", "suppressed"),
    ("X-Autoreply: yes\r\n", "auto-reply"),
    ("X-Autorespond: 1\r\n", "auto-reply"),
    ("X-Intake-Outbox: 42\r\n", "own-mail"),
])
def test_header_signals(headers, expected):
    assert reason(headers) == expected
    assert expected in REASONS


def test_suppress_without_reply_kinds_is_fine():
    assert reason("X-Auto-Response-Suppress: DR, RN\r\n") is None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@126.com", "postmaster@qq.com",
                                    "Mailer-Daemon@mx.example.com"])
def test_daemon_senders_are_bounces(sender):
    base = NORMAL.replace("=?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>", sender)
    assert reason(base=base) == "bounce"


def test_multipart_report_is_a_bounce():
    raw = (NORMAL + 'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n'
           "\r\n--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--R--\r\n")
    assert no_reply_reason(parse_mail(raw.encode("utf-8"))) == "bounce"


@pytest.mark.parametrize("subject", ["自动回复: 专家申请", "自动回复：专家申请", "Automatic reply: x",
                                     "Out of Office: x", "自動回覆：x"])
def test_chinese_and_outlook_auto_reply_subjects(subject):
    assert reason(base=NORMAL.replace("Subject: 专家申请", f"Subject: {subject}")) == "auto-reply"


def test_subject_mentioning_auto_reply_later_is_fine():
    assert reason(base=NORMAL.replace("Subject: 专家申请", "Subject: 申请（不是自动回复: ）")) is None


def test_own_address_coming_back():
    assert reason(own_addresses=["ZhangSan@qq.com"]) == "own-mail"
    assert reason("Reply-To: intake@example.com\r\n", own_addresses=["intake@example.com"]) \
        == "own-mail"
    assert reason(own_addresses=["", "other@example.com"]) is None


@pytest.mark.parametrize("sender", ["a@x, b@y", "a@x@y", "nobody"])
def test_no_usable_address(sender):
    base = NORMAL.replace("=?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>", sender)
    assert reason(base=base) == "no-address"


def test_reply_to_rescues_a_broken_from():
    base = NORMAL.replace("=?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>", "a@x, b@y")
    assert reason("Reply-To: real@example.com\r\n", base=base) is None


def test_machine_signal_wins_over_missing_address():
    base = NORMAL.replace("=?utf-8?B?5byg5LiJ?= <zhangsan@qq.com>", "a@x, b@y")
    assert reason("Auto-Submitted: auto-generated\r\n", base=base) == "auto-submitted"
