"""Second opinions from the mail: the applicant's own keyboard against what OCR read.

The sender's display name, the subject, the attachment's filename and a
signature line usually carry the applicant's name; the address and the ID
number's region code name a county. Agreement makes a field surer, a near
miss sends it to staff with what disagrees, and a different person (someone
forwarding a colleague's form) is no error at all. Values never change.
"""
from __future__ import annotations

import copy

import pytest

from devtools.samples import emails
from intake.mail.mime import parse_mail
from intake.worker.second_opinions import MailFacts, mail_facts, name_candidates, with_second_opinions
from parsers.results import FormResult
from parsers.text.checks import check_surname, id_check_char


def an_id(region: str, birth: str = "19780512", sequence: str = "123") -> str:
    first17 = region + birth + sequence
    return first17 + id_check_char(first17)


def ocr_form(name: str | None = "张伟", *, confidence: float = 0.9, **fields) -> FormResult:
    values = {"name": name, **fields} if name else dict(fields)
    return FormResult(fields=values, confidence={key: confidence for key in values}, method="ocr")


def second_opinion(result: FormResult, **facts) -> FormResult:
    before = copy.deepcopy(result)
    adjusted = with_second_opinions(result, MailFacts(**facts))
    assert adjusted.fields == before.fields  # a second opinion never changes a value
    assert result == before  # nor the result it was given
    return adjusted


# ---------------------------------------------------------------- the name agrees

@pytest.mark.parametrize("facts", [
    {"sender_name": "张伟"},  # "张伟" <zw@126.com>
    {"subjects": ("报名表-张伟-湛江某公司",)},
    {"filename": "张伟报名表.docx"},
    {"filename": "湛江市中小企业志愿服务专家报名表-张伟.docx"},
    {"subjects": ("张伟同志的申请材料",)},
    {"body_text": "您好！附件是我的报名表，请查收。\n张伟\n"},
])
def test_a_name_the_applicant_typed_the_same_makes_the_reading_surer(facts):
    adjusted = second_opinion(ocr_form("张伟", confidence=0.9), **facts)

    assert adjusted.confidence["name"] == 0.95
    assert adjusted.needs_review == [] and adjusted.warnings == []


def test_a_confidence_already_higher_is_kept():
    adjusted = second_opinion(ocr_form("张伟", confidence=1.0), sender_name="张伟")

    assert adjusted.confidence["name"] == 1.0


# ---------------------------------------------------------------- a near miss is flagged

def test_a_surname_left_alone_by_a_dropped_character_goes_to_review_with_the_subjects_name():
    adjusted = second_opinion(ocr_form("张"), subjects=("报名表-张伟-湛江某公司",))

    assert adjusted.needs_review == ["name"]
    assert adjusted.warnings == ["姓名识别为“张”，但邮件主题中为“张伟”，请对照原件核对"]
    assert adjusted.confidence["name"] <= 0.5


def test_a_look_alike_surname_is_flagged_naming_every_place_the_mail_wrote_it():
    adjusted = second_opinion(ocr_form("洗浩"), sender_name="冼浩", filename="冼浩报名表.docx")

    assert adjusted.needs_review == ["name"]
    assert adjusted.warnings == ["姓名识别为“洗浩”，但发件人、附件文件名中为“冼浩”，请对照原件核对"]


def test_a_dropped_middle_character_of_a_three_character_name_is_flagged():
    adjusted = second_opinion(ocr_form("邓宇"), filename="邓振宇.pdf")

    assert adjusted.needs_review == ["name"]
    assert "“邓振宇”" in adjusted.warnings[0]


def test_a_typed_form_whose_name_differs_by_one_character_from_the_subject_is_flagged_too():
    typed = FormResult(fields={"name": "张炜"}, confidence={"name": 1.0}, method="docx")

    adjusted = second_opinion(typed, subjects=("张伟报名表",))

    assert adjusted.needs_review == ["name"]


# ---------------------------------------------------------------- no opinion, no flag

@pytest.mark.parametrize("sender_name", ["zhangwei", "Zhang Wei", "ZHANG Wei (湛江)", ""])
def test_a_pinyin_display_name_says_nothing(sender_name):
    adjusted = second_opinion(ocr_form("张伟", confidence=0.9), sender_name=sender_name)

    assert adjusted.confidence["name"] == 0.9 and adjusted.needs_review == []


