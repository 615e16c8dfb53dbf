"""Labels recognised by what they mean: forms written by others use wordings
nobody listed, join two fields under one label, and carry labels this form
does not have. None of that may end up inside an answer unnoticed."""
from __future__ import annotations

import io

import pytest
from docx import Document

from parsers import parse
from parsers.text.checks import id_check_char
from parsers.text.label_text import IGNORED, label_key_text
from parsers.text.labels import label_index
from parsers.text.composite_answers import split_composite
from parsers.text.pairs import read_pairs
from parsers.text.rows import TextRow

TITLE = "湛江市中小企业志愿服务专家报名表"
GOOD_ID = "44080219780512001" + id_check_char("44080219780512001")  # a man born 1978-05

# Wordings of every field that form_schema.yaml does not list.
UNSEEN_WORDINGS = [
    ("专家姓名", "name"), ("名字", "name"), ("申请人性别", "gender"), ("生日", "birth_date"),
    ("民族成分", "ethnicity"), ("党派", "political_status"), ("文化程度", "education"),
    ("学位（最高）", "degree"), ("专业技术职务", "title"), ("身份证件号码", "id_number"),
    ("证件号码", "id_number"), ("就职单位", "employer"), ("行政职务", "position"), ("职位", "position"),
    ("区县（市）", "county"), ("县（市、区）", "county"), ("所属区域", "county"), ("地区", "county"),
    ("移动电话号码", "mobile"), ("联系方式", "mobile"), ("座机", "office_phone"),
    ("电子邮件地址", "email"), ("邮箱地址", "email"), ("家庭住址", "address"), ("单位地址", "address"),
    ("擅长方向", "expertise"), ("专业方向", "expertise"), ("志愿服务形式", "service_modes"),
    ("业务专长", "specialty"), ("个人履历", "experience"), ("学习和工作经历", "experience"),
    ("辅导企业情况", "achievements"), ("服务企业案例", "achievements"), ("可服务时间", "available_time"),
    ("空闲时间", "available_time"), ("填报日期", "fill_date"), ("申请日期", "fill_date"),
    ("专长及研究方向", "specialty"), ("业绩及获奖情况（限300字）", "achievements"), ("获奖情况", "achievements"),
]


def docx(rows=(), paragraphs=(), after=()):
    document = Document()
    document.add_paragraph(TITLE)
    for text in paragraphs:
        document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
    for text in after:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def only(results):
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("wording,key", UNSEEN_WORDINGS)
def test_a_wording_nobody_listed_is_read_by_its_key_terms(wording, key):
    assert label_key_text(wording) not in label_index().by_text  # not a listed wording
    assert label_index().match(wording) == key


@pytest.mark.parametrize("answer", [
    "硕士学位", "本科学历", "大学本科", "霞山区", "湛江市赤坎区", "遂溪县城月镇", "高级工程师", "中共党员",
    "无党派人士", "汉族", "总经理", "湛江南海智造科技有限公司", "周末及节假日", "线上志愿服务", "企业管理",
    "张喆", "男",
])
def test_an_answer_holding_a_key_term_is_not_a_label(answer):
    assert label_index().match(answer) is None


@pytest.mark.parametrize("wording,keys", [
    ("学历/学位", ("education", "degree")), ("学历学位", ("education", "degree")),
    ("学历、学位", ("education", "degree")), ("工作单位及职务", ("employer", "position")),
    ("单位/职务", ("employer", "position")), ("手机/办公电话", ("mobile", "office_phone")),
])
def test_a_composite_label_names_each_of_its_fields(wording, keys):
    assert label_index().read(wording).keys == keys


@pytest.mark.parametrize("wording", ["单位电话", "电子邮件地址", "专业技术职称", "创业或辅导企业经历", "出生年月"])
def test_a_single_field_wording_is_not_taken_for_two(wording):
    assert not label_index().read(wording).is_composite


@pytest.mark.parametrize("wording", ["申请人签字", "单位意见", "推荐单位意见", "（近期二寸照片）", "贴照片处", "签名日期"])
def test_the_forms_furniture_is_ignored_not_read_as_a_field(wording):
    assert label_index().match(wording) == IGNORED


@pytest.mark.parametrize("wording", ["籍贯", "婚姻状况", "毕业院校", "入党日期", "参加工作时间"])
def test_labels_this_form_does_not_ask_are_still_labels(wording):
    label = label_index().read(wording)
    assert label is not None and label.unknown
    assert label_index().match(wording) is None


def test_inline_labels_are_found_by_meaning_after_whitespace_or_at_line_start():
    text = "区县（市）：霞山区　个人履历：2001年起任会计\n辅导企业情况：20家"
    hits = label_index().find_labels(text)
    assert [(hit.label.key, hit.text) for hit in hits] == [
        ("county", "区县（市）"), ("experience", "个人履历"), ("achievements", "辅导企业情况")]


def test_a_listed_wording_still_splits_a_value_glued_to_the_next_label():
    found = label_index().find_inline("张喆性别:男")
    assert [key for key, _, _ in found] == ["gender"]


