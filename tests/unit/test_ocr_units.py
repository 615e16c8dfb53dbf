"""Pieces of the OCR path that need no OCR: corrections, tick rewriting, grid."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")

from parsers.ocr.engines import correct, join_words, text_lines  # noqa: E402
from parsers.ocr.grid import analyse, find_tables  # noqa: E402
from parsers.ocr.tick_marks import rewrite  # noqa: E402
from parsers.text.rows import TextRow  # noqa: E402
from parsers.text.assemble import rows_to_results  # noqa: E402
from tests.unit.drawing import ruled_page  # noqa: E402


def test_digit_lookalikes_corrected_only_in_numbers():
    assert correct("44O8O4 l974O7O2 49l3", "digits") == "440804 19740702 4913"
    assert correct("44082519680916414x", "digits") == "44082519680916414X"
    assert correct("无", "digits") == "无"
    # An address has no spaces: the one OCR reads before the @ is an underscore's gap.
    assert correct("zhang zhe＠163。com", "email") == "zhang_zhe@163.com"
    assert correct("zhangzhe ＠ 163 。com", "email") == "zhangzhe@163.com"


def test_join_words_spaces_only_between_latin_words():
    assert join_words(["湛江", "市", "ERP", "system", "选型"]) == "湛江市ERP system选型"


def test_tick_text_from_ocr_lookalikes():
    text, confidence = rewrite("口政策解读口数字化转型■智能制造口行业发展", None, 28, 0.99)
    assert text == "□政策解读 □数字化转型 ☑智能制造 □行业发展"
    assert confidence == 0.99
    text, _ = rewrite("线上志愿服务（√）线下志愿服务（）精准对接（～）", None, 28, 0.98)
    assert text == "☑线上志愿服务 □线下志愿服务 ☑精准对接"


def test_option_without_a_readable_mark_is_doubtful():
    text, confidence = rewrite("政策解读 ■数字化转型", None, 28, 0.99)
    assert confidence <= 0.5


def test_long_text_naming_options_is_left_alone():
    text = "熟悉智能制造、科技创新、法律、财税相关业务"
    assert rewrite(text, None, 28, 0.9) == (text, 0.9)


def test_boxes_decide_when_one_per_option():
    ink = np.zeros((40, 400), np.uint8)
    for x, filled in [(10, False), (150, True)]:
        ink[8:32, x:x + 24] = 255
        if not filled:
            ink[11:29, x + 3:x + 21] = 0
    text, confidence = rewrite("口政策解读口数字化转型", ink, 30, 0.99)
    assert text == "□政策解读 ☑数字化转型"
    assert confidence < 0.8  # the text (口) and the ink (■) disagree on the second


def test_grid_cells_found_in_a_drawn_table():
    page = ruled_page(600, 800, (100, 150, 200, 300), (100, 300, 700))
    page[150:200, 500:502] = 0  # the middle row has three cells
    tables = find_tables(analyse(page))
    assert len(tables) == 1
    assert [len(row) for row in tables[0].rows] == [2, 3, 2]


def test_text_lines_split_by_projection():
    crop = np.full((80, 200), 255, np.uint8)
    crop[10:30, 20:180] = 0
    crop[45:66, 20:120] = 0
    assert text_lines(crop) == [(10, 30), (45, 66)]


def test_low_confidence_cell_goes_to_review_and_unreadable_cell_is_flagged_missing():
    rows = [TextRow(("湛江市中小企业志愿服务专家报名表",)),
            TextRow(("姓名", "", "性别", "男"), True, False, True, (1.0, 0.0, 1.0, 1.0)),
            TextRow(("工作单位", "湛江湾数字技术有限公司", "职务", "总经理"), True, False, False, (1.0, 0.6, 1.0, 0.99)),
            TextRow(("所在县（市、区）", "赤坎区", "手机号码", "13800138000"), True, False, False)]
    result = rows_to_results(rows, "ocr-test", review_below=0.8)[0]
    assert "name" not in result.fields and "name" in result.needs_review
    assert result.fields["employer"] == "湛江湾数字技术有限公司" and "employer" in result.needs_review
    assert result.confidence["position"] == 0.99 and "position" not in result.needs_review
    assert any("手写" in w for w in result.warnings)
    # Without a threshold (docx, text PDF) nothing changes.
    plain = rows_to_results(rows, "pdf-text")[0]
    assert plain.needs_review == []
