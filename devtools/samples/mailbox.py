"""The sample mailbox: a realistic set of emails for the demo, the tests and the bench.

Each ``SeededMail`` is what lands in the centre's inbox — raw bytes and the
time the server received it — plus what intake should make of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from devtools.samples import emails
from devtools.samples.forms import (
    Applicant,
    build_form_docx,
    build_form_pdf,
    build_forms_docx,
    build_incomplete_form_docx,
    build_non_form_docx,
    sample_applicants,
)

CHINA = timezone(timedelta(hours=8))
CENTRE_ADDRESS = "zjzxqyfw@126.com"


def on(day: int, hour: int = 10, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=CHINA)


@dataclass
class SeededMail:
    label: str                       # what this mail shows, for people reading the demo/test output
    raw: bytes
    received_at: datetime
    applicants: list[Applicant] = field(default_factory=list)  # whose forms it carries
    # The one reply it gets (a ReplyKind value: "acknowledgement", "update",
    # "several_applications", "incomplete", "late", "inquiry"), or None.
    expect_reply: str | None = None


def _docx_name(applicant: Applicant) -> str:
    return f"湛江市中小企业志愿服务专家报名表-{applicant.name}.docx"


def demo_mailbox(to_address: str = CENTRE_ADDRESS) -> list[SeededMail]:
    """The seeded inbox: every client and encoding the centre really receives."""
    people = sample_applicants(12, seed=0)
    a, b, c, d, e, f, g, h, i, j, k, forwarder = people
    common = {"to_address": to_address}
    mails: list[SeededMail] = []

    raw = emails.foxmail_mail(
        sender_name=a.name, sender_address=a.email, subject=f"报名表-{a.name}",
        body=f"您好！附件是我的报名表，请查收。\n{a.name}", attachments=[(_docx_name(a), build_form_docx(a))],
        date=on(10, 9, 12), **common,
    )
    mails.append(SeededMail("Foxmail, gb2312 label carrying GBK, .docx form", raw, on(10, 9, 13), [a], "acknowledgement"))

    mails.append(SeededMail(
        "Outlook, RFC 2231 filename, text PDF form",
        emails.outlook_mail(
            sender_name=b.name, sender_address=b.email, subject="申请加入湛江市中小企业志愿服务专家库",
            body="您好，报名表（PDF）见附件。", attachments=[(f"专家报名表_{b.name}.pdf", build_form_pdf(b))],
            date=on(11, 15, 40), **common,
        ),
        on(11, 15, 41), [b], "acknowledgement",
    ))

    mails.append(SeededMail(
        "QQ Mail, .zip with GBK member names (form + résumé)",
        emails.zip_mail(
            sender_name=c.name, sender_address=c.email, subject=f"{c.name}报名材料",
            body="报名表和个人简历打包在压缩文件里。",
            attachments=[(_docx_name(c), build_form_docx(c, layout="table2")), ("个人简历.docx", build_non_form_docx())],
            date=on(12, 20, 5), **common,
        ),
        on(12, 20, 6), [c], "acknowledgement",
    ))

    original = emails.netease_mail(
        sender_name=d.name, sender_address=d.email, subject="专家报名表", body="请帮我转交报名表，谢谢。",
        attachments=[(_docx_name(d), build_form_docx(d, layout="merged"))], date=on(13, 8, 30),
        to_address=forwarder.email,
    )
    mails.append(SeededMail(
        "forwarded mail (message/rfc822) carrying another person's form",
        emails.forwarded_mail(
            original, sender_name=forwarder.name, sender_address=forwarder.email,
            subject=f"转发：{d.name}的专家报名表", body=f"转发{d.name}同志的报名表。", date=on(13, 9, 0), **common,
        ),
        on(13, 9, 1), [d], "acknowledgement",
    ))

    mails.append(SeededMail(
        "126 webmail (GBK), two applicants' forms in one .docx",
        emails.netease_mail(
            sender_name="人事部", sender_address="hr@zjjt.com.cn", subject="我单位两名专家报名表",
            body=f"附件为{e.name}、{f.name}两位同志的报名表。",
            attachments=[("我单位专家报名表（2人）.docx", build_forms_docx([e, f], layout="table4"))],
            date=on(14, 10, 0), **common,
        ),
        on(14, 10, 1), [e, f], "several_applications",
    ))

    mails.append(SeededMail(
        "first try: the form lacks the mobile number and expertise",
        emails.qq_mail(
            sender_name=g.name, sender_address=g.email, subject="报名表",
            body="报名表见附件。", attachments=[(_docx_name(g), build_incomplete_form_docx(g, ["mobile", "expertise"]))],
            date=on(15, 11, 0), **common,
        ),
        on(15, 11, 1), [g], "incomplete",
    ))
    mails.append(SeededMail(
        "resubmission: the corrected form becomes version 2 of the same application",
        emails.qq_mail(
            sender_name=g.name, sender_address=g.email, subject="Re: 报名表（已补充完整）",
            body="已补充手机号码和专业领域，请查收。", attachments=[(_docx_name(g), build_form_docx(g))],
            date=on(17, 16, 20), **common,
        ),
        on(17, 16, 21), [g], "update",
    ))

    mails.append(SeededMail(
        "a question without a form: answered with how to apply and the blank form",
        emails.netease_mail(
            sender_name="王先生", sender_address="wang.consult@163.com", subject="咨询：志愿服务专家怎么报名？",
            body="您好，请问报名表在哪里下载？需要提交哪些材料？谢谢。", date=on(16, 9, 30), **common,
        ),
        on(16, 9, 31), [], "inquiry",
    ))

    mails.append(SeededMail(
        "raw 8-bit GBK headers and filename (an old client)",
        emails.raw8bit_mail(
            sender_name=h.name, sender_address=h.email, subject=f"{h.name} 报名表",
            body="报名表请查收。", attachments=[(_docx_name(h), build_form_docx(h, layout="paragraphs"))],
            date=on(18, 14, 0), **common,
        ),
        on(18, 14, 1), [h], "acknowledgement",
    ))

    mails.append(SeededMail(
        "HTML-only mail with a PDF form",
        emails.html_only_mail(
            sender_name=i.name, sender_address=i.email, subject="志愿服务专家报名",
            body="<p>您好：</p><p>附件为本人报名表。</p>", attachments=[(f"{i.name}.pdf", build_form_pdf(i))],
            date=on(21, 9, 45), **common,
        ),
        on(21, 9, 46), [i], "acknowledgement",
    ))

    mails.append(SeededMail(
        "late: arrives on 27 September, after the deadline",
        emails.netease_mail(
            sender_name=j.name, sender_address=j.email, subject="报名表（逾期）",
            body="抱歉晚了，报名表见附件。", attachments=[(_docx_name(j), build_form_docx(j))],
            date=on(27, 8, 0), charset="gb2312", **common,
        ),
        on(27, 8, 1), [j], "late",
    ))

    mails.append(SeededMail(
        "an out-of-office auto-reply (no reply to it)",
        emails.auto_reply(
            sender_name=k.name, sender_address=k.email, subject="湛江市中小企业志愿服务专家报名", date=on(16, 12, 0),
            **common,
        ),
        on(16, 12, 1),
    ))
    mails.append(SeededMail(
        "a bounce from MAILER-DAEMON (no reply to it)",
        emails.bounce(recipient="nobody@example.com", original_subject="Re: 报名表", date=on(16, 12, 30), **common),
        on(16, 12, 31),
    ))
    mails.append(SeededMail(
        "a newsletter (bulk mail, no reply to it)",
        emails.bulk_mail(
            sender_name="某培训机构", sender_address="news@example.com", subject="九月企业培训课程推荐",
            body="本月课程……", date=on(19, 7, 0), **common,
        ),
        on(19, 7, 1),
    ))
    first = mails[0]
    mails.append(SeededMail(
        "the first mail delivered a second time (nothing new)",
        b"Received: from mx2.126.com by 126.com; Thu, 10 Sep 2020 09:13:30 +0800\r\n" + first.raw,
        on(10, 9, 14),
    ))
    return mails


def expected_applicants(mails: list[SeededMail]) -> dict[str, Applicant]:
    """ID number → applicant for every application the mailbox should produce."""
    return {person.id_number: person for mail in mails for person in mail.applicants}
