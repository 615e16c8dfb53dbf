"""Hostile subjects, names and message ids can't add headers, recipients or body parts to a reply.

Intake decodes RFC 2047 encoded words once. Text that was encoded twice
still holds an encoded word after that, and CPython without the
CVE-2024-6923 fix (< 3.11.10, < 3.12.5) decodes it a second time while it
builds or folds the reply's headers, writing any CR/LF in it onto the wire.
These tests check the bytes a recipient gets, and they pass on patched and
unpatched interpreters alike: ``compose`` must not rely on the interpreter.
"""
from __future__ import annotations

import base64
import email.errors
import re
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import notifier.compose as compose
from intake.core.statuses import ReplyKind
from notifier.blank_form import BLANK_FORM_FILENAME, blank_form_docx
from notifier.compose import compose_reply, header_text, reply_subject

from .test_compose import make_context

TO = "zhangzhe@example.com"
THREADED_HEADERS = [
    "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "X-Auto-Response-Suppress", "X-Intake-Outbox",
    "Content-Type", "Content-Transfer-Encoding", "MIME-Version",
]
BODY_HEADERS = ("Content-Type", "Content-Transfer-Encoding", "MIME-Version")
UNTHREADED_HEADERS = [name for name in THREADED_HEADERS if name not in ("In-Reply-To", "References")]
PRINTABLE_HEADER_LINE = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+:|[ \t])[\x20-\x7e\t]*$")


def q_word(text: str) -> str:
    """``text`` as one RFC 2047 Q encoded word, CR/LF and all."""
    encoded = "".join(
        c if c.isalnum() and c.isascii() else "_" if c == " " else "".join(f"={b:02X}" for b in c.encode())
        for c in text
    )
    return f"=?utf-8?q?{encoded}?="


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


BCC = "x\r\nBcc: victim@example.com"
SECOND_TO = "x\r\nTo: evil@attacker.example"
NEW_BODY = "x\r\nContent-Type: text/html\r\n\r\n<b>owned</b>"
# What intake hands over after its one decode: text that still holds encoded words.
TWICE_ENCODED = [
    "=?utf-8?q?x=0D=0ABcc:_victim@example.com?=",  # the example
    q_word(BCC),
    b_word(BCC),
    b_word(SECOND_TO),
    b_word(NEW_BODY),
    q_word("x\r\nBcc: a@example.com\r\nCc: b@example.com\r\nReply-To: c@example.com"),
    "报名表 " + b_word(BCC) + " 张喆",
    "报名表" * 30 + " " + b_word(BCC),  # long enough to be folded
    "a" * 70 + " " + q_word(BCC),  # folded in plain ASCII
    b_word(b_word(BCC)),  # three levels
    "=?utf-8?q?x=0D=0ABcc:_victim@example.com?=" * 5,
    "<" + b_word(BCC) + ">",  # no whitespace around the word
    "=?utf-8?q?=22evil=22_=3Cevil@attacker.example=3E,?=",
]
RAW_CONTROL = [
    "张喆\r\nBcc: victim@example.com",
    "张喆\rBcc: victim@example.com",
    "张喆\nBcc: victim@example.com",
    "张\x00喆\x0bBcc:\x0c victim@example.com",
    "张喆\u2028Bcc: victim@example.com\u2029x\x85y",
    "张喆\x1b[31m\x9b",
    "\u202e喆张\u202c",
]
ADDRESS_SHAPED_NAMES = [
    "<evil@attacker.example>",
    '"a@b" <c@d>',
    'admin@centre" <attacker@x.example>',
    "a@x.example, b@y.example",
    "group: a@x.example, b@y.example;",
    "张喆 (comment) [x]",
    '\\"',
    "J. Smith",
    "张喆" * 500,
    "a" * 1000,
]


def decode_repeatedly(value: str, rounds: int = 5) -> list[str]:
    """``value`` and what decoding its encoded words again and again gives: the unpatched folder's view."""
    texts = [value]
    for _ in range(rounds):
        try:
            decoded = str(make_header(decode_header(texts[-1])))
        except (HeaderParseError, ValueError, LookupError):
            break
        if decoded == texts[-1]:
            break
        texts.append(decoded)
    return texts


def wire(message: EmailMessage) -> bytes:
    """The bytes the outbox stores and sends."""
    return message.as_bytes(policy=policy.SMTP)


