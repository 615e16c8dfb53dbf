import os
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from intake.core.statuses import ReplyKind
import notifier.compose as compose
from notifier.compose import ReplyContext, compose_reply, reply_subject

FULL_ID = re.compile(r"\d{17}[\dXx]")
FULL_MOBILE = re.compile(r"1[3-9]\d{9}")
CHINA = timezone(timedelta(hours=8))

LABELS = {
    "name": "姓名",
    "gender": "性别",
    "id_number": "身份证号码",
    "employer": "工作单位",
    "mobile": "手机",
    "office_phone": "办公电话",
    "email": "电子邮箱",
    "expertise": "服务领域",
    "specialty": "专业特长",
}


def make_context(**overrides) -> ReplyContext:
    values = dict(
        kind=ReplyKind.ACKNOWLEDGEMENT,
        to_address="zhangzhe@example.com",
        to_name="张喆",
        from_address="zjsme@126.com",
        from_name="湛江市中小企业服务中心",
        original_subject="报名表 张喆",
        original_message_id="<orig-1@mail.example.com>",
        original_references=["<root@mail.example.com>"],
        reference="ZJZJ-2020-0007",
        campaign_title="湛江市中小企业志愿服务专家报名",
        deadline=date(2020, 9, 25),
        fields={
            "name": "张喆",
            "gender": "男",
            "id_number": "44080219780512123X",
            "employer": "湛江某某会计师事务所",
            "mobile": "13812341234",
            "office_phone": "0759-2345678",
            "email": "zhangzhe@example.com",
            "expertise": ["财务管理", "融资服务"],
            "specialty": "税务筹划",
        },
        field_labels=LABELS,
        missing_labels=[],
        needs_review_labels=[],
        message_id="<intake.0123456789abcdef0123@126.com>",
        sent_at=datetime(2020, 9, 20, 10, 30, tzinfo=CHINA),
    )
    values.update(overrides)
    return ReplyContext(**values)


def reparse(message):
    """What the recipient's client sees: the bytes on the wire, parsed again."""
    return message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)


def assert_no_full_numbers(message):
    # The header section as sent; the body as read (the blank form's base64 may hold any run of digits).
    wire = message.as_bytes(policy=policy.SMTP).decode("ascii").partition("\r\n\r\n")[0]
    parsed = reparse(message)
    everything = wire + "\n".join(str(v) for v in parsed.values()) + parsed.get_body(("plain",)).get_content()
    assert not FULL_ID.search(everything)
    assert not FULL_MOBILE.search(everything)


@pytest.mark.parametrize("kind", [ReplyKind.ACKNOWLEDGEMENT, ReplyKind.INCOMPLETE, ReplyKind.LATE])
def test_headers(kind):
    parsed = reparse(compose_reply(make_context(kind=kind)))
    assert parsed["Subject"] == "Re: 报名表 张喆"
    assert parsed["From"].addresses[0].display_name == "湛江市中小企业服务中心"
    assert parsed["From"].addresses[0].addr_spec == "zjsme@126.com"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["zhangzhe@example.com"]
    assert parsed["Message-ID"] == "<intake.0123456789abcdef0123@126.com>"
    assert parsed["In-Reply-To"] == "<orig-1@mail.example.com>"
    assert parsed["References"].split() == ["<root@mail.example.com>", "<orig-1@mail.example.com>"]
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["X-Intake-Outbox"] == kind.value
    assert "Precedence" not in parsed
    assert parsed["Date"].datetime == datetime(2020, 9, 20, 10, 30, tzinfo=CHINA)
    body = parsed.get_body(("plain",))
    assert body.get_content_type() == "text/plain"
    assert body.get_content_charset() == "utf-8"
    # The incomplete notice asks for a form, so the blank one goes with it.
    assert parsed.get_content_type() == ("multipart/mixed" if kind == ReplyKind.INCOMPLETE else "text/plain")


@pytest.mark.parametrize("kind", [ReplyKind.ACKNOWLEDGEMENT, ReplyKind.INCOMPLETE, ReplyKind.LATE])
def test_no_full_id_or_phone_anywhere(kind):
    hostile = make_context(
        kind=kind,
        to_name="张喆 13812341234",
        original_subject="报名表 张喆 440802197805121234 13812341234",
        fields={**make_context().fields, "remarks": "另一个电话 13900001111"},
        field_labels={**LABELS, "remarks": "备注"},
    )
    assert_no_full_numbers(compose_reply(hostile))


def test_acknowledgement_body():
    body = reparse(compose_reply(make_context(needs_review_labels=["出生年月"]))).get_body(("plain",)).get_content()
    assert "收到您的报名表" in body
    assert "ZJZJ-2020-0007" in body
    assert "身份证号码：440802********123X" in body
    assert "手机：138****1234" in body
    assert "办公电话：0759-***5678" in body
    assert "服务领域：财务管理、融资服务" in body
    assert "遴选审核" in body
    assert "仅公开姓名、工作单位和专业特长" in body
    assert "以下内容我们将人工核对" in body and "出生年月" in body
    assert "自动回复" in body
    assert "必填项缺失" not in body


