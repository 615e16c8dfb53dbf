"""Values cleaned the same way everywhere: the furniture printed around an
answer (underscores, empty brackets, a photo placeholder, the signature and
date line, the declaration) is taken out and reported; the answer is not."""
from __future__ import annotations

import pytest

from parsers.text.cleaning import clean_value
from parsers.text.pairs import read_pairs
from parsers.text.rows import TextRow


@pytest.mark.parametrize("raw,kind,expected", [
    ("__张三__", "name", "张三"),
    ("＿＿＿张三＿＿＿", "name", "张三"),
    ("张三______________", "name", "张三"),
    ("湛江鼎信税务师事务所（　　）", "text", "湛江鼎信税务师事务所"),
    ("张三\n（近期二寸照片）", "name", "张三"),
    ("男　　照片", "gender", "男"),
    ("周末及节假日\n申请人签字：", "longtext", "周末及节假日"),
    ("周末\n签名：　　　　年　月　日", "longtext", "周末"),
    ("湛江鼎信税务师事务所（盖章）", "text", "湛江鼎信税务师事务所"),
    ("周末及节假日 申请人签字：张三　2020年9月7日", "longtext", "周末及节假日"),
    ("每月两天\n年　　月　　日", "longtext", "每月两天"),
])
def test_the_furniture_around_an_answer_is_removed_and_reported(raw, kind, expected):
    cleaned = clean_value(raw, kind)
    assert cleaned.text == expected
    assert cleaned.removed  # a warning says what went


@pytest.mark.parametrize("raw,kind", [
    ("__________", "name"), ("（　　　）", "text"), ("＿＿＿＿", "mobile"),
])
def test_a_blank_left_blank_is_empty_without_a_warning(raw, kind):
    assert clean_value(raw, kind).text == ""
    assert clean_value(raw, kind).removed == []


@pytest.mark.parametrize("raw,kind", [
    ("年　月　日", "day"),  # the date reader finds it empty
    ("男（√）女（ ）", "gender"),  # tick boxes, not blanks
    ("☑财税（ ）会计", "ticks"),
    ("负责合同签字审批工作十余年", "longtext"),  # the word, not a signature line
    ("2001年至2010年任会计。\n主要职责：财务核算", "longtext"),
    ("湛江市粤西会计师事务所（普通合伙）", "text"),
    ("zhang_san@163.com", "email"),  # an underscore inside a word is the word's
])
def test_real_content_is_never_removed(raw, kind):
    cleaned = clean_value(raw, kind)
    assert cleaned.text == raw and cleaned.removed == []


def test_the_declaration_a_cell_ran_into_is_cut_and_marked():
    cleaned = clean_value("周末及节假日本人承诺以上信息真实有效", "longtext")
    assert cleaned.text == "周末及节假日" and cleaned.declaration


def test_removals_become_notes_on_the_pair_in_every_layout():
    rows = [TextRow(("姓名", "__张三__", "性别", "男", "照片"), in_table=True),
            TextRow(("可提供志愿服务时间：周末",)),
            TextRow(("签名：　　　年　月　日",))]
    pairs = {pair.key: pair for pair in read_pairs(rows)}
    assert pairs["name"].raw == "张三"
    assert pairs["name"].notes == ["“姓名”一栏去除了填写用的下划线"]
    assert pairs["gender"].raw == "男" and pairs["gender"].notes == []
    assert pairs["available_time"].raw == "周末"


def test_a_continued_answer_is_cleaned_line_by_line():
    rows = [TextRow(("主要工作经历：",)), TextRow(("2001年至2010年任会计＿＿＿",)),
            TextRow(("2010年至今任财务总监。本人承诺以上信息真实有效。",))]
    pair = next(pair for pair in read_pairs(rows) if pair.key == "experience")
    assert pair.raw == "2001年至2010年任会计\n2010年至今任财务总监。"
    assert pair.doubt  # the declaration was cut: on a scan, the field goes to review


@pytest.mark.parametrize("raw,kind,expected", [
    ("（ 主任 ）", "text", "主任"), ("【汉族】", "ethnicity", "汉族"), ("[ 群众 ]", "political_status", "群众"),
    ("（ 女 ）", "gender", "女"), ("无", "text", ""),
])
def test_an_answer_written_into_the_printed_brackets_is_kept_without_them(raw, kind, expected):
    assert clean_value(raw, kind).text == expected


def test_half_a_fill_in_bracket_is_no_part_of_the_answer():
    from parsers.text.cleaning import clean_value

    assert clean_value("（共青团员", "political_status").text == "共青团员"
    assert clean_value("技术总监）", "text").text == "技术总监"
    assert clean_value("湛江某公司（普通合伙）", "text").text == "湛江某公司（普通合伙）"
    # OCR mixes the widths of one pair of brackets: "[硕士］".
    assert clean_value("[硕士］", "text").text == "硕士"
    # A colon OCR read as dots is no part of the number after it.
    assert clean_value("··（0759) 3631732", "office_phone").text == "（0759) 3631732"


def test_a_composite_answers_second_part_does_not_start_with_the_separator():
    from parsers.text.pairs import read_pairs
    from parsers.text.rows import TextRow

    pairs = {pair.key: pair.raw for pair in read_pairs([TextRow(("学历/学位：本科·管理学学士",))])}
    assert pairs == {"education": "本科", "degree": "管理学学士"}