@pytest.mark.parametrize("facts", [
    {"sender_name": "人事部", "subjects": ("我单位两名专家报名表",), "filename": "我单位专家报名表（2人）.docx"},
    {"sender_name": "李娜", "subjects": ("同事的报名表",)},
    {"sender_name": "王建华", "subjects": ("专家报名表",), "body_text": "请帮我转交报名表，谢谢。"},
])
def test_hr_or_a_colleague_forwarding_someone_elses_form_is_not_an_error(facts):
    adjusted = second_opinion(ocr_form("张伟", confidence=0.9), **facts)

    assert adjusted.needs_review == [] and adjusted.warnings == []
    assert adjusted.confidence["name"] == 0.9


def test_a_forwarder_whose_name_is_part_of_the_applicants_is_not_a_misread():
    adjusted = second_opinion(ocr_form("张伟华"), sender_name="张伟")

    assert adjusted.needs_review == []


def test_the_forwarded_form_owners_name_in_the_subject_agrees_though_the_sender_is_someone_else():
    adjusted = second_opinion(ocr_form("梁伟", confidence=0.9), sender_name="莫嘉欣", subjects=("转发：梁伟的专家报名表",))

    assert adjusted.confidence["name"] == 0.95 and adjusted.needs_review == []


@pytest.mark.parametrize("subject", ["张总报名表", "陈工的材料", "张经理：报名表", "王老师您好：报名表"])
def test_a_surname_with_a_title_is_a_way_of_addressing_not_a_name(subject):
    assert name_candidates(MailFacts(subjects=(subject,))) == {}


def test_form_and_mail_words_are_not_names():
    facts = MailFacts(subjects=("申请加入湛江市中小企业志愿服务专家库", "Re: 报名表（已补充完整）"),
                      body_text="您好：\n报名表见附件。\n谢谢！\n此致\n敬礼\n")

    assert name_candidates(facts) == {}


def test_names_in_the_quoted_earlier_message_are_not_the_applicants():
    body = "已补充，请查收。\n\n------------------ 原始邮件 ------------------\n李娜\n"

    adjusted = second_opinion(ocr_form("李浩"), body_text=body)

    assert adjusted.needs_review == []


def test_a_near_miss_that_is_no_persons_name_is_ignored():
    # "珂珂" is one character from "伍珂", but no name starts with 珂: a nickname, not a misread.
    adjusted = second_opinion(ocr_form("伍珂"), subjects=("珂珂的报名表",))

    assert check_surname("珂珂") and adjusted.needs_review == []


# ---------------------------------------------------------------- a doubtful reading settled

def test_a_name_doubted_only_for_its_ocr_confidence_is_settled_by_the_senders_identical_name():
    doubtful = ocr_form("冼浩", confidence=0.5)
    doubtful.needs_review = ["name"]
    doubtful.warnings = ["“姓名”识别把握不大（置信度 0.62），请对照原件核对"]

    adjusted = second_opinion(doubtful, sender_name="冼浩")

    assert adjusted.needs_review == []
    assert adjusted.confidence["name"] == 0.95
    assert adjusted.warnings == ["姓名“冼浩”识别把握不大，但与发件人一致，已采信"]


def test_an_unlisted_surname_is_settled_by_the_applicants_own_filename():
    rare = ocr_form("仉伟", confidence=0.5)
    rare.needs_review = ["name"]
    rare.warnings = check_surname("仉伟")
    assert rare.warnings  # the parser's doubt

    adjusted = second_opinion(rare, filename="仉伟-报名表.pdf")

    assert adjusted.needs_review == []


@pytest.mark.parametrize("other_reason", [
    "“姓名”一栏似乎连带读入了下方的承诺声明，已截去，请对照原件核对",
    "此表似为手写填写（4 栏无法识别），所有识别结果均请对照原件核对",
    "姓名“冼浩”只识别出部分字符，请对照原件核对",
])
def test_a_name_flagged_for_anything_else_stays_flagged(other_reason):
    doubtful = ocr_form("冼浩", confidence=0.5)
    doubtful.needs_review = ["name"]
    doubtful.warnings = ["“姓名”识别把握不大（置信度 0.62），请对照原件核对", other_reason]

    adjusted = second_opinion(doubtful, sender_name="冼浩")

    assert adjusted.needs_review == ["name"]
    assert adjusted.confidence["name"] == 0.5
    assert adjusted.warnings == doubtful.warnings