def test_incomplete_body_lists_missing_fields_and_deadline():
    context = make_context(
        kind=ReplyKind.INCOMPLETE,
        fields={k: v for k, v in make_context().fields.items() if k not in ("id_number", "specialty")},
        missing_labels=["身份证号码", "专业特长"],
    )
    body = reparse(compose_reply(context)).get_body(("plain",)).get_content()
    assert "以下必填项缺失或无法识别" in body
    assert "身份证号码" in body and "专业特长" in body
    assert "请于 2020年9月25日 前补充完整后回复本邮件重新提交（可直接回复本邮件并附上完整的报名表）" in body
    assert "ZJZJ-2020-0007" in body


def test_late_body():
    body = reparse(compose_reply(make_context(kind=ReplyKind.LATE))).get_body(("plain",)).get_content()
    assert "2020年9月25日" in body
    assert "截止" in body
    assert "ZJZJ-2020-0007" in body
    assert "工作人员" in body


def test_crlf_in_original_subject_is_flattened():
    message = compose_reply(make_context(original_subject="报名表\r\nBcc: victim@example.com\r\n 张喆"))
    parsed = reparse(message)
    assert parsed["Subject"] == "Re: 报名表 Bcc: victim@example.com 张喆"
    assert "Bcc" not in parsed.keys()


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Re: 报名表 张喆", "Re: 报名表 张喆"),
        ("RE: re: 报名表", "Re: 报名表"),
        ("回复：报名表", "Re: 报名表"),
        ("", "Re: 湛江市中小企业志愿服务专家报名"),
        ("  \r\n ", "Re: 湛江市中小企业志愿服务专家报名"),
    ],
)
def test_reply_subject(original, expected):
    assert reply_subject(original, "湛江市中小企业志愿服务专家报名") == expected


@pytest.mark.parametrize(
    "hostile",
    [
        "a@example.com, b@example.com",
        "a@example.com\r\nBcc: b@example.com",
        "a@example.com\n",
        "张喆 <a@example.com>",
        "<a@example.com>",
        "not-an-address",
        "@example.com",
        "a@",
        "a@localhost",
        "",
        "a b@example.com",
        '"a@b"@example.com',
    ],
)
def test_hostile_to_address_is_refused(hostile):
    with pytest.raises(ValueError):
        compose_reply(make_context(to_address=hostile))


def test_without_original_message_id_there_is_no_threading():
    parsed = reparse(compose_reply(make_context(original_message_id=None)))
    assert "In-Reply-To" not in parsed
    assert "References" not in parsed


def test_untrustworthy_original_ids_are_dropped():
    context = make_context(
        original_message_id="<orig@x.example>",
        original_references=["junk", "<a@b>\r\nX-Evil: 1", "<root@x.example>"],
    )
    parsed = reparse(compose_reply(context))
    assert parsed["References"].split() == ["<root@x.example>", "<orig@x.example>"]
    assert "X-Evil" not in parsed


def test_bad_message_id_and_naive_date_are_refused():
    with pytest.raises(ValueError):
        compose_reply(make_context(message_id="no-brackets@126.com"))
    with pytest.raises(ValueError):
        compose_reply(make_context(sent_at=datetime(2020, 9, 20, 10, 30)))


def test_a_kind_without_a_template_is_refused(monkeypatch):
    monkeypatch.setattr(compose, "template_name", lambda kind: "no-such-template.txt")
    with pytest.raises(ValueError, match="no reply template"):
        compose_reply(make_context())


def test_compose_is_deterministic():
    context = make_context()
    assert compose_reply(context).as_bytes() == compose_reply(replace(context)).as_bytes()


def test_replies_composed_one_after_another_share_no_header():
    first, second = compose_reply(make_context(to_name="张喆")), compose_reply(make_context(to_name="欧阳婧"))
    assert first["To"] is not second["To"]
    first.replace_header("Subject", "Re: 改过的主题")
    assert second["Subject"] == "Re: 报名表 张喆"
    assert second.as_bytes() == compose_reply(make_context(to_name="欧阳婧")).as_bytes()
    assert reparse(second)["To"].addresses[0].display_name == "欧阳婧"


def test_a_reply_template_changed_on_disk_is_used_by_the_next_reply(tmp_path):
    template = tmp_path / "acknowledgement.txt"
    template.write_text("{{ name }}：报名表已收到。\n", encoding="utf-8")
    assert "报名表已收到" in compose.render_body(make_context(), template_folder=tmp_path)
    template.write_text("{{ name }}：我们已收到您的报名表。\n", encoding="utf-8")
    later = os.stat(template).st_mtime + 2  # a clock with coarse file times still sees the change
    os.utime(template, (later, later))
    assert "我们已收到您的报名表" in compose.render_body(make_context(), template_folder=tmp_path)
