"""Build the automatic reply to an applicant. Pure: no clock, no I/O but templates.

The caller supplies everything, including the Message-ID (derived from the
outbox key, so a resend after a crash carries the same one) and the Date.
Whatever comes from the applicant's mail (name, subject, message ids) is
treated as hostile: it is flattened to one line, checked, and run through
``redact_text`` so no reply ever carries a full ID-card or mobile number.

Header text gets more: intake has already decoded the applicant's RFC 2047
encoded words once, so any ``=?charset?q?...?=`` still in the text was
encoded twice on purpose. CPython before 3.11.10 / 3.12.5 (CVE-2024-6923)
decodes such a word again while it builds or folds the header and writes the
CR/LF inside it verbatim: a Bcc, a second To, a new body. So the ``=?``
opener is broken (``=？``) in every piece of mail-supplied header text,
display names lose the characters that could start another address, and the
finished headers are checked on the wire before the reply is handed out.
None of this depends on the interpreter's patch level.

Each reply kind has one template, ``templates/<kind value>.txt``; a folder
given as ``template_folder`` (``replies.templates_dir`` in config.yaml)
overrides any of them, partials included. Replies that ask the applicant for
a form (``ASKS_FOR_A_FORM``) carry the blank form as a .docx attachment.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import jinja2

from intake.core.masking import mask_fields, redact_text
from intake.core.statuses import ReplyKind
from notifier.blank_form import BLANK_FORM_FILENAME, BLANK_FORM_MIME, blank_form_docx
from notifier.wire_check import ENCODED_WORD_OPENER, REPLY_POLICY, checked_wire

CENTRE_NAME = "湛江市中小企业服务中心"
LIST_SEPARATOR = "、"
NOT_RECOGNISED = "（未填写或未能识别）"
# Long free-text cells (工作简历, 主要业绩) would drown the reply; the
# applicant only needs enough to recognise them.
MAX_VALUE_CHARS = 120
MAX_SUBJECT_CHARS = 150
# A display name is a greeting, not a paragraph.
MAX_DISPLAY_NAME_CHARS = 64
# RFC 5322 §3.6.4 lets References be trimmed; keep the thread root and the newest.
MAX_REFERENCES = 10

TEMPLATE_DIR = Path(__file__).parent / "templates"
# Replies that ask the applicant to send a form (again): the blank form goes with them.
ASKS_FOR_A_FORM = frozenset({ReplyKind.INCOMPLETE, ReplyKind.INQUIRY, ReplyKind.REQUEST_INFO})
# A staff note or reason is written by staff, not the applicant, but is still
# kept to a sensible length and stripped of control characters.
MAX_STAFF_TEXT_CHARS = 1000

_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|回复|答复)(?:\[\d+\])?\s*[:：]\s*", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Bidirectional overrides and isolates: they make a header read differently from what it says.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# RFC 5322 specials that could end a display name and start an address (or a
# group, a comment, a quoted string) if a folder ever emitted the name bare.
# "." stays: "J. Smith" is a common name and harmless in a phrase.
_DISPLAY_NAME_SPECIALS = re.compile(r'["()<>\[\]:;@\\,]')
# "=" then "?", also with whitespace between: the stdlib folder can lose a
# space next to an encoded word it writes, which would join "= ?" into "=?".
_ENCODED_WORD_OPENER_LOOSE = re.compile(r"=(\s*)\?")
# Printable ASCII atext (and dots) on both sides of the @: no spaces, controls or 8-bit.
_MSG_ID = re.compile(r"^<[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+>$")
# Deliberately narrower than RFC 5322: an unquoted dot-atom local part and a
# DNS domain. Anything odder is a person to reply to by hand.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$")


@dataclass
class ReplyContext:
    kind: ReplyKind
    to_address: str
    to_name: str  # applicant's name if known, else the sender's display name; may be ""
    from_address: str
    from_name: str
    original_subject: str
    original_message_id: str | None  # for In-Reply-To / References
    original_references: list[str]
    reference: str  # application reference number, e.g. "ZJZJ-2020-0007"
    campaign_title: str
    deadline: date
    fields: dict[str, Any]  # canonical keys → values (lists for expertise/service_modes)
    field_labels: dict[str, str]  # key → Chinese label, in form order
    missing_labels: list[str]  # labels of missing required fields
    needs_review_labels: list[str]  # labels of fields staff will double-check
    message_id: str  # "<...@...>", derived by the caller from the outbox key
    sent_at: datetime  # aware; becomes the Date header
    # Staff decisions only (request_info / approved / rejected); empty for automatic replies.
    requested_labels: list[str] = field(default_factory=list)  # fields the applicant is asked to supply
    staff_note: str = ""  # the reviewer's note to the applicant (may span lines)
    decision_reason: str = ""  # why an application was not approved
    # Replies to one incoming mail (notifier.replies).
    is_late: bool = False  # the mail answered arrived after the deadline
    required_labels: list[str] = field(default_factory=list)  # what a complete form must say (how to apply)
    applications: list[ReplyApplication] = field(default_factory=list)  # what the mail did, one per application
    attachment_names: list[str] = field(default_factory=list)  # files the mail carried, as the applicant named them


@dataclass
class ReplyApplication:
    """One application an incoming mail created or changed, as its reply tells it."""

    reference: str
    name: str  # the applicant's name as read from the form; may be ""
    outcome: str  # "new", "update" or "possible_duplicate" (notifier.replies.Outcome)
    form_read: bool  # a form was read from this mail (False: unreadable, or documents/text only)
    missing_labels: list[str] = field(default_factory=list)
    changed_labels: list[str] = field(default_factory=list)  # fields this mail changed (an update)


def template_name(kind: ReplyKind) -> str:
    """One template per kind, named after it: a new kind needs only its file."""
    return f"{ReplyKind(kind).value}.txt"


def asks_for_a_form(ctx: ReplyContext) -> bool:
    """Whether the reply asks for a (completed) form, and so carries the blank one."""
    if ctx.kind in ASKS_FOR_A_FORM:
        return True
    # One reply for several forms: it asks when it lists a form read with fields missing.
    return ctx.kind == ReplyKind.SEVERAL and any(item.form_read and item.missing_labels for item in ctx.applications)


def render_body(ctx: ReplyContext, *, template_folder: Path | None = None) -> str:
    """The reply's text, before redaction; jinja2.TemplateNotFound when the kind has no template."""
    return _environment(template_folder).get_template(template_name(ctx.kind)).render(**_template_values(ctx))


