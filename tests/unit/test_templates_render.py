"""Every reply template, for every kind of application a mail can leave, renders with nothing left unfilled.

Also: a folder named in config.yaml overrides a template without touching the
code, and the blank form the replies attach is the project's form — filled
in, our own parser reads it back.
"""
from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from docx import Document

import parsers
from intake.core.config import settings_from_mapping
from intake.core.statuses import ReplyKind
from notifier.blank_form import BLANK_FORM_FILENAME, blank_form_docx
from notifier.compose import TEMPLATE_DIR, ReplyApplication, ReplyContext, compose_reply, render_body, template_name
from parsers.schema import load_schema

CHINA = timezone(timedelta(hours=8))
LABELS = {spec.key: spec.label for spec in load_schema().fields}
FIELDS = {"name": "陈志强", "gender": "男", "id_number": "440802197805121234", "employer": "湛江示例科技有限公司",
          "mobile": "13812345678", "email": "chenzq@example.com", "county": "霞山区",
          "expertise": ["数字化转型", "企业管理"], "specialty": "信息化建设咨询"}


def application(outcome="new", *, form_read=True, missing=(), changed=(), reference="ZJZJ-2020-0007", name="陈志强"):
    return ReplyApplication(reference=reference, name=name, outcome=outcome, form_read=form_read,
                            missing_labels=[LABELS[key] for key in missing], changed_labels=[LABELS[key] for key in changed])


# What one mail can leave behind: its applications, as the reply describes them.
SITUATIONS = {
    "a new complete form": [application()],
    "a new form missing fields": [application(missing=["mobile", "expertise"])],
    "an attachment nobody could read": [application(form_read=False, missing=list(FIELDS))],
    "a correction changing fields": [application("update", changed=["mobile", "expertise"])],
    "the same form sent again": [application("update")],
    "supporting documents only": [application("update", form_read=False)],
    "documents for an incomplete application": [application("update", form_read=False, missing=["mobile"])],
    "a correction still incomplete": [application("update", missing=["expertise"], changed=["mobile"])],
    "another sender, an ID number on file": [application("possible_duplicate")],
    "several forms, mixed": [application(), application(missing=["email"], reference="ZJZJ-2020-0008", name=""),
                             application("possible_duplicate", reference="ZJZJ-2020-0009", name="林晓燕"),
                             application("update", form_read=False, reference="ZJZJ-2020-0010", name="冯伟")],
    "no application (a question)": [],
}


def context(kind: ReplyKind, applications: list[ReplyApplication], *, late: bool) -> ReplyContext:
    single = applications[0] if len(applications) == 1 else None
    missing = single.missing_labels if single else []
    return ReplyContext(
        kind=kind, to_address="chenzq@example.com", to_name="陈志强", from_address="zjzxqyfw@126.com",
        from_name="湛江市中小企业服务中心", original_subject="报名表", original_message_id="<m@example.com>",
        original_references=[], reference=single.reference if single else "",
        campaign_title="湛江市中小企业志愿服务专家报名", deadline=date(2020, 9, 25),
        fields={k: v for k, v in FIELDS.items() if LABELS[k] not in missing} if single and single.form_read else {},
        field_labels=LABELS, missing_labels=missing, needs_review_labels=[LABELS["county"]],
        message_id="<intake.0123456789abcdef0123@126.com>", sent_at=datetime(2020, 9, 20, 10, 30, tzinfo=CHINA),
        requested_labels=[LABELS["mobile"]], staff_note="请补充手机号码。", decision_reason="专业领域与需求不符",
        is_late=late, required_labels=[LABELS[key] for key in FIELDS],
        applications=applications, attachment_names=["报名表.docx"] if applications else [],
    )


UNFILLED = [
    re.compile(r"\{\{|\}\}|\{%|%\}"),  # template syntax left in the text
    re.compile(r"None|\[\]|\{\}|\(\)|（）|《》|“”"),  # an empty or missing value printed
    re.compile(r"报名编号(?:[：:]\s*+| )(?!ZJZJ-2020-\d{4})"),  # a reference announced but not given
    re.compile(r"[：:]、|、、|、[。；）]"),  # a list joined from nothing
    re.compile(r"^\s*·\s*$", re.M),  # an empty bullet
    re.compile(r"\n\s*\n\s*\n\s*\n"),  # a hole where a block rendered empty
]


# Which replies can be about what a mail left: one application gets any kind but the listing
# and the inquiry; several get the listing or the late notice; none, the inquiry or a reminder.
LISTING_KINDS = (ReplyKind.SEVERAL, ReplyKind.LATE)
NO_APPLICATION_KINDS = (ReplyKind.INQUIRY, ReplyKind.REMINDER)
CASES = [
    (kind, situation)
    for situation, applications in SITUATIONS.items()
    for kind in ReplyKind
    if (kind in NO_APPLICATION_KINDS) == (not applications)
    and (len(applications) > 1) == (kind in LISTING_KINDS) or (len(applications) == 1 and kind == ReplyKind.LATE)
]


def test_every_kind_is_rendered_for_some_situation():
    assert {kind for kind, _ in CASES} == set(ReplyKind)


@pytest.mark.parametrize("late", [False, True], ids=["on time", "after the deadline"])
@pytest.mark.parametrize(("kind", "situation"), CASES, ids=[f"{kind.value}-{situation}" for kind, situation in CASES])
def test_every_template_renders_every_situation_with_nothing_unfilled(kind, situation, late):
    text = render_body(context(kind, SITUATIONS[situation], late=late))
    assert text.strip()
    for pattern in UNFILLED:
        assert not pattern.search(text), (pattern.pattern, text)


