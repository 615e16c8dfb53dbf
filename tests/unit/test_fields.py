"""Normalisers and pure checks."""
from __future__ import annotations

import pytest

from parsers.text import checks
from parsers.text.fields import normalise, validate
from parsers.text.labels import label_index
from parsers.schema import load_schema
from parsers.text.ticked_options import read_ticks

SCHEMA = load_schema()


def norm(key, raw):
    return normalise(SCHEMA.spec_for(key), raw)


def test_schema_loads_typed_fields():
    assert SCHEMA.required_keys == ["name", "gender", "id_number", "employer", "county",
                                    "mobile", "email", "expertise", "specialty"]
    assert SCHEMA.label_for("county") == "所在县（市、区）"
    assert SCHEMA.spec_for("birth_date").synonyms == ("出生日期", "出生年月日")
    assert len(SCHEMA.fields) == 23


@pytest.mark.parametrize("text,key", [
    ("姓名", "name"), ("姓　　名", "name"), ("姓 名：", "name"), ("*姓名:", "name"),
    ("出生日期", "birth_date"), ("公民身份号码", "id_number"), ("E-mail", "email"),
    ("e-mail：", "email"), ("所在县(市、区)", "county"), ("专业领域（可多选）", "expertise"),
    ("联系\n电话", "mobile"), ("照片", "-"), ("张喆", None), ("", None),
])
def test_label_matching(text, key):
    assert label_index().match(text) == key


def test_inline_labels_with_both_colons():
    found = label_index().find_inline("姓　　名：张喆　　性别:男")
    assert [key for key, _, _ in found] == ["name", "gender"]


@pytest.mark.parametrize("raw,expected", [
    ("1978年5月", "1978-05"), ("1978.05", "1978-05"), ("1978-5", "1978-05"),
    ("1978/05/12", "1978-05"), ("197805", "1978-05"), ("１９７８年５月", "1978-05"), ("  年  月", None),
])
def test_birth_month(raw, expected):
    assert norm("birth_date", raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("2020年9月15日", "2020-09-15"), ("2020.9.15", "2020-09-15"), ("20200915", "2020-09-15"),
    ("二〇二〇年九月十五日", "2020-09-15"), ("    年    月    日", None),
])
def test_fill_date(raw, expected):
    assert norm("fill_date", raw) == expected


def test_id_number_cleanup_and_checksum():
    assert norm("id_number", "440802 19780512 001x") == "44080219780512001X"
    first17 = "44080219780512001"
    good = first17 + checks.id_check_char(first17)
    assert checks.check_id_number(good) == []
    bad = first17 + ("0" if good[-1] != "0" else "1")
    assert "校验位" in checks.check_id_number(bad)[0]
    assert checks.check_id_number("11010519491231002X") == []  # the GB 11643 example
    assert checks.check_id_number("440802197805") != []


def test_id_agreement_with_birth_and_gender():
    first17 = "44080219780512001"  # odd 17th digit: a man
    number = first17 + checks.id_check_char(first17)
    assert checks.id_gender(number) == "男"
    assert checks.check_id_agrees(number, "1978-05", "男") == []
    problems = checks.check_id_agrees(number, "1979-05", "女")
    assert len(problems) == 2 and "出生年月" in problems[0] and "性别" in problems[1]


@pytest.mark.parametrize("raw,expected,ok", [
    ("138 0013 8000", "13800138000", True), ("+86 13800138000", "13800138000", True),
    ("12800138000", "12800138000", False), ("1380013800", "1380013800", False),
    ("见备注", "见备注", False),
])
def test_mobile(raw, expected, ok):
    value = norm("mobile", raw)
    assert value == expected
    assert (validate(SCHEMA.spec_for("mobile"), value) == []) is ok


@pytest.mark.parametrize("raw,expected", [
    ("0759-3302096", "0759-3302096"), ("0759 3302096", "0759-3302096"),
    ("(0759)3302096", "0759-3302096"), ("（0759）3302096", "0759-3302096"),
    ("07593302096", "0759-3302096"), ("0759-3302096转8001", "0759-3302096-8001"),
])
def test_office_phone(raw, expected):
    assert norm("office_phone", raw) == expected


def test_email():
    assert norm("email", " ZhangZhe@163.COM ") == "zhangzhe@163.com"