@dataclass(frozen=True)
class ComposedReply:
    """A reply and its bytes as the wire check read them: what the outbox stores and sends as is."""

    message: EmailMessage
    wire: bytes


def compose_reply(ctx: ReplyContext, *, template_folder: Path | None = None) -> EmailMessage:
    """The reply as an EmailMessage; ValueError if the addresses or ids are unusable or the kind has no template."""
    return compose(ctx, template_folder=template_folder).message


def compose(ctx: ReplyContext, *, template_folder: Path | None = None) -> ComposedReply:
    """The reply and its checked bytes; ValueError as ``compose_reply``."""
    if ctx.sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    try:
        body = render_body(ctx, template_folder=template_folder)
    except jinja2.TemplateNotFound as exc:
        raise ValueError(f"no reply template for kind {ctx.kind!r}: {exc.name}") from None

    to_address = checked_address(ctx.to_address)
    message = EmailMessage(policy=REPLY_POLICY)
    message["From"] = Address(
        display_name=_display_name(ctx.from_name) or CENTRE_NAME,
        addr_spec=checked_address(ctx.from_address),
    )
    # Exactly the one checked address; the name can only ever be a name.
    message["To"] = Address(display_name=_display_name(person_name(ctx.to_name)), addr_spec=to_address)
    message["Subject"] = reply_subject(ctx.original_subject, ctx.campaign_title)
    message["Date"] = format_datetime(ctx.sent_at)
    message["Message-ID"] = _checked_message_id(ctx.message_id)
    thread = _thread_ids(ctx.original_message_id, ctx.original_references)
    if thread:
        message["In-Reply-To"] = thread[-1]
        message["References"] = " ".join(thread)
    # RFC 3834: mark it automatic so auto-responders and vacation notices
    # don't answer it (and we don't loop). No Precedence header: 3834 says not to.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    # Lets the poller recognise our own mail if it comes back (bounce, CC).
    message["X-Intake-Outbox"] = ctx.kind.value
    message.set_content(redact_text(body), subtype="plain", charset="utf-8")
    if asks_for_a_form(ctx):
        maintype, subtype = BLANK_FORM_MIME
        message.add_attachment(blank_form_docx(), maintype=maintype, subtype=subtype, filename=BLANK_FORM_FILENAME)
        message.set_boundary(_boundary(ctx.message_id))
    return ComposedReply(message, checked_wire(message, to_address))


