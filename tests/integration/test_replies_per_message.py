"""Every mail that asks for an answer gets exactly one, of the right kind, on real servers.

A campaign's mail, delivered to a real Dovecot at controlled arrival times:
a complete form, an incomplete one corrected twice, two applicants in one
mail, a question without a form, another sender's form with an ID number on
file, supporting documents, a second form for an application staff already
approved, a correction and a question after the deadline, an auto-reply.
The worker runs twice; the SMTP sink must hold one reply per human mail.
"""
from __future__ import annotations

import re
from collections import Counter
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import select

from devtools.samples import emails
from devtools.samples.forms import (
    build_form_docx,
    build_forms_docx,
    build_incomplete_form_docx,
    build_non_form_docx,
    sample_applicants,
)
from devtools.samples.mailbox import on
from intake.core.models import Application, Message
from intake.core.statuses import ApplicationStatus, MessageStatus
from intake.worker.pipeline import run_once

pytestmark = pytest.mark.integration

CENTRE = "zjzxqyfw@126.com"
REFERENCE = re.compile(r"ZJZJ-2020-\d{4}")
BLANK_FORM = "湛江市中小企业志愿服务专家报名表.docx"


def form_name(person) -> str:
    return f"报名表-{person.name}.docx"


def mail_from(person, subject, body, attachments=(), *, day, address=None, name=None):
    return emails.qq_mail(
        sender_name=name or person.name, sender_address=address or person.email, subject=subject, body=body,
        attachments=list(attachments), date=on(day, 9, 0), to_address=CENTRE,
    )


