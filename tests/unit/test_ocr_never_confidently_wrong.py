"""A scan or photo of a form nobody here has seen: what OCR gets wrong
without a doubt is either put right or sent to review, never passed on.

Each test is one failure seen on forms drawn at random from the layout
space (``devtools.samples.layouts``): a date range's dash read as the
numeral 一, a rare character read as its common look-alike by both
engines, an answer kept inside its fill-in brackets, tick boxes that could
not be seen leaving the printed option list as the "choice", and a photo
of a paragraph form whose lines ran together into one.
"""
from __future__ import annotations

import numpy as np
import pytest

from parsers.ocr.engines import CONFIRMED, DOUBTED, LineReading, RapidEngine, correct
from parsers.ocr.grid import analyse
from parsers.ocr.page import _loose_lines
from parsers.text.assemble import rows_to_results
from parsers.text.rows import TextRow

TITLE = TextRow(("湛江市中小企业志愿服务专家报名表",))
SERVICE_MODES = ("线上志愿服务", "线下志愿服务", "精准对接")


def scanned_form(*rows, confidences=None):
    """A form as OCR hands it over: table rows with per-cell confidences."""
    confidences = confidences or {}
    base = [("姓名", "张喆", "性别", "男"), ("身份证号码", "440804197407024913", "出生年月", "1974年7月"),
            ("所在县（市、区）", "赤坎区", "手机号码", "13309897541")]
    cells = [*base, *rows]
    table = [TextRow(tuple(row), True, False, number == 0, confidences.get(number - len(base)))
             for number, row in enumerate(cells)]
    return rows_to_results([TITLE, *table], "ocr-test", review_below=0.8)[0]