def reply_subject(original: str, fallback: str) -> str:
    """``Re: <original>`` on one line, without piling up "Re: Re:"."""
    subject = _one_line(original)
    while True:
        stripped = _REPLY_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped
    subject = subject.strip() or _one_line(fallback)
    if len(subject) > MAX_SUBJECT_CHARS:
        subject = subject[:MAX_SUBJECT_CHARS] + "…"
    return header_text(redact_text(f"Re: {subject}"))


def header_text(value: str | None) -> str:
    """Mail-supplied text made inert for an unstructured header: one line, nothing left to decode.

    Control and bidi characters go, whitespace runs become one space, and the
    ``?`` of every RFC 2047 opener ``=?`` (or ``= ?``) becomes a full-width
    ``？``: the text then holds no encoded word, and no amount of whitespace
    added or lost while folding can make one, so no email package, patched or
    not, can decode a CR/LF or a header out of it. Non-ASCII stays; the email
    package encodes it on the way out.
    """
    text = " ".join(_BIDI_CONTROLS.sub("", _one_line(value)).split())
    return _ENCODED_WORD_OPENER_LOOSE.sub("=\\1？", text)


def checked_address(value: str) -> str:
    """The one plain address in ``value``; ValueError for anything else."""
    if not isinstance(value, str) or "\r" in value or "\n" in value:
        raise ValueError("address must be a single line")
    address = value.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or len(local) > 64 or len(address) > 254:
        raise ValueError(f"not a single plain address: {redact_text(address)!r}")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"bad domain in address: {redact_text(address)!r}") from None
    if not _LOCAL_PART.match(local) or not _DOMAIN.match(domain):
        raise ValueError(f"not a single plain address: {redact_text(address)!r}")
    return f"{local}@{domain}"


def format_chinese_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _template_values(ctx: ReplyContext) -> dict[str, Any]:
    masked = mask_fields(ctx.fields)
    return {
        "name": person_name(ctx.to_name),
        "reference": _one_line(ctx.reference),
        "campaign_title": _one_line(ctx.campaign_title),
        "deadline": format_chinese_date(ctx.deadline),
        "centre_name": _one_line(ctx.from_name) or CENTRE_NAME,
        # What was read, to check; nothing read (a file nobody could open), nothing listed.
        "field_rows": [
            {"label": label, "value": _display_value(masked.get(key))} for key, label in ctx.field_labels.items()
        ] if ctx.fields else [],
        "missing_labels": list(ctx.missing_labels),
        "needs_review_labels": list(ctx.needs_review_labels),
        "separator": LIST_SEPARATOR,
        "requested_labels": list(ctx.requested_labels),
        "staff_note": _staff_text(ctx.staff_note),
        "decision_reason": _staff_text(ctx.decision_reason),
        "is_late": ctx.is_late,
        "applications": [_application_values(item) for item in ctx.applications],
        "attachment_names": [redact_text(_one_line(name))[:MAX_VALUE_CHARS] for name in ctx.attachment_names
                             if _one_line(name)],
        "required_labels": list(ctx.required_labels),
        "blank_form_name": BLANK_FORM_FILENAME if asks_for_a_form(ctx) else "",
    }


