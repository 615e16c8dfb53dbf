"""The OCR review policy: a value is right or flagged, never silently wrong.

No OCR runs here: rows with per-cell confidences stand for what the OCR
reader hands over, and the engine's second opinion is faked.
"""
from __future__ import annotations

import numpy as np
import pytest

from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import ParseOptions, parse
from parsers.text.assemble import rows_to_results
from parsers.options import DEFAULT_FIELD_REVIEW_BELOW, DEFAULT_OPTIONS
from parsers.text.rows import TextRow

TITLE = TextRow(("湛江市中小企业志愿服务专家报名表",))


def table(*rows, confidences=None):
    """Table rows; ``confidences``: {row number: per-cell confidences}."""
    confidences = confidences or {}
    return [TextRow(tuple(cells), True, False, number == 0, confidences.get(number)) for number, cells in enumerate(rows)]


BASE = [
    ("姓名", "张喆", "性别", "男"),
    ("身份证号码", "440804197407024913", "出生年月", "1974年7月"),
    ("工作单位", "湛江市鼎信税务师事务所有限公司", "所在县（市、区）", "赤坎区"),
    ("手机号码", "13309897541", "电子邮箱", "zhangzhe97@163.com"),
    ("专业领域", "☑政策解读 □数字化转型 □智能制造 □行业发展 □科技创新 □外贸 □法律 □财税 □会计 □企业管理 □其他"),
    ("服务形式", "☑线上志愿服务 □线下志愿服务 ☑精准对接"),
    ("专业特长", "熟悉政策解读"),
]


def ocr(rows, options=None):
    return rows_to_results([TITLE, *rows], "ocr-test", review_below=(options or DEFAULT_OPTIONS).review_below,
                           options=options)[0]


# ---- options -------------------------------------------------------------------

def test_options_defaults_are_todays_behaviour():
    options = ParseOptions()
    assert options.engine is None and options.review_below == 0.80 and options.second_opinion
    assert options.threshold("mobile") == 0.80  # validated fields: the plain threshold
    assert options.threshold("name") == DEFAULT_FIELD_REVIEW_BELOW["name"] > 0.80
    assert ParseOptions(review_below=0.99).threshold("name") == 0.99  # per-field values only raise it
    assert ParseOptions(review_below=0).threshold("name") == 0  # 0: nothing flagged for doubt


def test_options_are_checked():
    with pytest.raises(ValueError):
        ParseOptions(engine="easyocr")
    with pytest.raises(ValueError):
        ParseOptions(review_below=1.5)
    assert ParseOptions(engine="both").engine == "both"


def test_docx_reads_the_same_with_any_options():
    applicant = sample_applicants(1)[0]
    data = build_form_docx(applicant, "table4")
    plain = parse("a.docx", data)
    strict = parse("a.docx", data, options=ParseOptions(engine="tesseract", review_below=1.0))
    assert plain[0].fields == strict[0].fields == applicant.expected_fields()
    assert plain[0].needs_review == strict[0].needs_review == []


def test_engine_option_reaches_the_ocr_reader(monkeypatch):
    import parsers.ocr as ocr

    seen = {}

    def fake_read_pages(pages, engine=None, first_starts_page=False, *, options=None):
        seen["options"] = options
        return []

    monkeypatch.setattr(ocr, "read_pages", fake_read_pages)
    monkeypatch.setattr("parsers.ocr.page_images.load_pages", lambda data: [object()])
    assert ocr.read_image(b"x", options=ParseOptions(engine="tesseract", review_below=0.9)) == []
    assert seen["options"].engine == "tesseract" and seen["options"].review_below == 0.9
    ocr.read_image(b"x")
    assert seen["options"].engine == ocr.DEFAULT_ENGINE and seen["options"].review_below == ocr.REVIEW_BELOW


# ---- free text and structured values ------------------------------------------------

def test_clean_ocr_rows_are_trusted():
    result = ocr(table(*BASE, confidences={0: (1.0, 0.99, 1.0, 0.99)}))
    assert result.needs_review == []
    assert result.fields["service_modes"] == ["线上志愿服务", "精准对接"]


def test_free_text_needs_more_confidence_than_validated_values():
    # 0.85 passes the plain 0.80 threshold: fine for a mobile, which its
    # validator checks, not for a name, which nothing can check.
    rows = table(*BASE, confidences={0: (1.0, 0.85, 1.0, 1.0), 3: (1.0, 0.85, 1.0, 1.0)})
    result = ocr(rows)
    assert "name" in result.needs_review and "mobile" not in result.needs_review
    relaxed = ocr(rows, ParseOptions(field_review_below={}))
    assert "name" not in relaxed.needs_review


def test_text_rows_are_never_flagged_for_doubt():
    rows = table(*BASE, confidences={0: (1.0, 0.3, 1.0, 1.0)})
    result = rows_to_results([TITLE, *rows], "pdf-text")[0]
    assert result.needs_review == []


