"""Forms as applicants really send them — legacy Word, scans, phone photos, a zip of scans — end to end.

Each becomes an application; whatever OCR could not read for certain is
listed for staff (needs_review) and in the acknowledgement, never passed off
as certain.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.core.models import Application, Attachment
from intake.worker.pipeline import run_once
from devtools.samples import emails
from devtools.samples.forms import build_form_docx, build_form_pdf, build_non_form_docx, sample_applicants
from devtools.samples.mailbox import on
from devtools.samples.scans import docx_to, image_only_pdf, phone_photo, render_pages, scan_image
from intake.core.statuses import ApplicationStatus, AttachmentStatus

pytestmark = pytest.mark.integration


def never_silently_wrong(application: Application, expected: dict) -> list[str]:
    """Fields whose value differs from the truth without being flagged for staff."""
    flagged = set(application.needs_review) | set(application.missing_fields)
    return [
        key for key, value in application.fields.items()
        if key not in flagged and expected.get(key) != value
    ]


@pytest.fixture(scope="module")
def people():
    return sample_applicants(4, seed=31)


def test_doc_scan_photo_and_zip_of_scans_become_applications(make_intake_env, sqlite_url, people):
    legacy, scanned, photographed, zipped = people
    env = make_intake_env(sqlite_url)
    mails = [
        emails.netease_mail(
            sender_name=legacy.name, sender_address=legacy.email, subject="报名表（Word 97）", body="见附件",
            attachments=[(f"{legacy.name}.doc", docx_to("doc", build_form_docx(legacy)))], date=on(9),
        ),
        emails.qq_mail(
            sender_name=scanned.name, sender_address=scanned.email, subject="扫描件报名表", body="见附件",
            attachments=[(f"{scanned.name}扫描件.pdf",
                          image_only_pdf([render_pages(build_form_pdf(scanned), dpi=200)[0]]))], date=on(10),
        ),
        emails.phone_mail(
            sender_name=photographed.name, sender_address=photographed.email, subject="报名表照片", body="拍照发送",
            attachments=[("IMG_2041.JPG", phone_photo(render_pages(build_form_pdf(photographed), dpi=200)[0], seed=4))],
            date=on(11),
        ),
        emails.zip_mail(
            sender_name=zipped.name, sender_address=zipped.email, subject="报名材料（压缩包）", body="见压缩包",
            attachments=[
                ("报名表扫描.jpg", scan_image(render_pages(build_form_pdf(zipped), dpi=250)[0], seed=8)),
                ("简历.docx", build_non_form_docx()),
            ],
            date=on(12),
        ),
    ]
    for number, raw in enumerate(mails):
        env.deliver(raw, at=on(9 + number, 12))

    report = run_once(env.runtime)

    assert report.process.failed == 0, report.process.errors
    with env.runtime.session_factory() as session:
        applications = {a.sender: a for a in session.scalars(select(Application))}
        assert set(applications) == {p.email for p in people}

        word97 = applications[legacy.email]
        assert word97.fields == legacy.expected_fields()
        assert word97.status == ApplicationStatus.PENDING_REVIEW and word97.needs_review == []

        for person in (scanned, photographed, zipped):
            application = applications[person.email]
            assert application.fields.get("name") or "name" in application.missing_fields
            assert never_silently_wrong(application, person.expected_fields()) == [], person.name
            assert application.status in (ApplicationStatus.PENDING_REVIEW, ApplicationStatus.INCOMPLETE)

        attachments = {a.filename: a for a in session.scalars(select(Attachment))}
        assert attachments["简历.docx"].status == AttachmentStatus.NOT_A_FORM
        assert attachments["IMG_2041.JPG"].status in (AttachmentStatus.PARSED, AttachmentStatus.PARTIAL)

    replies = {r.rcpt_tos[0]: r.message for r in env.smtp_sink.messages}
    assert set(replies) == {p.email for p in people}
    for person in (scanned, photographed, zipped):
        application = applications[person.email]
        body = replies[person.email].get_body(("plain",)).get_content()
        if application.needs_review:
            assert "人工核对" in body  # the applicant is told what staff will double-check