def _application_values(item: ReplyApplication) -> dict[str, Any]:
    return {
        "reference": _one_line(item.reference),
        "name": redact_text(_one_line(item.name)),
        "outcome": item.outcome,
        "form_read": item.form_read,
        "missing_labels": list(item.missing_labels),
        "changed_labels": list(item.changed_labels),
    }


def _staff_text(value: str | None) -> str:
    """Lines kept (a note may have paragraphs); control characters and runs of blank lines dropped."""
    if not value:
        return ""
    lines = [_one_line(line) for line in value[:MAX_STAFF_TEXT_CHARS].splitlines()]
    return "\n".join(line for line in lines if line)


def _display_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, (list, tuple)):
        text = LIST_SEPARATOR.join(_one_line(str(item)) for item in value if item not in (None, ""))
    elif value is None:
        text = ""
    else:
        text = _one_line(str(value))
    if not text:
        return NOT_RECOGNISED
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + "……"
    return text


# A display name is echoed only when it can be a person's name: mail from
# anyone must not make the centre's reply carry an address, a link or an advert.
_NOT_A_NAME = re.compile(r"@|://|www\.|https?|\.(?:com|cn|net|org)\b|\d{5,}|[<>\[\]{}]", re.IGNORECASE)
MAX_PERSON_NAME_CHARS = 32


def person_name(value: str | None) -> str:
    """``value`` when it reads as a person's name (short, no address, link or long number), else ""."""
    text = " ".join(_one_line(value).split())
    if not text or len(text) > MAX_PERSON_NAME_CHARS or _NOT_A_NAME.search(text):
        return ""
    return redact_text(text)


def _display_name(value: str | None) -> str:
    """A display name that can only be a name: no specials, no encoded words, short."""
    text = _DISPLAY_NAME_SPECIALS.sub(" ", _one_line(value))
    text = " ".join(text.split())
    if len(text) > MAX_DISPLAY_NAME_CHARS:
        text = text[:MAX_DISPLAY_NAME_CHARS].rstrip() + "…"
    return header_text(text)


def _boundary(message_id: str) -> str:
    """The same MIME boundary on every build of one reply, and one no base64 line can hold ("=_").

    Letters only: the stdlib's default is a long run of random digits, which
    reads like an ID-card number to anything scanning the headers for one.
    """
    digest = hashlib.sha256(message_id.encode("utf-8")).digest()[:20]
    return "=_intake_" + "".join(chr(ord("a") + byte % 26) for byte in digest)


def _one_line(value: str | None) -> str:
    if not value:
        return ""
    return " ".join(_CONTROL_CHARS.sub(" ", value).split())


def _is_message_id(value: str) -> bool:
    # No "=?": an id that holds an encoded word is decoded again by unpatched
    # interpreters when written into In-Reply-To / References.
    return bool(_MSG_ID.match(value)) and ENCODED_WORD_OPENER not in value


def _checked_message_id(value: str) -> str:
    if not isinstance(value, str) or not _is_message_id(value):
        raise ValueError(f"message_id must look like <local@domain>, got {value!r}")
    return value


def _thread_ids(original_id: str | None, references: list[str]) -> list[str]:
    """References for the reply; ids we can't trust are dropped, not fatal."""
    original = (original_id or "").strip()
    if not _is_message_id(original):
        return []
    ids: list[str] = []
    for candidate in references:
        candidate = (candidate or "").strip()
        if _is_message_id(candidate) and candidate != original and candidate not in ids:
            ids.append(candidate)
    ids.append(original)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1):]]
    return ids


@functools.cache
def _environment(template_folder: Path | None = None) -> jinja2.Environment:
    # The configured folder first: a file there replaces the built-in one of the same name.
    folders = [template_folder, TEMPLATE_DIR] if template_folder is not None else [TEMPLATE_DIR]
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=False,  # plain-text mail, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