def parsed(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def body(reply) -> str:
    return reply.get_body(("plain",)).get_content()


def attachment_names(reply) -> list[str]:
    return [part.get_filename() for part in reply.iter_attachments()]


@pytest.fixture
def campaign(make_intake_env, database_url):
    env = make_intake_env(database_url)
    a, g, e, f, h, forwarder, asker, late_asker = sample_applicants(8, seed=3)
    before = {
        "a_applies": (mail_from(a, "报名表", "附件是我的报名表。", [(form_name(a), build_form_docx(a))], day=10), 10),
        "g_first_try": (mail_from(g, "报名表", "报名表见附件。",
                                  [(form_name(g), build_incomplete_form_docx(g, ["mobile", "expertise"]))], day=11), 11),
        "g_adds_mobile": (mail_from(g, "Re: 报名表", "已补充手机号码。",
                                    [(form_name(g), build_incomplete_form_docx(g, ["expertise"]))], day=12), 12),
        "g_completes": (mail_from(g, "Re: 报名表", "已补充专业领域。", [(form_name(g), build_form_docx(g))], day=13), 13),
        "hr_sends_two": (mail_from(e, "我单位两名专家报名表", f"附件为{e.name}、{f.name}的报名表。",
                                   [("专家报名表（2人）.docx", build_forms_docx([e, f]))], day=14,
                                   address="hr@zjjt.com.cn", name="人事部"), 14),
        "question": (mail_from(asker, "请问报名表是这个吗？", "您好，请问报名表是这个吗？怎么报名？", day=15), 15),
        "same_id_other_sender": (mail_from(a, f"转发：{a.name}的报名表", "转发同事的报名表。",
                                           [(form_name(a), build_form_docx(a))], day=16,
                                           address=forwarder.email, name=forwarder.name), 16),
        "a_sends_cv": (mail_from(a, "补充材料", "补充我的个人简历。", [("个人简历.docx", build_non_form_docx())],
                                 day=17), 17),
        "h_applies": (mail_from(h, "报名表", "报名表请查收。", [(form_name(h), build_form_docx(h))], day=18), 18),
        "out_of_office": (emails.auto_reply(sender_name=f.name, sender_address=f.email, subject="报名表",
                                            date=on(19, 12, 0), to_address=CENTRE), 19),
    }
    env.people = dict(a=a, g=g, e=e, f=f, h=h, forwarder=forwarder, asker=asker, late_asker=late_asker)
    env.mails = {}
    for label, (raw, day) in before.items():
        env.deliver(raw, at=on(day, 9, 1))
        env.mails[label] = raw
    return env


def replies_by_mail(env):
    """Each reply in the sink, under the label of the mail it answers (by In-Reply-To)."""
    labels = {parsed(raw)["Message-ID"]: label for label, raw in env.mails.items()}
    replies: dict[str, list] = {}
    for sent in env.smtp_sink.messages:
        reply = parsed(sent.data)
        replies.setdefault(labels[reply["In-Reply-To"]], []).append(reply)
    return replies


def applications(env) -> dict[str, Application]:
    """Each applicant's first application, by name (a possible duplicate comes later)."""
    found: dict[str, Application] = {}
    with env.runtime.session_factory() as session:
        for row in session.scalars(select(Application).order_by(Application.id)):
            _ = row.versions  # loaded while the session is open
            found.setdefault(row.name, row)
    return found


def test_every_mail_of_a_campaign_gets_exactly_one_reply_of_the_right_kind(campaign):
    env, people = campaign, campaign.people
    first = run_once(env.runtime)
    assert first.ok and first.process.failed == 0, first.process.errors

    # Staff approve E; then HR sends E's form again.
    with env.runtime.session_factory() as session, session.begin():
        approved = session.scalars(select(Application).where(Application.name == people["e"].name)).one()
        approved.status = ApplicationStatus.APPROVED
    e = people["e"]
    env.mails["hr_resends_e"] = mail_from(e, "补发报名表", "补发。", [(form_name(e), build_form_docx(e))], day=20,
                                          address="hr@zjjt.com.cn", name="人事部")
    env.deliver(env.mails["hr_resends_e"], at=on(20, 9, 1))
    # After the deadline (25 September): H corrects an on-time application, someone asks.
    h = people["h"]
    env.mails["h_corrects_late"] = mail_from(h, "Re: 报名表（更正）", "更正工作单位。",
                                             [(form_name(h), build_form_docx(h, layout="table2"))], day=27)
    env.deliver(env.mails["h_corrects_late"], at=on(27, 9, 1))
    env.mails["late_question"] = mail_from(people["late_asker"], "专家报名", "现在还能报名吗？", day=28)
    env.deliver(env.mails["late_question"], at=on(28, 9, 1))

    second = run_once(env.runtime)
    third = run_once(env.runtime)
    assert second.ok and second.process.failed == 0, second.process.errors
    assert (third.ingest.stored, third.process.replies_queued) == (0, 0)

    replies = replies_by_mail(env)
    # Exactly one reply to every mail from a person, none to the auto-reply, nothing twice.
    assert set(replies) == set(env.mails) - {"out_of_office"}
    assert all(len(answers) == 1 for answers in replies.values()), {k: len(v) for k, v in replies.items()}
    kinds = {label: answers[0]["X-Intake-Outbox"] for label, answers in replies.items()}
    assert kinds == {
        "a_applies": "acknowledgement",
        "g_first_try": "incomplete",
        "g_adds_mobile": "incomplete",
        "g_completes": "update",
        "hr_sends_two": "several_applications",
        "question": "inquiry",
        "same_id_other_sender": "possible_duplicate",
        "a_sends_cv": "update",
        "h_applies": "acknowledgement",
        "hr_resends_e": "update",
        "h_corrects_late": "late",
        "late_question": "inquiry",
    }
    reply = {label: answers[0] for label, answers in replies.items()}
    for one in reply.values():
        assert str(one["Subject"]).startswith("Re: ") and one["Auto-Submitted"] == "auto-replied"

    apps = applications(env)
    a = apps[people["a"].name]

    # The acknowledgement lists what staff will check.
    assert "工作人员审核时将核对" in body(reply["a_applies"])

    # The incomplete notice names what is missing and carries the blank form, each time.
    assert "手机号码" in body(reply["g_first_try"]) and "专业领域" in body(reply["g_first_try"])
    assert attachment_names(reply["g_first_try"]) == [BLANK_FORM]
    assert "手机号码" not in body(reply["g_adds_mobile"]).split("以下必填项缺失或无法识别")[1].split("请于")[0]
    assert attachment_names(reply["g_adds_mobile"]) == [BLANK_FORM]
    # The complete correction is acknowledged as an update, saying what changed.
    assert "更新已收到" in body(reply["g_completes"]) and "本次更新了：专业领域" in body(reply["g_completes"])
    g = [app for app in apps.values() if app.sender == people["g"].email][0]
    assert g.version == 3 and g.status == ApplicationStatus.PENDING_REVIEW

    # Two applicants in one mail: one reply listing both, each with its own reference.
    listed = set(REFERENCE.findall(body(reply["hr_sends_two"])))
    assert listed == {apps[people["e"].name].reference, apps[people["f"].name].reference}

    # A question gets how to apply and the blank form; it makes no application.
    assert attachment_names(reply["question"]) == [BLANK_FORM]
    assert "报名方法" in body(reply["question"]) and "2020年9月25日" in body(reply["question"])
    assert not REFERENCE.search(body(reply["question"]))
    assert people["asker"].email not in {app.sender for app in apps.values()}

    # Another sender's form with A's ID number: a new application linked to A, A untouched and never named.
    duplicate_reply = body(reply["same_id_other_sender"])
    assert "工作人员将进行核对" in duplicate_reply and a.reference not in duplicate_reply
    with env.runtime.session_factory() as session:
        same_id = session.scalars(select(Application).where(Application.id_number == people["a"].id_number)
                                  .order_by(Application.id)).all()
        assert [row.id for row in same_id] == [a.id, same_id[1].id]
        duplicate = same_id[1]
        assert duplicate.possible_duplicate_of_id == a.id and duplicate.sender == people["forwarder"].email
        assert duplicate.status == ApplicationStatus.PENDING_REVIEW
        assert duplicate.reference in duplicate_reply

    # A's supporting document: an update of A (a version, same fields), acknowledged as such.
    assert "个人简历.docx" in body(reply["a_sends_cv"]) and a.reference in body(reply["a_sends_cv"])
    assert [version.fields for version in a.versions] == [a.fields, a.fields] and a.sender == people["a"].email

    # A decided application keeps its decision; staff are told a new version came.
    e_app = apps[people["e"].name]
    assert e_app.status == ApplicationStatus.APPROVED and e_app.version == 2
    assert any("状态未自动改变" in warning for warning in e_app.warnings)

    # Lateness is the mail's: H applied on time, corrected late.
    h_app = apps[people["h"].name]
    assert (h_app.is_late, h_app.latest_is_late) == (False, True)
    assert "更正" in body(reply["h_corrects_late"]) and "截止" in body(reply["h_corrects_late"])
    assert "已于 2020年9月25日 截止" in body(reply["late_question"])
    with env.runtime.session_factory() as session:
        statuses = Counter(session.scalars(select(Message.status)))
    assert statuses[MessageStatus.IGNORED] == 1  # the auto-reply
