"""The hostile mailbox: one raw mail per row of the hostile-input table that concerns mail and files.

    hostile_mailbox(*, scale=1.0, include_huge=True, centre=CENTRE_ADDRESS,
                    trap_dir=None, cache_dir=None) -> list[HostileMail]

Rows 1–20 are mails whose headers or structure are the attack (traversal
and control characters in filenames, header injection, spoofed senders,
100,000 parts, 3,000 nested messages, a 60 MB mail, broken MIME, repeated
deliveries, every kind of machine-sent mail); rows 21–36 are ordinary
applications whose one attachment is the attack (``hostile_files``). One
more is the 3.8 MB mail of zips that expand to gigabytes.

Each ``HostileMail`` has its label, raw bytes (built on first use; heavy
ones cached under ``cache_dir``; ``release()`` drops them), the arrival
time and ``expected``: what the table says intake must make of it, in a
form ``hostile_outcome.problems`` checks. ``scale`` shrinks the bombs whose size
is not the point (a text node, paragraphs, zips) for a bounded CI run
without changing their ratios; ``include_huge=False`` leaves
out the 60 MB mail.
"""
from __future__ import annotations

import base64
import hashlib
import random
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Callable

from devtools.samples import emails, forms, hostile_files as files, raw_mail as raw_mail_module
from devtools.samples.forms import Applicant, build_form_docx, build_form_pdf, sample_applicants
from devtools.samples.mailbox import CENTRE_ADDRESS, on
from devtools.samples.raw_mail import attachment, file_part, raw_mail, text_part, word

NO_REPLY, REPLY_OWED, ANY_REPLY = "none", "owed", "any"
HUGE_MAIL = "11-60mb-mail"
UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Expected:
    """What intake must make of one hostile mail (the table's "expected" column, checkable)."""

    what: str                           # the table's words
    reply: str = ANY_REPLY              # NO_REPLY, REPLY_OWED (exactly one), ANY_REPLY (at most one)
    reply_to: tuple[str, ...] = ()      # when given, a reply may go only to one of these
    attachment: str | None = None       # the status the hostile attachment must get
    reason: str | None = None           # … and its reason
    defects: bool = False               # the mail's stored defects must say what was wrong
    too_large: bool = False             # stored and flagged as too large
    filename: str | None = None         # the hostile attachment's stored name, exactly
    kind: str | None = None             # the kind sniffed from its bytes
    not_kind: str | None = None
    subject_contains: str | None = None
    same_message_as: str | None = None  # key of the mail this one is a repeat delivery of
    separate_from: str | None = None    # key of a mail this one must not be merged with
    never_in_reply_headers: str | None = None
    never_in_fields: str | None = None  # text no application field may contain


@dataclass
class HostileMail:
    key: str                      # stable and unique, e.g. "21-docx-text-bomb"
    row: int | None               # the table's row; None for the issue's own finding
    label: str
    received_at: datetime
    expected: Expected
    build: Callable[[], bytes] = field(repr=False)
    heavy: bool = False           # big or slow to build: cached, released after use
    applicant: Applicant | None = field(default=None, repr=False)
    # Rows 21–36: the hostile attachment alone, (filename, bytes), for parsing files without mail.
    file: Callable[[], tuple[str, bytes]] | None = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)
    _cache: Path | None = field(default=None, repr=False)

    @property
    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = self._cached_build()
        return self._raw

    def release(self) -> None:
        self._raw = None

    def _cached_build(self) -> bytes:
        if self._cache is None:
            return self.build()
        if self._cache.is_file():
            return self._cache.read_bytes()
        data = self.build()
        self._cache.parent.mkdir(parents=True, exist_ok=True)
        same_item = self._cache.name.rsplit("-", 1)[0]
        for older in self._cache.parent.glob(f"{same_item}-*.eml"):  # built by an earlier generator
            older.unlink(missing_ok=True)
        partial = self._cache.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(self._cache)
        return data


# ---- the mailbox -----------------------------------------------------------------------

BODY = "老师您好，附件是我的专家报名表，请查收。"