def test_a_form_in_wordings_nobody_listed_reads_every_field():
    result = only(parse("报名表.docx", docx([
        ["专家姓名", "张喆", "性　别", "男"],
        ["生日", "1978年5月", "文化程度", "大学本科"],
        ["身份证件号码", GOOD_ID, "区县（市）", "霞山区"],
        ["就职单位", "湛江鼎信税务师事务所", "行政职务", "总经理"],
        ["移动电话号码", "13800138000", "电子邮件地址", "zz@163.com"],
        ["擅长方向", "☑财税 □会计", "", ""],
        ["业务专长", "税务筹划", "", ""],
        ["个人履历", "2001年至2010年任会计。", "", ""],
        ["辅导企业情况", "辅导企业20家", "", ""],
        ["可服务时间", "周末", "填报日期", "2020年9月7日"],
    ])))
    assert result.fields == {
        "name": "张喆", "gender": "男", "birth_date": "1978-05", "education": "大学本科",
        "id_number": GOOD_ID, "employer": "湛江鼎信税务师事务所", "position": "总经理", "county": "霞山区",
        "mobile": "13800138000", "email": "zz@163.com", "expertise": ["财税"], "specialty": "税务筹划",
        "experience": "2001年至2010年任会计。", "achievements": "辅导企业20家", "available_time": "周末",
        "fill_date": "2020-09-07",
    }
    assert result.needs_review == [] and result.warnings == []


def test_composite_labels_split_their_answer_in_cells_and_inline():
    result = only(parse("报名表.docx", docx(
        rows=[["姓名", "张喆", "学历/学位", "本科/学士"], ["工作单位及职务", "湛江鼎信税务师事务所　　总经理", "", ""]],
        after=["学历学位：硕士研究生、硕士", "单位/职务：广东湛海律师事务所　合伙人", "所属区域：霞山"],
    )))
    assert result.fields["education"] == "本科" and result.fields["degree"] == "学士"
    assert result.fields["employer"] == "湛江鼎信税务师事务所" and result.fields["position"] == "总经理"
    assert "education" in result.needs_review  # written twice, differently: 本科 and 硕士研究生
    assert "employer" in result.needs_review


@pytest.mark.parametrize("value,count,parts", [
    ("本科/学士", 2, ["本科", "学士"]), ("某公司　总经理", 2, ["某公司", "总经理"]),
    ("湛江 某某 有限公司　　经理", 2, ["湛江 某某 有限公司", "经理"]), ("本科、学士", 2, ["本科", "学士"]),
    ("某公司\n总经理", 2, ["某公司", "总经理"]), ("本科", 2, None), ("某 公司 经理", 2, None),
])
def test_a_composite_answer_splits_on_its_separator_or_widest_gap(value, count, parts):
    assert split_composite(value, count) == parts


def test_a_composite_answer_that_does_not_split_goes_to_each_field_for_review():
    result = only(parse("报名表.docx", docx(paragraphs=[
        "姓名：张喆", "学历/学位：本科", "所在县（市、区）：霞山", "专业领域：☑财税"])))
    assert result.fields["education"] == "本科" and result.fields["degree"] == "本科"
    assert result.needs_review == ["education", "degree"]
    assert any("未能分成" in warning for warning in result.warnings)


@pytest.mark.parametrize("value,employer,position", [
    ("广东海洋大学副院长", "广东海洋大学", "副院长"),
    ("湛江南海智造科技有限公司总经理", "湛江南海智造科技有限公司", "总经理"),
])
def test_two_answers_run_together_split_after_the_first_fields_own_word(value, employer, position):
    pairs = {pair.key: pair for pair in read_pairs([TextRow(("工作单位及职务", value), in_table=True)])}
    assert (pairs["employer"].raw, pairs["position"].raw) == (employer, position)
    assert pairs["employer"].review_reason is None


def test_an_unknown_label_ends_the_answer_before_it_and_is_reported():
    result = only(parse("报名表.docx", docx([
        ["姓名", "张喆", "籍贯", "广东湛江"],
        ["民族", "汉族", "婚姻状况", "已婚"],
        ["性别", "男", "所在县（市、区）", "霞山"],
    ], after=["政治面貌：群众　　毕业院校：广东海洋大学", "专业领域：☑财税"])))
    assert result.fields["name"] == "张喆" and result.fields["ethnicity"] == "汉族"
    assert result.fields["political_status"] == "群众"
    assert "广东" not in str(result.fields) and "已婚" not in str(result.fields)
    for label in ("籍贯", "婚姻状况", "毕业院校"):
        assert f"未识别的栏目“{label}”已忽略" in result.warnings
    assert result.needs_review == []


def test_a_heading_inside_a_long_answer_stays_in_it():
    result = only(parse("报名表.docx", docx(paragraphs=[
        "姓名：张喆", "所在县（市、区）：霞山", "专业领域：☑财税",
        "主要工作经历：2001年至2010年任会计。", "主要职责：财务核算与税务申报。"])))
    assert result.fields["experience"] == "2001年至2010年任会计。\n主要职责：财务核算与税务申报。"
    assert result.warnings == []