# ---------------------------------------------------------------- county

def test_an_address_in_the_same_county_makes_the_county_surer():
    form = ocr_form(None, confidence=0.8, county="霞山区", address="广东省湛江市霞山区人民大道中12号")

    adjusted = second_opinion(form)

    assert adjusted.confidence["county"] == 0.95 and adjusted.needs_review == []


@pytest.mark.parametrize("county, address", [
    ("湛江经济技术开发区", "湛江开发区乐山路118号"),
    ("遂溪县", "遂溪县城北大道3号"),
    ("赤坎区", "湛江市赤坎区霞山路3号"),  # a street named after another county is a street
])
def test_the_address_may_name_the_county_short_or_through_a_street(county, address):
    adjusted = second_opinion(ocr_form(None, confidence=0.8, county=county, address=address))

    assert adjusted.confidence["county"] == 0.95 and adjusted.needs_review == []


def test_an_address_in_another_county_flags_the_county_with_both_and_the_id_region():
    form = ocr_form(None, county="霞山区", address="湛江市赤坎区康宁路26号", id_number=an_id("440823"))

    adjusted = second_opinion(form)

    assert adjusted.needs_review == ["county"]
    assert adjusted.warnings == [
        "所在县（市、区）填写为“霞山区”，但通讯地址中为“赤坎区”（身份证号码归属地为“遂溪县”），请核对"]


def test_an_id_registered_elsewhere_is_no_error_birthplace_is_not_workplace():
    form = ocr_form(None, confidence=0.8, county="霞山区", id_number=an_id("440823"))

    adjusted = second_opinion(form)

    assert adjusted.needs_review == [] and adjusted.warnings == []
    assert adjusted.confidence["county"] == 0.8


def test_an_id_registered_in_the_same_county_makes_it_surer():
    adjusted = second_opinion(ocr_form(None, confidence=0.8, county="雷州市", id_number=an_id("440882")))

    assert adjusted.confidence["county"] == 0.95


def test_an_address_naming_two_counties_gives_no_opinion():
    form = ocr_form(None, confidence=0.8, county="麻章区", address="遂溪县杨柑镇，现居霞山区")

    adjusted = second_opinion(form)

    assert adjusted.needs_review == [] and adjusted.confidence["county"] == 0.8


def test_a_missing_county_gets_the_address_and_id_counties_as_a_hint_for_staff():
    form = ocr_form(None, address="广东省湛江市霞山区海滨大道南16号", id_number=an_id("440802"))

    adjusted = second_opinion(form)

    assert adjusted.needs_review == []
    assert adjusted.warnings == ["所在县（市、区）未填写；供参考：通讯地址在“霞山区”，身份证号码归属地为“赤坎区”"]


def test_a_flagged_county_gets_the_hint_but_stays_flagged_and_unsure():
    form = ocr_form(None, county="霞山区", id_number=an_id("440803"))
    form.needs_review, form.confidence["county"] = ["county"], 0.5

    adjusted = second_opinion(form)

    assert adjusted.needs_review == ["county"] and adjusted.confidence["county"] == 0.5
    assert adjusted.warnings == ["所在县（市、区）需核对；供参考：身份证号码归属地为“霞山区”"]


def test_a_doubtful_id_gives_no_hint():
    form = ocr_form(None, id_number=an_id("440803"))
    form.needs_review = ["id_number"]

    assert second_opinion(form).warnings == []


# ---------------------------------------------------------------- the mail's facts

def test_a_form_forwarded_inside_another_mail_is_checked_against_both_subjects():
    original = emails.netease_mail(sender_name="梁伟", sender_address="lw@163.com", subject="梁伟的专家报名表",
                                   body="请帮我转交。", attachments=[("报名表.docx", b"PK")])
    raw = emails.forwarded_mail(original, sender_name="人事部", sender_address="hr@example.com",
                                subject="转发：专家报名表", body="转发一份报名表。")
    mail = parse_mail(raw)
    [attachment] = mail.attachments

    facts = mail_facts(mail, attachment)

    assert facts.sender_name == "人事部"
    assert name_candidates(facts)["梁伟"] == ["邮件主题"]