class _Builder:
    """Makes the items in order; each ordinary sender is an applicant of their own."""

    def __init__(self, centre: str, cache_dir: Path | None, scale: float) -> None:
        self.centre, self.cache_dir, self.scale = centre, cache_dir, scale
        self.people = iter(sample_applicants(80, seed=1111))
        self.items: list[HostileMail] = []
        self.version = _source_digest()

    def add(self, key: str, row: int | None, label: str, expected: Expected,
            build: Callable[[Applicant, datetime], bytes], *, heavy: bool = False) -> HostileMail:
        person = next(self.people)
        when = on(10 + len(self.items) // 20, 8 + len(self.items) % 20 // 2, len(self.items) % 2 * 30)
        cache = None
        if self.cache_dir is not None and heavy:
            cache = self.cache_dir / f"{key}-{self.scale:g}-{self.version}.eml"
        item = HostileMail(key, row, label, when, expected, lambda: build(person, when), heavy, person, _cache=cache)
        self.items.append(item)
        return item

    def application(self, key: str, row: int | None, label: str, expected: Expected,
                    hostile: Callable[[Applicant], list[bytes]], *, headers: list[tuple[str, str]] = (),
                    subject: str | None = None, heavy: bool = False, boundary: str = "hostile-boundary",
                    ) -> HostileMail:
        """An applicant's ordinary mail, but for the parts ``hostile`` makes."""
        def build(person: Applicant, when: datetime) -> bytes:
            return raw_mail(sender=f"{word(person.name)} <{person.email}>",
                            subject=subject or word(f"报名表-{person.name}"), parts=[text_part(BODY), *hostile(person)],
                            date=when, headers=list(headers), message_id=f"<{key}@hostile.example>", to=self.centre,
                            boundary=boundary)
        return self.add(key, row, label, expected, build, heavy=heavy)

    def form_with(self, key: str, row: int | None, label: str, expected: Expected, filename: str,
                  make: Callable[[Applicant], bytes], content_type: str = "application/octet-stream",
                  heavy: bool = False) -> HostileMail:
        """An application whose one attachment is a hostile file."""
        item = self.application(key, row, label, expected, lambda p: [attachment(filename, make(p), content_type)],
                                heavy=heavy)
        item.file = lambda: (filename, make(item.applicant))
        return item


def _source_digest() -> str:
    """Cached mails are rebuilt when any module that writes them changes."""
    digest = hashlib.sha256()
    for module in (__file__, files.__file__, raw_mail_module.__file__, forms.__file__, emails.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:12]


def hostile_mailbox(*, scale: float = 1.0, include_huge: bool = True, centre: str = CENTRE_ADDRESS,
                    trap_dir: Path | None = None, cache_dir: Path | None = None) -> list[HostileMail]:
    """The hostile mailbox, in delivery order. ``trap_dir``: where row 30's pickle waits
    (a temporary folder when None); its sentinel file must never appear."""
    make = _Builder(centre, Path(cache_dir) if cache_dir else None, scale)
    _header_rows(make)
    _machine_rows(make)
    _file_rows(make, trap_dir)
    # Built either way, so every other mail keeps its sender and arrival time.
    return [item for item in make.items if include_huge or item.key != HUGE_MAIL]


def _form_attached(person: Applicant) -> list[bytes]:
    """The applicant's own form, attached as 报名表.docx."""
    return [attachment("报名表.docx", build_form_docx(person))]


HOSTILE_HTML = ('<p>报名表见附件</p><script>alert(1)</script><img src="x" onerror="alert(2)">'
                '<a href="javascript:alert(3)">查看</a><img src="https://tracker.invalid/p.gif">')


def _named(filename: str, make: Callable[[Applicant], bytes] = build_form_docx, disposition: str | None = None,
           content_type: str = "application/octet-stream") -> Callable[[Applicant], list[bytes]]:
    """One attachment whose Content-Disposition is written as given (``{}`` is ``filename``)."""
    return lambda person: [file_part(make(person), content_type=content_type,
                                     disposition=(disposition or 'attachment; filename="{}"').format(filename))]


def _header_rows(make: _Builder) -> None:
    named = Expected("stored under its hash; a sanitised basename shown", REPLY_OWED)
    make.application("01-rfc2231-traversal", 1, "RFC 2231 filename ..%2F..%2Fetc%2Fcron.d%2Fx.pdf", named,
                     _named("..%2F..%2Fetc%2Fcron.d%2Fx.pdf", build_form_pdf, "attachment; filename*=UTF-8''{}"))
    make.application("02-rfc2047-traversal", 2, "RFC 2047 filename decoding to ../../evil.pdf", named,
                     _named(word("../../evil.pdf"), build_form_pdf))
    sanitised = Expected("sanitised; type taken from the magic bytes", REPLY_OWED, kind="docx")
    make.application("03-nul-in-filename", 3, "filename with a NUL", sanitised,
                     _named("%E6%8A%A5%E5%90%8D%E8%A1%A8%00.pdf.docx", disposition="attachment; filename*=UTF-8''{}"))
    make.application("03-crlf-in-filename", 3, "filename with CR/LF and a header after it", sanitised,
                     _named(word("报名表\r\nContent-Type: text/html\r\n.docx")))
    make.application("03-rlo-in-filename", 3, "filename with U+202E (reads as 申请表exe.docx)", sanitised,
                     _named(word("申请表\u202excod.exe")))
    make.application("03-windows-device-name", 3, "filename CON.pdf",
                     Expected("sanitised (never a device name)", REPLY_OWED, kind="pdf"),
                     _named("CON.pdf", build_form_pdf))
    long_name, charset = urllib.parse.quote("张" * 1000 + ".docx", safe=""), "UTF-8''"
    continuation = "; ".join(f"filename*{n}*={charset if n == 0 else ''}{long_name[i:i + 60]}"
                             for n, i in enumerate(range(0, len(long_name), 60)))
    make.application("03-1000-char-filename", 3, "a 1,000-character filename (RFC 2231 continuations)", sanitised,
                     lambda p: [file_part(build_form_docx(p), content_type="application/octet-stream",
                                          disposition=f"attachment; {continuation}")])
    make.application("04-markup-filename", 4, 'filename "><svg onload=alert(1)>.pdf',
                     Expected("escaped everywhere", REPLY_OWED, kind="pdf"),
                     _named(urllib.parse.quote('"><svg onload=alert(1)>.pdf', safe=""), build_form_pdf,
                            "attachment; filename*=UTF-8''{}"))
    make.add("05-raw-gbk-filename", 5, "raw 8-bit GBK filename 申请表.docx",
             Expected("decoded via a GB18030 fallback", REPLY_OWED, filename="申请表.docx"),
             lambda p, when: emails.raw8bit_mail(
                 sender_name=p.name, sender_address=p.email, subject=f"{p.name} 报名表", body=BODY, date=when,
                 attachments=[("申请表.docx", build_form_docx(p))], to_address=make.centre,
                 message_id="<05-raw-gbk@hostile.example>"))
    injected = Expected("stripped; the reply has one recipient; no retry loop", REPLY_OWED,
                        never_in_reply_headers="victim@")
    make.application("06-subject-crlf-bcc", 6, "Subject with an encoded CRLF + Bcc: victim@x.example", injected,
                     _form_attached, subject=word("报名表\r\nBcc: victim@x.example"))
    make.application("06-subject-encoded-twice", 6, "Subject encoded twice (decodes to an encoded CRLF + Bcc)",
                     injected, _form_attached,
                     subject=word("=?UTF-8?Q?=E6=8A=A5=E5=90=8D=0D=0ABcc:_victim@x.example?="))
    _sender_rows(make)
    make.application("08-html-body", 8, "HTML body with <script>, onerror, javascript: and remote images",
                     Expected("never rendered raw; no remote fetch", REPLY_OWED),
                     lambda p: [text_part(HOSTILE_HTML, "html"), *_form_attached(p)])
    make.application("09-100k-mime-parts", 9, "100,000 tiny MIME parts (~1.5 MB)",
                     Expected("cut off by the part cap in time; the raw mail kept", defects=True),
                     lambda p: _form_attached(p) + [b"\r\n."] * 100_000, heavy=True,
                     boundary="b")
    make.add("10-nested-rfc822", 10, "3,000 nested message/rfc822 parts (~96 KB)",
             Expected("contained; rejected", defects=True), lambda p, when: _nested_messages(p, when, make.centre))
    make.application(HUGE_MAIL, 11, "a 60 MB mail (a form and 45 MB of scans)",
                     Expected("size checked before FETCH; stored, flagged too large; staff notified", too_large=True),
                     lambda p: _form_attached(p) + [attachment("全部扫描件.rar",
                                                               random.Random(11).randbytes(45 * files.MB))],
                     heavy=True)
    _broken_mime_rows(make)


def _sender_rows(make: _Builder) -> None:
    def spoofed(from_header: Callable[[Applicant], str]):
        def build(person: Applicant, when: datetime) -> bytes:
            return raw_mail(sender=from_header(person), subject=word("报名表"), date=when, to=make.centre,
                            parts=[text_part(BODY), attachment("报名表.docx", build_form_docx(person))],
                            message_id=f"<{person.id_number[-6:]}-sender@hostile.example>")
        return build
    make.add("07-address-as-display-name", 7, f'From "{make.centre}" <attacker@x.example>',
             Expected("escaped; the reply goes to the one real address", reply_to=("attacker@x.example",)),
             spoofed(lambda p: f'"{make.centre}" <attacker@x.example>'))
    make.add("07-two-from-addresses", 7, "From a@x.example, b@y.example",
             Expected("one validated address or none", reply_to=("a@x.example", "b@y.example")),
             spoofed(lambda p: "a@x.example, b@y.example"))
    make.add("07-two-at-signs", 7, "From a@x.example@y.example",
             Expected("no valid address: no reply", NO_REPLY), spoofed(lambda p: "a@x.example@y.example"))
    make.add("07-address-in-encoded-name", 7, "display name encoding a second address and a CRLF",
             Expected("the reply goes to the sender only", reply_to=("zhangsan@hostile.example",),
                      never_in_reply_headers="victim@"),
             spoofed(lambda p: f"{word('张三 <victim@x.example>, ' + chr(13) + chr(10) + 'Bcc: victim2@x.example')} "
                               "<zhangsan@hostile.example>"))


def _nested_messages(person: Applicant, when: datetime, centre: str, depth: int = 3000) -> bytes:
    inner = (f"From: {person.email}\r\nSubject: {word('报名表')}\r\nContent-Type: text/plain\r\n\r\n"
             "报名表\r\n").encode()
    for _ in range(depth):
        inner = b"Content-Type: message/rfc822\r\n\r\n" + inner
    return (f"From: {word(person.name)} <{person.email}>\r\nTo: {centre}\r\nSubject: {word('转发：报名表')}\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: <10-nested@hostile.example>\r\n"
            "MIME-Version: 1.0\r\n").encode() + inner


def _broken_mime_rows(make: _Builder) -> None:
    def no_boundary(person: Applicant, when: datetime) -> bytes:
        return raw_mail(sender=person.email, subject=word("报名表"), date=when, to=make.centre,
                        parts=[text_part(BODY), attachment("报名表.docx", build_form_docx(person))],
                        message_id="<12-no-boundary@hostile.example>", content_type="multipart/mixed")
    make.add("12-missing-boundary", 12, "multipart/mixed without a boundary parameter",
             Expected("best-effort decode with defects recorded", defects=True), no_boundary)

    def bad_base64(person: Applicant) -> list[bytes]:
        good = attachment("报名表.docx", build_form_docx(person))
        head, _, body = good.partition(b"\r\n\r\n")
        return [head + b"\r\n\r\n" + body[:4000] + b"\r\n!!!not*base64***\r\n" + body[4000:-3]]
    make.application("12-invalid-base64", 12, "an attachment with invalid base64 (bad characters, bad padding)",
                     Expected("best-effort decode with defects recorded", defects=True), bad_base64)

    def mislabelled(person: Applicant, when: datetime) -> bytes:
        subject = f"=?gb2312?B?{base64.b64encode('报名表-王喆'.encode('gb18030')).decode()}?="
        return raw_mail(sender=person.email, subject=subject, date=when, to=make.centre,
                        parts=[text_part("我是王喆，报名表见附件。", charset="gb2312", codec="gb18030"),
                               attachment("报名表.docx", build_form_docx(person))],
                        message_id="<12-gb2312-label@hostile.example>")
    make.add("12-gb2312-label-on-gb18030", 12, "a gb2312 label on GB18030 bytes (喆 is not in GB2312)",
             Expected("decoded as GB18030", REPLY_OWED, subject_contains="喆"), mislabelled)


def _machine_rows(make: _Builder) -> None:
    first = make.application("13-first-delivery", 13, "an application mail, first delivery",
                             Expected("one application", REPLY_OWED), _form_attached)
    make.add("13-second-delivery", 13, "the same mail delivered again (a new UID, one more Received: line)",
             Expected("linked to the first: no second application, no second reply", same_message_as=first.key),
             lambda p, when: b"Received: from mx2.126.com by 126.com; Thu, 10 Sep 2020 09:13:30 +0800\r\n" + first.raw)

    def reused(person: Applicant, when: datetime) -> bytes:
        return raw_mail(sender=person.email, subject=word("报名表"), date=when, to=make.centre,
                        parts=[text_part("另一封邮件"), attachment("报名表.docx", build_form_docx(person))],
                        message_id="<13-first-delivery@hostile.example>")
    make.add("14-reused-message-id", 14, "another mail reusing that Message-ID with a different body",
             Expected("two applications (keyed on the hash)", REPLY_OWED, separate_from=first.key), reused)
    machine = [
        ("15-auto-replied", 15, [("Auto-Submitted", "auto-replied")]),
        ("15-auto-generated", 15, [("Auto-Submitted", "auto-generated")]),
        ("16-precedence-bulk", 16, [("Precedence", "bulk")]),
        ("16-precedence-list", 16, [("Precedence", "list")]),
        ("16-precedence-junk", 16, [("Precedence", "junk")]),
        ("17-list-id", 17, [("List-Id", "<experts.lists.example>")]),
        ("17-list-unsubscribe", 17, [("List-Unsubscribe", "<mailto:leave@lists.example>")]),
        ("18-null-return-path", 18, [("Return-Path", "<>")]),
        ("19-suppress-all", 19, [("X-Auto-Response-Suppress", "All")]),
        ("19-suppress-oof", 19, [("X-Auto-Response-Suppress", "OOF")]),
    ]
    for key, row, headers in machine:
        # Each says 报名 and carries a real form: only the header forbids a reply.
        make.application(key, row, f"{headers[0][0]}: {headers[0][1]} on an application mail with a form",
                         Expected("stored; no reply", NO_REPLY), _form_attached,
                         headers=headers)
    make.add("18-mailer-daemon", 18, "From MAILER-DAEMON, with a form attached", Expected("no reply", NO_REPLY),
             lambda p, when: raw_mail(sender="MAILER-DAEMON@126.com", subject=word("报名表"), date=when,
                                      to=make.centre, parts=[text_part(BODY), *_form_attached(p)],
                                      message_id="<18-daemon@hostile.example>"))
    make.add("18-dsn-report", 18, "a multipart/report delivery status notification", Expected("no reply", NO_REPLY),
             lambda p, when: emails.bounce(recipient=p.email, original_subject="报名表", to_address=make.centre,
                                           date=when, message_id="<18-dsn@hostile.example>"))
    make.add("20-own-reply-returned", 20, "our own reply coming back (From the centre, X-Intake-Outbox)",
             Expected("no reply", NO_REPLY),
             lambda p, when: raw_mail(
                 sender=f"{word('湛江市中小企业服务中心')} <{make.centre}>", date=when, to=make.centre,
                 subject=word("回复：报名表已收到"), headers=[("X-Intake-Outbox", "acknowledgement")],
                 parts=[text_part("您的报名表已收到。")], message_id="<20-own@hostile.example>"))


def _file_rows(make: _Builder, trap_dir: Path | None) -> None:
    scale, bad = make.scale, Expected("rejected", attachment=UNREADABLE)
    form = make.form_with
    form("21-docx-text-bomb", 21, f"docx with a {300 * scale:g} MB text node (ratio ~1000:1)",
         Expected("rejected by the ratio pre-check", attachment=UNREADABLE, reason="too_large"), "报名表.docx",
         lambda p: files.docx_text_bomb(p, scale), heavy=True)
    form("22-docx-empty-paragraphs", 22, f"docx with {scale:g} M empty paragraphs",
         Expected("rejected, not parsed for 25 s", attachment=UNREADABLE), "报名表.docx",
         lambda p: files.docx_empty_paragraphs(p, scale))
    form("23-docx-xxe", 23, "docx with an XXE file:///etc/passwd entity",
         Expected("not expanded; a part with a DOCTYPE rejected", attachment=UNREADABLE, never_in_fields="root:"),
         "报名表.docx", files.docx_xxe)
    form("24-docx-billion-laughs", 24, "billion-laughs docx", bad, "报名表.docx", files.docx_billion_laughs)
    form("25-docx-10000-entries", 25, "docx with 10,000 entries", bad, "报名表.docx", files.docx_many_entries)
    form("25-docx-duplicate-entry", 25, "docx with word/document.xml twice", bad, "报名表.docx",
         files.docx_duplicate_entry)
    form("25-docx-escaping-entries", 25, "docx with ../ and absolute entry names",
         Expected("rejected; nothing extracted to disk", attachment=UNREADABLE), "报名表.docx",
         files.docx_escaping_entries)
    locked = Expected("rejected: encrypted; the applicant asked to resend", attachment=UNREADABLE, reason="encrypted")
    form("26-docx-password", 26, "password-protected docx", locked, "报名表.docx", lambda p: files.encrypted_docx())
    form("26-pdf-password", 26, "password-protected PDF", locked, "报名表.pdf", files.encrypted_pdf)
    form("27-docm-macros", 27, ".docm with a VBA project",
         Expected("rejected, or read with macros never run"), "报名表.docm", files.docm_with_macros)
    loops = Expected("bounded time; a parser status", attachment=UNREADABLE)
    form("28-pdf-recursive-pages", 28, "PDF whose page tree contains itself", loops, "报名表.pdf",
         lambda p: files.pdf_recursive_pages())
    form("28-pdf-self-drawing-xobject", 28, "PDF whose form XObject draws itself", loops, "报名表.pdf",
         lambda p: files.pdf_self_drawing_form())
    form("29-pdf-chained-flate-bomb", 29, "PDF chained FlateDecode bomb (3 KB → 1 MB → 1 GB)",
         Expected("child stopped; rejected as a bomb", attachment=UNREADABLE, reason="too_large"), "报名表.pdf",
         lambda p: files.pdf_flate_bomb(), heavy=True)
    trap = Path(trap_dir) if trap_dir else None
    form("30-pdf-pickle-encoding", 30, "PDF whose /Encoding names a .pickle.gz on disk",
         Expected("patched pdfminer: the pickle is never loaded"), "报名表.pdf",
         lambda p: files.pdf_pickle_encoding(trap or _temporary_trap()))
    form("31-pdf-openaction-js", 31, "the form PDF with /OpenAction JavaScript, /Launch and an embedded .exe",
         Expected("text extraction only"), "报名表.pdf", files.pdf_with_actions)
    broken = Expected("failed: parser", attachment=UNREADABLE)
    form("32-pdf-truncated", 32, "the form PDF cut in half", broken, "报名表.pdf", files.truncated_pdf)
    form("32-pdf-xref-past-eof", 32, "the form PDF with startxref past the end",
         Expected("a status (the table says failed: parser; a repaired read is no worse)"), "报名表.pdf",
         files.pdf_xref_past_end)
    form("32-empty-file", 32, "a 0-byte 报名表.docx", broken, "报名表.docx", lambda p: b"")
    image = Expected("rejected (decompression-bomb warnings are errors)", attachment=UNREADABLE)
    form("33-png-20000", 33, "PNG of 20000×20000 pixels (~48 KB)", image, "扫描件.png",
         lambda p: files.huge_png(20000))
    form("33-png-12000", 33, "PNG of 12000×12000 pixels (~18 KB)", image, "扫描件.png",
         lambda p: files.huge_png(12000))
    form("34-jpeg-exif-gps", 34, "phone JPEG stored on its side (EXIF orientation 6) with GPS",
         Expected("turned before OCR; GPS stripped from derivatives"), "IMG_20200912_101010.jpg", files.exif_photo)
    form("35-pdf-zip-polyglot", 35, "the form PDF with a zip (an .exe) appended, sent as application/zip",
         Expected("type taken from the magic bytes: PDF; nothing unpacked", kind="pdf"), "报名表.pdf",
         files.pdf_zip_polyglot, "application/zip")
    form("35-svg-named-jpg", 35, "photo.jpg that is an SVG with script",
         Expected("never treated as an image, never served inline", not_kind="image"), "photo.jpg",
         lambda p: files.SVG_PHOTO, "image/jpeg")
    form("36-noise-strip", 36, "1×100000 noise image", Expected("OCR stopped: timeout", attachment=UNREADABLE),
         "扫描件.png", lambda p: files.noise_strip_png())
    expanding = max(1, round(900 * scale))
    make.application("issue-zips-expanding", None, f"a ~{3.8 * scale:.1f} MB mail of zips that expand to "
                     f"{3 * expanding} MB (the issue's 192 MB in memory)",
                     Expected("decoding stops at the mail's budget; what is left out is a defect", defects=True),
                     lambda p: _form_attached(p) + [_expanding_zip(n, expanding) for n in range(1, 4)], heavy=True)


def _expanding_zip(number: int, megabytes: int) -> bytes:
    """A scan "zipped" by a sender: a megabyte of zip holding a gigabyte of zeros."""
    archive = files.zip_archive([(f"扫描件{number}.jpg", files.zeros(megabytes * files.MB))])
    return attachment(f"扫描件{number}.zip", archive, "application/zip")


def _temporary_trap() -> Path:
    return Path(tempfile.mkdtemp(prefix="hostile-trap-"))
