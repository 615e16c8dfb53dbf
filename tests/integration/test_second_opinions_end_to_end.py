"""A scanned form whose name OCR reads one character off from what the applicant typed in the mail.

张喆 sends a scan of the form; the scan reads 张哲 (a look-alike of the rare
喆). The sender's name, the subject and the filename all say 张喆, so the
application reaches staff with the name flagged and the reason beside it,
never as a confident 张哲.
"""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import build_form_pdf, sample_applicants
from devtools.samples.mailbox import on
from devtools.samples.scans import image_only_pdf, render_pages
from intake.core.models import Application
from intake.worker.pipeline import run_once

pytestmark = pytest.mark.integration


def test_a_scanned_name_one_character_off_the_mails_goes_to_review_with_the_reason(make_intake_env, sqlite_url):
    applicant = sample_applicants(1, seed=7)[0]
    assert applicant.name == "张喆"
    as_scanned = replace(applicant, name="张哲")
    env = make_intake_env(sqlite_url)
    scan = image_only_pdf([render_pages(build_form_pdf(as_scanned), dpi=200)[0]])
    env.deliver(emails.qq_mail(
        sender_name=applicant.name, sender_address=applicant.email, subject=f"报名表-{applicant.name}",
        body="您好，报名表扫描件见附件。", attachments=[(f"{applicant.name}报名表扫描件.pdf", scan)], date=on(10),
    ), at=on(10, 12))

    report = run_once(env.runtime)

    assert report.process.failed == 0, report.process.errors
    with env.runtime.session_factory() as session:
        [application] = session.scalars(select(Application)).all()
        assert application.fields["name"] != applicant.name  # the value is what was read, never replaced
        assert "name" in application.needs_review
        assert any(warning.startswith(f"姓名识别为“{application.fields['name']}”")
                   and "发件人、邮件主题、附件文件名中为“张喆”" in warning for warning in application.warnings)
        if application.fields.get("county") == applicant.county and "county" not in application.needs_review:
            assert application.confidence["county"] >= 0.95  # the address names the same county