def test_id_disagreeing_with_gender_flags_both():
    rows = table(*[("姓名", "张喆", "性别", "女"), *BASE[1:]])
    result = ocr(rows)
    assert {"id_number", "gender"} <= set(result.needs_review)


# ---- ticks ---------------------------------------------------------------------

def test_tick_list_missing_an_option_is_flagged():
    # The cell was cut by a page break: "外贸" onwards never reached OCR.
    rows = table(*BASE[:4], ("专业领域", "☑政策解读 □数字化转型 □智能制造 □行业发展 ☑科技创新"), *BASE[5:])
    result = ocr(rows)
    assert result.fields["expertise"] == ["政策解读", "科技创新"]
    assert "expertise" in result.needs_review


def test_tick_list_split_over_two_rows_is_complete():
    rows = table(*BASE[:4], ("专业领域", "☑政策解读 □数字化转型 □智能制造 □行业发展 □科技创新"),
                 ("", "□外贸 □法律 ☑财税 □会计 □企业管理 □其他"), *BASE[5:])
    result = ocr(rows)
    assert result.fields["expertise"] == ["政策解读", "财税"]
    assert "expertise" not in result.needs_review


def test_docx_tick_list_with_some_options_is_not_flagged():
    rows = table(*BASE[:4], ("专业领域", "☑政策解读 □数字化转型"), *BASE[5:])
    result = rows_to_results([TITLE, *rows], "docx")[0]
    assert result.needs_review == []


# ---- cells that ran into the next one ----------------------------------------------

def test_declaration_swallowed_by_a_cell_is_cut_and_flagged():
    rows = table(*BASE, ("可提供志愿服务时间", "周末及节假日本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务。"))
    result = ocr(rows)
    assert result.fields["available_time"] == "周末及节假日"
    assert "available_time" in result.needs_review
    assert any("承诺" in warning for warning in result.warnings)


def test_declaration_on_its_own_line_ends_the_answer_unflagged():
    rows = table(*BASE, ("可提供志愿服务时间", "周末及节假日"))
    rows.append(TextRow(("本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务。",)))
    result = ocr(rows)
    assert result.fields["available_time"] == "周末及节假日"
    assert "available_time" not in result.needs_review


# ---- handwriting and empty cells ------------------------------------------------------

def test_form_filled_by_hand_is_flagged_throughout():
    # Three boxes with ink and no text: whatever else was "read" is not trusted.
    rows = table(("姓名", "", "性别", "男"), ("身份证号码", "", "出生年月", ""), *BASE[2:],
                 confidences={0: (1.0, 0.0, 1.0, 1.0), 1: (1.0, 0.0, 1.0, 0.0)})
    result = ocr(rows)
    assert "name" not in result.fields and "id_number" not in result.fields
    assert set(result.fields) <= set(result.needs_review)
    assert any("手写" in warning for warning in result.warnings)


def test_one_unreadable_box_flags_only_that_field():
    rows = table(("姓名", "", "性别", "男"), *BASE[1:], confidences={0: (1.0, 0.0, 1.0, 1.0)})
    result = ocr(rows)
    assert result.needs_review == ["name"]


def test_required_field_empty_in_a_scan_is_flagged():
    rows = table(("姓名", "", "性别", "男"), *BASE[1:])  # empty, no ink: a scribble erased as rules looks so
    result = ocr(rows)
    assert "name" not in result.fields and "name" in result.needs_review


# ---- the engine's second opinion ---------------------------------------------------

class _FakeSecond:
    def __init__(self, text):
        self.text, self.calls = text, 0

    def read_cells(self, items):
        self.calls += 1
        return [(self.text, 0.9) for _ in items]


def _rapid_with(monkeypatch, chars, second_text):
    from parsers.ocr import engines

    text = "".join(ch for ch, _ in chars)
    second = _FakeSecond(second_text)
    engine = engines.RapidEngine(second_opinion=True, second=second)
    monkeypatch.setattr(engine, "recognise_chars",
                        lambda crops: [engines.LineReading(text, float(np.mean([p for _, p in chars])),
                                                           [p for _, p in chars])] * len(crops))
    monkeypatch.setattr(engine, "recognise_wide", engine.recognise_chars)  # the wide recogniser reads it the same
    cell = np.full((40, 120), 255, np.uint8)
    cell[10:30, 10:100] = 0
    return engine, second, cell


def test_sure_reading_needs_no_second_opinion(monkeypatch):
    engine, second, cell = _rapid_with(monkeypatch, [("张", 0.99), ("喆", 0.98)], "xx")
    assert engine.read_cells([(cell, "chinese")]) == [("张喆", pytest.approx(0.985))]
    assert second.calls == 0