def test_a_reply_about_a_file_nobody_could_read_lists_no_fields_as_unrecognised():
    text = render_body(context(ReplyKind.INCOMPLETE, SITUATIONS["an attachment nobody could read"], late=False))
    assert "无法打开" in text and "未填写或未能识别" not in text


def test_every_reply_kind_has_its_own_template_file():
    assert all((TEMPLATE_DIR / template_name(kind)).is_file() for kind in ReplyKind)


def test_the_listing_names_every_application_with_its_own_missing_fields():
    text = render_body(context(ReplyKind.SEVERAL, SITUATIONS["several forms, mixed"], late=False))
    assert re.findall(r"ZJZJ-2020-\d{4}", text) == ["ZJZJ-2020-0007", "ZJZJ-2020-0008", "ZJZJ-2020-0009",
                                                     "ZJZJ-2020-0010"]
    assert "缺少或未能识别的必填项：电子邮箱" in text and "（姓名未能识别）" in text


def test_replies_that_ask_for_a_form_carry_the_blank_one():
    def attached(kind, applications):
        message = compose_reply(context(kind, applications, late=False))
        return [part.get_filename() for part in message.iter_attachments()]

    assert attached(ReplyKind.INCOMPLETE, SITUATIONS["a new form missing fields"]) == [BLANK_FORM_FILENAME]
    assert attached(ReplyKind.INQUIRY, []) == [BLANK_FORM_FILENAME]
    assert attached(ReplyKind.REQUEST_INFO, SITUATIONS["a new complete form"]) == [BLANK_FORM_FILENAME]
    assert attached(ReplyKind.SEVERAL, SITUATIONS["several forms, mixed"]) == [BLANK_FORM_FILENAME]
    assert attached(ReplyKind.ACKNOWLEDGEMENT, SITUATIONS["a new complete form"]) == []
    assert attached(ReplyKind.LATE, SITUATIONS["a new form missing fields"]) == []


def test_a_template_in_the_configured_folder_replaces_the_built_in_one(tmp_path):
    folder = tmp_path / "reply_templates"
    folder.mkdir()
    (folder / "inquiry.txt").write_text("您好！报名请填写附件中的表格，{{ deadline }} 截止。\n{% include \"_footer.txt\" %}",
                                        encoding="utf-8")
    (folder / "_footer.txt").write_text("湛江市中小企业服务中心 报名咨询\n", encoding="utf-8")
    settings = settings_from_mapping({
        "mailbox": {"host": "127.0.0.1"}, "smtp": {"host": "127.0.0.1", "from_address": "zjzxqyfw@126.com"},
        "campaign": {"deadline": "2020-09-25"}, "replies": {"templates_dir": "reply_templates"},
    }, base_dir=tmp_path)
    assert settings.replies.templates_dir == folder

    inquiry = context(ReplyKind.INQUIRY, [], late=False)
    message = compose_reply(inquiry, template_folder=settings.replies.templates_dir)
    text = message_from_bytes(message.as_bytes(), policy=policy.default).get_body(("plain",)).get_content()
    text = text.replace("\r\n", "\n")
    assert text == "您好！报名请填写附件中的表格，2020年9月25日 截止。\n湛江市中小企业服务中心 报名咨询\n"
    # Kinds without their own file there keep the built-in wording, with the overridden footer.
    acknowledgement = render_body(replace(inquiry, kind=ReplyKind.ACKNOWLEDGEMENT, reference="ZJZJ-2020-0007"),
                                  template_folder=folder)
    assert "我们已收到您的报名表" in acknowledgement and acknowledgement.endswith("报名咨询\n")


def test_the_blank_form_is_the_forms_every_label_and_option():
    document = Document(io.BytesIO(blank_form_docx()))
    text = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    text += "\n".join(paragraph.text for paragraph in document.paragraphs)
    for spec in load_schema().fields:
        assert spec.label in text
        if spec.kind == "ticks":
            assert all(f"□{option}" in text for option in spec.options)
    assert blank_form_docx() == blank_form_docx()


def test_the_blank_form_filled_in_is_read_back_by_the_parser():
    schema = load_schema()
    by_label = {spec.label: spec for spec in schema.fields}
    values = {"name": "陈志强", "gender": "男", "id_number": "440802197805121234", "employer": "湛江示例科技有限公司",
              "county": "霞山区", "mobile": "13812345678", "email": "chenzq@example.com",
              "specialty": "中小企业信息化建设与管理咨询。"}
    document = Document(io.BytesIO(blank_form_docx()))
    [table] = document.tables
    for row in table.rows:
        cells = row.cells
        for label_cell, value_cell in zip(cells[::2], cells[1::2]):
            spec = by_label.get(label_cell.text)
            if spec is not None and spec.key in values:
                value_cell.text = values[spec.key]
            if spec is not None and spec.key == "expertise":
                value_cell.text = value_cell.text.replace("□企业管理", "☑企业管理")
    out = io.BytesIO()
    document.save(out)

    [form] = parsers.parse("报名表.docx", out.getvalue())

    assert {key: form.fields.get(key) for key in values} == values
    assert form.fields["expertise"] == ["企业管理"]