class _SecondReader:
    """Tesseract as the second opinion: reads every cell as ``text``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read_cells(self, items):
        return [(self.text, 0.9) for _ in items]


def rapid_reading(monkeypatch, chars: list[tuple[str, float]], second_text: str):
    """A RapidOCR engine that reads any cell as ``chars`` (character, probability)."""
    engine = RapidEngine(second_opinion=True, second=_SecondReader(second_text))
    text = "".join(ch for ch, _ in chars)
    reading = LineReading(text, float(np.mean([p for _, p in chars])), [p for _, p in chars])
    monkeypatch.setattr(engine, "recognise_chars", lambda crops: [reading] * len(crops))
    monkeypatch.setattr(engine, "recognise_wide", lambda crops: [reading] * len(crops))  # a name read the same
    cell = np.full((40, 160), 255, np.uint8)
    cell[10:30, 10:150] = 0
    return engine, cell


# ---- dates in the work history ---------------------------------------------------------

def test_a_dash_between_two_years_read_as_the_numeral_one_is_a_dash_again():
    assert correct("2012年一2019年　深圳某科技公司", "chinese") == "2012年—2019年　深圳某科技公司"
    assert correct("2012.03－2019.05 湛江某外贸公司", "chinese") == "2012.03—2019.05 湛江某外贸公司"
    assert correct("1993 一 1998", "chinese") == "1993—1998"


def test_the_numeral_one_in_a_date_is_left_alone():
    assert correct("2019年一月至今", "chinese") == "2019年一月至今"
    assert correct("二〇一九年一月", "chinese") == "二〇一九年一月"


# ---- a rare character read as its common look-alike -----------------------------------

def test_both_engines_agreeing_on_a_very_unsure_character_is_no_confirmation(monkeypatch):
    # 每季度 read 每李度 by both: RapidOCR was far from sure of 李.
    engine, cell = rapid_reading(monkeypatch, [("每", 0.98), ("李", 0.69), ("度", 0.99)], "每李度")
    assert engine.read_cells([(cell, "chinese")])[0] == ("每李度", DOUBTED)


def test_agreement_on_a_mildly_doubtful_character_still_confirms_it(monkeypatch):
    engine, cell = rapid_reading(monkeypatch, [("熟", 0.99), ("悉", 0.9), ("外", 0.99)], "熟悉外")
    assert engine.read_cells([(cell, "chinese")])[0] == ("熟悉外", CONFIRMED)


def test_a_doubtful_character_in_a_name_is_doubted_even_when_both_engines_agree(monkeypatch):
    # 庞彧 read 庞或 by both engines: rare characters are common in names.
    engine, cell = rapid_reading(monkeypatch, [("庞", 0.99), ("或", 0.92)], "庞或")
    assert engine.read_cells([(cell, "chinese")])[0][1] == CONFIRMED  # not yet known to be a name
    text, confidence = engine.read_cells([(cell, "name")])[0]
    assert text == "庞或" and confidence <= DOUBTED
    result = scanned_form(confidences={})
    assert "name" not in result.needs_review  # a name read surely stays trusted


def test_a_name_read_surely_is_not_doubted(monkeypatch):
    engine, cell = rapid_reading(monkeypatch, [("庞", 0.99), ("伟", 0.99)], "xx")
    engine.read_cells([(cell, "chinese")])
    assert engine.read_cells([(cell, "name")])[0] == ("庞伟", pytest.approx(0.99))


# ---- fill-in brackets ------------------------------------------------------------------

def test_an_answer_written_inside_the_fill_in_brackets_loses_them_in_a_scan():
    result = scanned_form(("学历", "[硕士研究生］", "职务", "（部门经理）"), ("民族", "（汉）", "政治面貌", "(九三学社社员)"))
    assert result.fields["education"] == "硕士研究生"
    assert result.fields["position"] == "部门经理"
    assert result.fields["ethnicity"] == "汉族"
    assert result.fields["political_status"] == "九三学社社员"
    assert any("括号" in warning for warning in result.warnings)


def test_brackets_inside_an_answer_stay():
    result = scanned_form(("工作单位", "湛江蓝海会计师事务所（普通合伙）", "职务", "执行董事"))
    assert result.fields["employer"] == "湛江蓝海会计师事务所（普通合伙）"


# ---- tick boxes that could not be seen -------------------------------------------------

def test_every_option_named_without_a_readable_mark_is_the_printed_list_and_goes_to_review():
    result = scanned_form(("服务形式", "线上志愿服务", "X线下志愿服务", "X精准对接"))
    assert result.fields["service_modes"] == list(SERVICE_MODES)
    assert "service_modes" in result.needs_review
    assert any("未能识别出勾选标记" in warning for warning in result.warnings)


def test_an_option_named_in_a_cell_ocr_was_unsure_of_goes_to_review():
    # "行业展": the option list of a photo, read badly, looks like a choice of 行业发展.
    result = scanned_form(("专业领域", "行业展"), confidences={0: (1.0, 0.6)})
    assert result.fields["expertise"] == ["行业发展"]
    assert "expertise" in result.needs_review


def test_a_choice_written_out_plainly_and_read_surely_is_trusted():
    result = scanned_form(("服务形式", "线上、精准对接"))
    assert result.fields["service_modes"] == ["线上志愿服务", "精准对接"]
    assert "service_modes" not in result.needs_review


# ---- a photo of a form in paragraphs ---------------------------------------------------

def _paragraph_page(*, edge_stroke: bool, grain: bool) -> np.ndarray:
    page = np.full((1200, 900), 255, np.uint8)
    for number in range(8):  # eight lines of "text": blocks of strokes 24 px high, 16 px apart
        top = 100 + number * 40
        for x in range(80, 700, 30):
            page[top:top + 24, x:x + 6] = 0
            page[top + 10:top + 14, x:x + 22] = 0
    if edge_stroke:  # the sheet's ragged edge, or a shadow left down the side by cutting a photo out
        for y in range(1200):
            x = 840 + y // 80
            page[y, x:x + 3] = 0
    if grain:  # a photo's noise in a dark corner
        rng = np.random.default_rng(1)
        for _ in range(4000):
            y, x = rng.integers(1000, 1180), rng.integers(50, 850)
            page[y:y + 2, x:x + 3] = 0
    return page


@pytest.mark.parametrize("edge_stroke, grain", [(False, False), (True, False), (False, True), (True, True)])
def test_lines_of_a_paragraph_form_stay_apart_despite_the_sheets_edge_and_grain(edge_stroke, grain):
    page = analyse(_paragraph_page(edge_stroke=edge_stroke, grain=grain))
    tops = [top for top, _boxes in _loose_lines(page)]
    assert len([top for top in tops if top < 500]) == 8, tops


def test_an_email_whose_q_no_word_would_have_is_sent_to_review():
    from parsers.text.checks import check_email_letters

    assert check_email_letters("zhanqwei20@126.com") and check_email_letters("linqinq3@139.com")
    # Pinyin and English put u or i after q: these are read as written.
    assert check_email_letters("qingqiu88@qq.com") == [] and check_email_letters("quentin@163.com") == []


def test_a_line_of_nothing_but_marks_is_no_part_of_a_cells_text():
    from parsers.ocr.engines.readings import is_stray_marks

    assert is_stray_marks("■■") and is_stray_marks("1") and is_stray_marks("「 |")
    assert not is_stray_marks("理。") and not is_stray_marks("。") and not is_stray_marks("）") and not is_stray_marks("国")


def test_the_radical_that_looks_like_an_enumeration_comma_is_read_as_the_comma():
    from parsers.ocr.engines.readings import correct

    assert correct("熟悉行业发展、科技创新丶企业管理等业务", "chinese") == "熟悉行业发展、科技创新、企业管理等业务"