def test_a_signature_line_after_the_last_field_is_not_part_of_the_answer():
    result = only(parse("报名表.docx", docx(paragraphs=[
        "姓名：张喆", "所在县（市、区）：霞山", "专业领域：☑财税",
        "可提供志愿服务时间：周末及节假日", "申请人签字：", "填表日期：2020年9月7日"])))
    assert result.fields["available_time"] == "周末及节假日"
    assert result.fields["fill_date"] == "2020-09-07"
    assert result.needs_review == [] and result.warnings == []


def test_a_signature_in_the_answers_cell_is_cut_off_with_a_warning():
    result = only(parse("报名表.docx", docx([
        ["姓名", "张喆", "所在县（市、区）", "霞山"],
        ["专业领域", "☑财税", "", ""],
        ["可提供志愿服务时间", "周末及节假日\n\n申请人签字　　　年　月　日", "", ""],
    ])))
    assert result.fields["available_time"] == "周末及节假日"
    assert result.needs_review == []
    assert any("签名" in warning and "可提供志愿服务时间" in warning for warning in result.warnings)


def test_a_photo_cell_beside_the_name_is_not_part_of_any_answer():
    result = only(parse("报名表.docx", docx([
        ["姓名", "张喆", "性别", "男", "（近期二寸照片）"],
        ["出生年月", "1978年5月", "民族", "汉族", ""],
        ["所在县（市、区）", "霞山", "专业领域", "☑财税", ""],
    ])))
    assert result.fields["name"] == "张喆" and result.fields["gender"] == "男"
    assert result.needs_review == [] and result.warnings == []


def test_another_fields_label_left_inside_an_answer_sends_it_to_review():
    rows = [TextRow(("工作单位：湛江鼎信税务师事务所 职称 高级会计师",))]
    pair = next(pair for pair in read_pairs(rows) if pair.key == "employer")
    assert pair.review_reason and "职称" in pair.review_reason


@pytest.mark.parametrize("wording,keys", [
    ("学历（学位）", ("education", "degree")),  # a note naming another field
    ("出生年月（年龄）", ("birth_date", IGNORED)),  # a part this form does not ask
    ("出生年月/年龄", ("birth_date", IGNORED)),
])
def test_a_note_or_part_naming_another_field_makes_a_composite(wording, keys):
    assert label_index().read(wording).keys == keys


@pytest.mark.parametrize("wording,key", [
    ("联系电话（办公）", "office_phone"), ("联系电话（手机）", "mobile"), ("证件号码（身份证）", "id_number"),
    ("个人履历（从参加工作写起）", "experience"), ("专业特长（限200字）", "specialty"),
])
def test_a_bracketed_note_says_which_field_is_meant_or_is_only_an_instruction(wording, key):
    assert label_index().match(wording) == key


def test_labels_without_colons_set_off_by_spaces_in_one_line():
    result = only(parse("报名表.docx", docx(paragraphs=[
        "专家姓名　张喆　　性别　男", "出生年月/年龄　1990/12/02/34岁", "学历（学位）　大学本科（学士）",
        "所属区域　霞山", "岗位/职务　（ 主任 ）", "族别　【汉族】", "专业领域　☑财税"])))
    assert result.fields["name"] == "张喆" and result.fields["gender"] == "男"
    assert result.fields["birth_date"] == "1990-12"
    assert result.fields["education"] == "大学本科" and result.fields["degree"] == "学士"
    assert result.fields["county"] == "霞山区" and result.fields["position"] == "主任"
    assert result.fields["ethnicity"] == "汉族"
    assert result.needs_review == []


def test_a_label_row_over_its_answer_row():
    result = only(parse("报名表.docx", docx([
        ["姓名", "张喆", "所在县（市、区）", "霞山"],
        ["专业领域", "☑财税", "", ""],
        ["专长及研究方向", "", "", ""],
        ["熟悉财税筹划。", "", "", ""],
        ["服务中小企业业绩", "", "", ""],
        ["辅导企业20家。", "", "", ""],
    ])))
    assert result.fields["specialty"] == "熟悉财税筹划。"
    assert result.fields["achievements"] == "辅导企业20家。"


def test_one_answer_to_a_composite_label_goes_to_the_field_it_can_answer():
    # A 大专 confers no degree: "学历学位：大专" gives the education only.
    result = only(parse("报名表.docx", docx(rows=[["姓名", "张喆", "学历学位", "大专"]])))
    assert result.fields["education"] == "大专"
    assert "degree" not in result.fields and result.needs_review == []
    # 硕士 may be either: both fields show it, for staff to divide.
    result = only(parse("报名表.docx", docx(rows=[["姓名", "张喆", "学历学位", "硕士"]])))
    assert {"education", "degree"} <= set(result.needs_review)