def assert_safe_wire(
    raw: bytes, *, headers: list[str] = THREADED_HEADERS, to_address: str = TO, refolded: bool = False
) -> EmailMessage:
    """``refolded``: bytes folded again by the stdlib, which may start a header's value on a continuation line."""
    head, separator, _body = raw.partition(b"\r\n\r\n")
    assert separator
    # Every header line is printable ASCII; CR and LF only as the line ends.
    lines = head.split(b"\r\n")
    assert all(PRINTABLE_HEADER_LINE.match(line) for line in lines), lines
    assert b"\r" not in head.replace(b"\r\n", b"") and b"\n" not in head.replace(b"\r\n", b"")
    names = [line.split(b":", 1)[0].decode() for line in lines if line[:1] not in (b" ", b"\t")]
    if b"Content-Type: multipart/mixed" in head:
        # A reply with the blank form attached: its text part carries the body's own headers.
        headers = [name for name in headers if name not in BODY_HEADERS] + ["MIME-Version", "Content-Type"]
    assert names == headers

    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.keys() == headers
    assert "Bcc" not in parsed and "Cc" not in parsed and "Reply-To" not in parsed
    # Exactly one To, one address in it, the checked one; read as smtp._check_to_header reads it too.
    assert len(parsed.get_all("To")) == 1
    assert [address.addr_spec for address in parsed["To"].addresses] == [to_address]
    assert [addr for _name, addr in getaddresses(parsed.get_all("To")) if addr] == [to_address]
    assert len(parsed["From"].addresses) == 1
    assert (parsed["Subject"].lstrip() if refolded else parsed["Subject"]).startswith("Re: ")
    for name, value in parsed.items():
        assert "\r" not in value and "\n" not in value, (name, value)
        if refolded:
            # The stdlib's own refolding may split an encoded word it wrote
            # (3.11.7 does), leaving encoded-word-shaped text; whatever a
            # vulnerable interpreter decodes out of it is still one clean line.
            assert not any("\r" in text or "\n" in text for text in decode_repeatedly(value)), (name, value)
        else:
            # A second decode (what an unpatched interpreter does while folding) finds nothing to decode.
            assert "=?" not in value, (name, value)
            assert decode_header(value) == [(value, None)], (name, value)
    for address in (*parsed["To"].addresses, *parsed["From"].addresses):
        assert not set(address.display_name) & set('<>@,;:"'), address.display_name

    # One text/plain utf-8 part, and for a reply that asks for a form the blank form; nothing else.
    if parsed.is_multipart():
        assert parsed.get_content_type() == "multipart/mixed"
        text, *attachments = parsed.iter_parts()
        assert [(a.get_content_type(), a.get_filename()) for a in attachments] == [
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", BLANK_FORM_FILENAME)]
        if not refolded:  # folded at 30 columns, even "Content-Transfer-Encoding: base64" breaks
            assert attachments[0].get_content() == blank_form_docx()
    else:
        text = parsed
    assert text.get_content_type() == "text/plain"
    assert text.get_content_charset() == "utf-8"
    assert text["Content-Transfer-Encoding"].cte == "base64"
    assert text.get_content().strip()
    assert parsed.defects == [] and all(part.defects == [] for part in parsed.walk())
    return parsed


def assert_safe(message: EmailMessage, **kwargs) -> EmailMessage:
    raw = wire(message)
    parsed = assert_safe_wire(raw, **kwargs)
    # The outbox parses the stored bytes and smtplib serialises them again;
    # force that second serialisation to refold every header from its parse
    # tree, the step at which unpatched interpreters decode a second time.
    stored = message_from_bytes(raw, policy=policy.SMTP)
    for folding in (policy.SMTP.clone(refold_source="all"), policy.SMTP.clone(refold_source="all", max_line_length=30)):
        assert_safe_wire(stored.as_bytes(policy=folding), refolded=True, **kwargs)
    return parsed


@pytest.mark.parametrize("subject", TWICE_ENCODED + RAW_CONTROL)
def test_hostile_subject(subject):
    parsed = assert_safe(compose_reply(make_context(original_subject=subject)))
    assert parsed["To"].addresses[0].display_name == "张喆"


@pytest.mark.parametrize("name", TWICE_ENCODED + RAW_CONTROL + ADDRESS_SHAPED_NAMES)
def test_hostile_display_name(name):
    parsed = assert_safe(compose_reply(make_context(to_name=name)))
    assert parsed["Subject"] == "Re: 报名表 张喆"
    # The stdlib may show a space where it split an encoded word; count the rest.
    shown = "".join(parsed["To"].addresses[0].display_name.split())
    assert len(shown) <= compose.MAX_DISPLAY_NAME_CHARS + 1


@pytest.mark.parametrize("name", TWICE_ENCODED[:4])
def test_encoded_word_typed_into_the_name_cell(name):
    # The 姓名 cell of the form reaches to_name as typed; the body greets with it as plain text.
    context = make_context(to_name=name, fields={**make_context().fields, "name": name})
    assert_safe(compose_reply(context))


def test_hostile_from_name_from_settings():
    assert_safe(compose_reply(make_context(from_name=b_word(SECOND_TO) + ' "x" <y@z.example>')))


def test_everything_hostile_at_once_for_every_reply_kind():
    for kind in ReplyKind:
        context = make_context(
            kind=kind,
            to_name=b_word(SECOND_TO),
            original_subject="报名表" * 20 + " " + b_word(NEW_BODY),
            requested_labels=["身份证号码"],
            staff_note="请补充\r\nBcc: victim@example.com\r\n" + b_word(BCC),
            decision_reason=q_word(BCC),
        )
        assert_safe(compose_reply(context))


@pytest.mark.parametrize(
    "bad_id",
    [
        "<a" + q_word(BCC) + "b@x.example>",
        "<" + b_word(SECOND_TO) + "@x.example>",
        "<a\x00b@x.example>",
        "<a\x7fb@x.example>",
        "<张喆@x.example>",
        "<a@x.example>\r\nBcc: victim@example.com",
    ],
)
def test_message_ids_holding_encoded_words_or_controls_are_dropped(bad_id):
    # As the original's Message-ID: no threading at all.
    assert_safe(compose_reply(make_context(original_message_id=bad_id)), headers=UNTHREADED_HEADERS)
    # Among its References: that one id is left out.
    parsed = assert_safe(
        compose_reply(make_context(original_message_id="<o@x.example>", original_references=[bad_id, "<r@x.example>"]))
    )
    assert parsed["References"].split() == ["<r@x.example>", "<o@x.example>"]


def test_encoded_word_opener_is_broken_but_the_text_stays_readable():
    assert header_text("a=?utf-8?q?x?=b") == "a=？utf-8?q?x?=b"
    assert header_text("==??") == "==？?"
    assert header_text("= ?utf-8?q?x?= =\r\n?") == "= ？utf-8?q?x?= = ？"
    assert header_text("报名表\r\n\t张喆\x00") == "报名表 张喆"
    assert reply_subject("Re: " + q_word(BCC), "fallback").startswith("Re: =？utf-8?q?")
    # Ordinary subjects and names are untouched.
    assert header_text("报名表 张喆 (2020)") == "报名表 张喆 (2020)"
    assert compose._display_name("J. Smith") == "J. Smith"


def test_the_check_catches_the_attack_when_sanitising_is_switched_off(monkeypatch):
    """Proof the harness can see the vulnerability, on either kind of interpreter.

    Unpatched: the Bcc lands on the wire and the assertions catch it.
    Patched: the email package refuses or encodes the CR/LF, which decodes back to CR/LF.
    """
    naive = EmailMessage(policy=policy.SMTP)
    naive["From"] = "zjsme@126.com"
    naive["To"] = TO
    naive["Subject"] = "Re: " + q_word(BCC)
    naive.set_content("body")
    header_write_error = getattr(email.errors, "HeaderWriteError", AssertionError)
    with pytest.raises((AssertionError, header_write_error)):
        assert_safe_wire(wire(naive), headers=["From", "To", "Subject", "Content-Type",
                                               "Content-Transfer-Encoding", "MIME-Version"])

    # compose's own wire check refuses such a reply (ValueError: recorded, never retried).
    monkeypatch.setattr(compose, "header_text", compose._one_line)
    with pytest.raises(ValueError):
        compose_reply(make_context(original_subject=q_word(BCC)))


def test_the_to_header_never_names_a_second_address(monkeypatch):
    # Even a display name that somehow kept its specials is only ever quoted text.
    monkeypatch.setattr(compose, "_DISPLAY_NAME_SPECIALS", re.compile(r"(?!)"))
    parsed = message_from_bytes(
        wire(compose_reply(make_context(to_name='"a@b" <c@d.example>, e@f.example'))), policy=policy.default
    )
    assert [address.addr_spec for address in parsed["To"].addresses] == [TO]


_ENCODED_WORD_PARTS = st.sampled_from(
    ["=?", "= ?", "=", "?", "?=", "=?utf-8?q?", "=?utf-8?b?", "=0D=0A", "Bcc:", "To:", "\r\n", "\r", "\n", "<", ">", "@", ",", '"',
     q_word(BCC), b_word(SECOND_TO), "张喆", " "]
)
_HOSTILE_TEXT = st.lists(st.one_of(_ENCODED_WORD_PARTS, st.text(max_size=20)), max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_HOSTILE_TEXT, name=_HOSTILE_TEXT)
def test_any_subject_and_name_give_a_safe_reply(subject, name):
    assert_safe(compose_reply(make_context(original_subject=subject, to_name=name)))


@pytest.mark.parametrize("name", ['"admin@centre" attacker', "点击领取 http://evil.example/x", "www.spam.cn 优惠",
                                  "客服 13800138000 加微信", "<b>张伟</b>", "张" * 40])
def test_a_display_name_that_is_not_a_persons_name_is_not_echoed(name):
    reply = compose_reply(make_context(to_name=name))
    assert reply["To"].addresses[0].display_name == ""
    body = reply.get_body(("plain",)).get_content()
    for fragment in ("@centre", "http", "www.", "13800138000", "<b>", "张" * 40):
        assert fragment not in body and fragment not in str(reply["To"])


def test_a_real_name_is_still_used_to_greet():
    reply = compose_reply(make_context(to_name="欧阳婧"))
    assert reply["To"].addresses[0].display_name == "欧阳婧"
    assert "欧阳婧" in reply.get_body(("plain",)).get_content()
