"""Second opinions on a name, and the county an ID number was issued in.

OCR drops a rare character or reads it as its common look-alike, and says
nothing: 冼浩 comes out as 冼, 冼 as 洗. What the name itself tells — its
length, its surname, a character the recogniser skipped — sends it to
review. The county an ID was issued in is a second opinion for the
pipeline, never a reason for review on its own.
"""
from __future__ import annotations

import numpy as np

from parsers.ocr.engines import DOUBTED, LineReading, RapidEngine
from parsers.text.assemble import rows_to_results
from parsers.text.checks import county_for_id
from parsers.text.rows import TextRow

TITLE = TextRow(("湛江市中小企业志愿服务专家报名表",))
ID_IN_CHIKAN = "440802197407024919"


def form(name: str, *, county: str = "赤坎区", id_number: str = "440804197407024913", name_confidence: float = 1.0):
    rows = [
        ("姓名", name, "性别", "男"),
        ("身份证号码", id_number, "出生年月", "1974年7月"),
        ("所在县（市、区）", county, "手机号码", "13309897541"),
    ]
    confidences = {0: (1.0, name_confidence, 1.0, 1.0)}
    return [TITLE, *[TextRow(cells, True, False, number == 0, confidences.get(number))
                     for number, cells in enumerate(rows)]]


def read_by_ocr(rows):
    return rows_to_results(rows, "ocr-test", review_below=0.8)[0]


def read_from_word(rows):
    return rows_to_results(rows, "docx")[0]


def test_a_one_character_name_goes_to_review_whatever_the_format():
    for result in (read_by_ocr(form("冼")), read_from_word(form("冼"))):
        assert result.fields["name"] == "冼"
        assert "name" in result.needs_review
        assert any("只有一个字" in warning for warning in result.warnings)


def test_a_long_name_without_a_middle_dot_goes_to_review():
    result = read_from_word(form("张喆赤坎区人"))
    assert "name" in result.needs_review
    assert any("没有间隔号" in warning for warning in result.warnings)


def test_ordinary_names_pass():
    for name in ("张喆", "欧阳婧婷", "阿卜杜·热合曼", "Zhang Zhe"):
        assert "name" not in read_from_word(form(name)).needs_review, name
    assert "name" not in read_by_ocr(form("冼浩")).needs_review


def test_an_ocr_name_with_an_unknown_surname_goes_to_review():
    result = read_by_ocr(form("洗浩"))  # 冼 read as its common look-alike
    assert "name" in result.needs_review
    assert any("姓氏“洗”不常见" in warning for warning in result.warnings)
    assert "name" not in read_from_word(form("洗浩")).needs_review  # typed: the applicant's own spelling


def test_a_character_the_recogniser_skipped_sends_the_name_to_review(monkeypatch):
    # Three characters of ink (冼浩然); the recogniser reads two, with full confidence.
    cell = np.full((50, 190), 255, np.uint8)
    for left in (20, 80, 140):
        cell[10:40, left:left + 30] = 0
    engine = RapidEngine(second_opinion=False)
    monkeypatch.setattr(engine, "recognise_chars", lambda crops: [
        LineReading("冼浩", 0.99, [0.99, 0.99], centres=[23.0, 83.0]) for _ in crops])
    monkeypatch.setattr(engine, "recognise_wide", engine.recognise_chars)  # the wide recogniser reads it the same
    [(text, confidence)] = engine.read_cells([(cell, "chinese")])
    assert text == "冼浩" and confidence <= DOUBTED
    result = read_by_ocr(form(text, name_confidence=confidence))
    assert "name" in result.needs_review
    assert any("“姓名”识别把握不大" in warning for warning in result.warnings)


def test_the_county_an_id_number_was_issued_in():
    assert county_for_id(ID_IN_CHIKAN) == "赤坎区"
    assert county_for_id("440881198001010011") == "廉江市"
    assert county_for_id("440883198001010011") == "吴川市"
    assert county_for_id("110101198001010011") is None  # issued outside Zhanjiang
    assert county_for_id("4408") is None and county_for_id("") is None


def test_a_county_other_than_the_ids_is_no_reason_for_review():
    # Born in Chikan, working in the development zone: both are right.
    result = read_from_word(form("张喆", county="开发区", id_number=ID_IN_CHIKAN))
    assert result.fields["county"] == "湛江经济技术开发区"
    assert "county" not in result.needs_review
