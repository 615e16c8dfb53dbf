"""Bad attachments get a clear status; the worker carries on with the rest of the batch."""
from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from intake.core.models import Application, Attachment, Message
from intake.worker import reading
from intake.worker.pipeline import run_once
from intake.worker.runner import process_stored_messages
from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_form_pdf, sample_applicants
from devtools.samples.mailbox import on
from intake.core.statuses import ApplicationStatus, AttachmentStatus, MessageStatus

pytestmark = pytest.mark.integration


def encrypted_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, encrypt="secret")
    pdf.drawString(100, 700, "locked")
    pdf.save()
    return buffer.getvalue()


def test_corrupt_truncated_and_encrypted_files_are_unreadable_with_a_reason(make_intake_env, sqlite_url):
    env = make_intake_env(sqlite_url)
    bad, good = sample_applicants(2, seed=7)
    broken = emails.qq_mail(
        sender_name=bad.name, sender_address=bad.email, subject="报名表", body="见附件",
        attachments=[
            ("报名表.docx", build_form_docx(bad)[:900]),
            ("报名表.pdf", build_form_pdf(bad)[:1500]),
            ("加密报名表.pdf", encrypted_pdf()),
        ],
        date=on(12),
    )
    fine = emails.netease_mail(
        sender_name=good.name, sender_address=good.email, subject="报名表", body="见附件",
        attachments=[("报名表.docx", build_form_docx(good))], date=on(12, 11),
    )
    env.deliver(broken, at=on(12))
    env.deliver(fine, at=on(12, 11))

    report = run_once(env.runtime)

    assert report.process.failed == 0
    with env.runtime.session_factory() as session:
        broken_attachments = session.scalars(
            select(Attachment).join(Message).where(Message.from_address == bad.email)
        ).all()
        assert {a.filename: (a.status, a.reason) for a in broken_attachments} == {
            "报名表.docx": (AttachmentStatus.UNREADABLE, "corrupt"),
            "报名表.pdf": (AttachmentStatus.UNREADABLE, "corrupt"),
            "加密报名表.pdf": (AttachmentStatus.UNREADABLE, "encrypted"),
        }
        assert all(a.error for a in broken_attachments)  # a sentence staff can act on

        applications = {a.sender: a for a in session.scalars(select(Application))}
        # Clearly an application, no readable form: kept for staff, applicant asked to complete.
        assert applications[bad.email].status == ApplicationStatus.INCOMPLETE
        assert "无法读取" in applications[bad.email].warnings[0]
        assert applications[good.email].fields == good.expected_fields()
    kinds = sorted(r.message["X-Intake-Outbox"] for r in env.smtp_sink.messages)
    assert kinds == ["acknowledgement", "incomplete"]


def test_a_message_that_fails_is_recorded_retried_and_never_blocks_the_batch(make_intake_env, sqlite_url, monkeypatch):
    env = make_intake_env(sqlite_url)
    first, second = sample_applicants(2, seed=3)
    for person, hour in ((first, 9), (second, 10)):
        env.deliver(
            emails.qq_mail(sender_name=person.name, sender_address=person.email, subject="报名表", body="见附件",
                           attachments=[("报名表.docx", build_form_docx(person))], date=on(14, hour)),
            at=on(14, hour),
        )
    real_parse_mail = reading.parse_mail
    calls = {"n": 0}

    def flaky_parse_mail(raw: bytes):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk hiccup while reading 13812345678")
        return real_parse_mail(raw)

    monkeypatch.setattr(reading, "parse_mail", flaky_parse_mail)
    report = run_once(env.runtime)

    assert (report.process.failed, report.process.processed) == (1, 1)
    with env.runtime.session_factory() as session:
        failed = session.scalars(select(Message).where(Message.status == MessageStatus.FAILED)).one()
        assert "disk hiccup" in failed.error and "13812345678" not in failed.error  # staff see it, masked

    retried = process_stored_messages(
        env.settings, session_factory=env.runtime.session_factory, blobs=env.runtime.blobs, include_failed=True
    )
    assert (retried.processed, retried.failed) == (1, 0)
    run_once(env.runtime)
    assert len(env.smtp_sink.messages) == 2


def test_every_unreadable_reason_reaches_staff_through_the_pipeline(make_intake_env, sqlite_url):
    from devtools.samples.scans import render_pages, scan_image

    env = make_intake_env(sqlite_url, parsing={"timeout_seconds": 0.5, "max_attachment_mb": 3})
    person, = sample_applicants(1, seed=12)
    scan = scan_image(render_pages(build_form_pdf(person), dpi=200)[0], seed=1)
    raw = emails.qq_mail(
        sender_name=person.name, sender_address=person.email, subject="报名材料", body="见附件",
        attachments=[
            ("扫描件.jpg", scan),                         # OCR needs seconds: over a 0.5 s limit
            ("大文件.pdf", b"%PDF-1.4\n" + b"0" * 3_500_000 + b"\n%%EOF"),  # over the size cap
            ("setup.exe", b"MZ\x90\x00" + b"\0" * 100),   # not a document at all
            ("空文件.docx", b""),                          # empty
        ],
        date=on(15),
    )
    env.deliver(raw, at=on(15))

    report = run_once(env.runtime)

    assert report.process.failed == 0
    with env.runtime.session_factory() as session:
        rows = {a.filename: (a.status, a.reason) for a in session.scalars(select(Attachment))}
    assert rows == {
        "扫描件.jpg": (AttachmentStatus.UNREADABLE, "timeout"),
        "大文件.pdf": (AttachmentStatus.UNREADABLE, "too_large"),
        "setup.exe": (AttachmentStatus.NOT_A_FORM, "not_a_document"),
        "空文件.docx": (AttachmentStatus.UNREADABLE, "corrupt"),
    }