def test_doubtful_character_not_confirmed_is_flagged(monkeypatch):
    from parsers.ocr.engines import DOUBTED

    # A line mean of 0.97 hides one character at 0.91 (冼 read as 洗).
    engine, second, cell = _rapid_with(monkeypatch, [("洗", 0.91), ("浩", 0.99), ("明", 0.99), ("华", 1.0)], "冼浩明华")
    text, confidence = engine.read_cells([(cell, "chinese")])[0]
    assert text == "洗浩明华" and confidence <= DOUBTED and second.calls == 1
    result = ocr(table(("姓名", text, "性别", "男"), *BASE[1:], confidences={0: (1.0, confidence, 1.0, 1.0)}))
    assert result.fields["name"] == "洗浩明华" and "name" in result.needs_review


def test_doubtful_character_confirmed_is_trusted(monkeypatch):
    from parsers.ocr.engines import CONFIRMED

    engine, _second, cell = _rapid_with(monkeypatch, [("冼", 0.91), ("浩", 0.99)], "冼 浩")
    assert engine.read_cells([(cell, "chinese")])[0] == ("冼浩", CONFIRMED)


def test_without_second_opinion_the_least_sure_character_decides(monkeypatch):
    from parsers.ocr import engines

    engine, _second, cell = _rapid_with(monkeypatch, [("冼", 0.7), ("浩", 0.99)], "")
    engine.second = None
    assert engine.read_cells([(cell, "chinese")])[0][1] == pytest.approx(0.7)
    assert engines.confirmed_by([("a", 0.99)], "") is True


def test_an_ocr_name_with_an_unknown_surname_goes_to_review():
    from parsers.text.checks import check_surname

    assert check_surname("冼浩") == [] and check_surname("欧阳婧") == [] and check_surname("司徒文彬") == []
    assert check_surname("洗浩")  # 冼 misread as 洗: not a surname
    assert check_surname("Zhang San") == []  # not a Chinese name: nothing to say


# ---- e-mails: nothing validates the part before the @ --------------------------------

def test_email_needs_the_second_opinion_to_agree_on_the_whole_address(monkeypatch):
    from parsers.ocr.engines import DOUBTED

    # Every character near-certain, yet wrong ("ouyangjing" read as "ouvanaina").
    chars = [(ch, 0.99) for ch in "ouvanaina99@163.com"]
    engine, second, cell = _rapid_with(monkeypatch, chars, "ouvanaiina99@163.com")
    assert engine.rereads_with_hints
    # Whatever the hint: a cell holding an address is an e-mail to confirm.
    assert engine.read_cells([(cell, "chinese")])[0][1] <= DOUBTED
    text, confidence = engine.read_cells([(cell, "email")])[0]
    assert text == "ouvanaina99@163.com" and confidence <= DOUBTED
    assert second.calls == 1  # the crop read again with its hint is not read by Tesseract again


def test_email_both_engines_read_alike_is_trusted(monkeypatch):
    from parsers.ocr.engines import CONFIRMED

    chars = [(ch, 0.99 if ch != "z" else 0.9) for ch in "zhangzhe97@163.com"]
    engine, second, cell = _rapid_with(monkeypatch, chars, "ZHANGZHE97 @163.com")
    engine.read_cells([(cell, "chinese")])
    recognised = []
    monkeypatch.setattr(engine, "_read_cells", lambda items: recognised.append(items) or [])
    # The same crop read again with its hint is not recognised a second time.
    [(text, confidence)] = engine.read_cells([(cell, "email")])
    assert text == "zhangzhe97@163.com" and confidence >= CONFIRMED
    assert recognised == []


def test_email_on_a_line_with_its_label_is_checked_too(monkeypatch):
    from parsers.ocr.engines import DOUBTED

    chars = [(ch, 0.99) for ch in "邮箱：ouvanaina99@163.com"]
    engine, _second, cell = _rapid_with(monkeypatch, chars, "邮箱: ouyangjing99@163.com")
    assert engine.read_cells([(cell, "chinese")])[0][1] <= DOUBTED
    engine, _second, cell = _rapid_with(monkeypatch, chars, "邮 箱 ouvanaina99 @163.com")
    assert engine.read_cells([(cell, "chinese")])[0][1] > 0.95


def test_agreeing_on_an_inline_email_does_not_vouch_for_the_rest_of_the_line(monkeypatch):
    from parsers.ocr.engines import DOUBTED

    chars = [("洗", 0.91)] + [(ch, 0.99) for ch in "浩 邮箱：xianhao80@163.com"]
    engine, _second, cell = _rapid_with(monkeypatch, chars, "冼浩 邮箱: xianhao80@163.com")
    # The addresses agree, but 洗 (read as 冼 by the other engine) still makes the line doubtful.
    assert engine.read_cells([(cell, "chinese")])[0][1] <= DOUBTED