@pytest.mark.parametrize("wrapped,address", [
    ("7146646096@163.co m", "7146646096@163.com"), ("5411198648@foxm ail.com", "5411198648@foxmail.com"),
    ("37365003 34@163.c om", "3736500334@163.com"), ("1502829382@Q Q.COM", "1502829382@qq.com"),
])
def test_an_email_wrapped_in_a_narrow_pdf_cell_comes_back_whole(wrapped, address):
    assert norm("email", wrapped) == address


def test_two_addresses_are_not_glued_into_one():
    assert norm("email", "a@163.com b@qq.com") == "a@163.com b@qq.com"
    assert validate(SCHEMA.spec_for("email"), "a@163.com b@qq.com")
    assert validate(SCHEMA.spec_for("email"), "zhangzhe@163") != []
    assert validate(SCHEMA.spec_for("email"), "zhang.zhe+sme@gd.gov.cn") == []


@pytest.mark.parametrize("raw,expected", [
    ("霞山", "霞山区"), ("霞山区", "霞山区"), ("廉江", "廉江市"), ("开发区", "湛江经济技术开发区"),
    ("经开区", "湛江经济技术开发区"), ("湛江市赤坎区", "赤坎区"), ("广东省湛江市遂溪县", "遂溪县"),
    ("吴川", "吴川市"),
])
def test_county_short_forms(raw, expected):
    assert norm("county", raw) == expected


def test_unknown_county_is_kept_and_flagged():
    assert norm("county", "茂名市") == "茂名市"
    assert validate(SCHEMA.spec_for("county"), "茂名市") != []


def test_small_normalisers():
    assert norm("ethnicity", "汉") == "汉族"
    assert norm("ethnicity", "壮族") == "壮族"
    assert norm("political_status", "党员") == "中共党员"
    assert norm("gender", "☑男 □女") == "男"
    assert norm("gender", "女性") == "女"
    assert norm("name", "张　喆") == "张喆"
    assert norm("name", "____") is None


@pytest.mark.parametrize("text,ticked", [
    ("☑政策解读 □数字化转型 √外贸", ["政策解读", "外贸"]),
    ("□政策解读 ■数字化转型 ✔法律 ✓财税 ☒会计 ▣其他", ["数字化转型", "法律", "财税", "会计", "其他"]),
    ("[√]智能制造 [ ]外贸 (√)法律", ["智能制造", "法律"]),
    ("政策解读（√） 外贸（ ） 财税(√)", ["政策解读", "财税"]),
    ("□政策解读 □数字化转型", []),
])
def test_tick_reading(text, ticked):
    options = SCHEMA.spec_for("expertise").options
    reading = read_ticks(text, options)
    assert reading.has_marks
    assert reading.ticked == ticked


def test_plain_list_without_boxes():
    assert norm("expertise", "财税、会计,政策解读") == ["政策解读", "财税", "会计"]
    assert validate(SCHEMA.spec_for("expertise"), norm("expertise", "区块链")) != []


def test_chinese_text_takes_full_width_brackets_however_it_was_typed_or_read():
    from parsers.text.fields import normalise
    from parsers.schema import load_schema

    employer = load_schema().spec_for("employer")
    for written in ("湛江市粤西会计师事务所(普通合伙)", "湛江市粤西会计师事务所 (普通合伙）", "湛江市粤西会计师事务所（普通合伙）"):
        assert normalise(employer, written) == "湛江市粤西会计师事务所（普通合伙）"
    assert normalise(employer, "ERP (SAP) 咨询") == "ERP (SAP)咨询"  # Latin keeps its brackets


def test_what_ocr_makes_of_zeros_and_letters_is_put_right_where_only_one_reading_is_possible():
    from parsers.text.fields import normalise
    from parsers.schema import load_schema

    schema = load_schema()
    # A top-level domain is letters only; a Chinese-numeral year has no digit 0 in it.
    assert normalise(schema.spec_for("email"), "linqing87@163.c0m") == "linqing87@163.com"
    assert normalise(schema.spec_for("email"), "x@mail10.163.com") == "x@mail10.163.com"
    assert normalise(schema.spec_for("fill_date"), "二0二五年三月十八日") == "2025-03-18"
    assert normalise(schema.spec_for("office_phone"), "( 0759) 217936 0") == "0759-2179360"
    assert normalise(schema.spec_for("gender"), "（男）") == "男"
