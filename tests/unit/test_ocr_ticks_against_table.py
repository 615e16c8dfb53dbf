"""A tick list printed right under the table: its boxes hang from the
table's bottom rule, which is their top side, and the box at the table's
corner carries the side rule down (golden 13). No OCR: the ink, and the
lists as OCR read them."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")

from parsers.ocr.grid import analyse, find_tables  # noqa: E402
from parsers.ocr.loose_view import outside_tables  # noqa: E402
from parsers.ocr.tick_marks import misread_option, rewrite  # noqa: E402
from parsers.ocr.tick_shapes import find_boxes  # noqa: E402
from tests.unit.drawing import ruled_page  # noqa: E402

LINE = 26
EXPERTISE = ("政策解读", "数字化转型", "智能制造", "行业发展", "科技创新", "外贸", "法律", "财税", "会计", "企业管理", "其他")
BOTTOM = 300  # the table's bottom rule
RIGHT = 900  # its right rule
SIDE = 28


def _page_with_hanging_boxes(lefts: list[int], ticked: int) -> np.ndarray:
    """A two-row table, and under it boxes whose tops are its bottom rule;
    the last hangs from the corner, its right side the right rule carried down."""
    page = ruled_page(500, 1000, (180, 240, BOTTOM), (100, 400, RIGHT), paper=245, ink=20, thickness=3)
    for number, left in enumerate(lefts):
        page[BOTTOM:BOTTOM + SIDE, left:left + 3] = 20
        page[BOTTOM:BOTTOM + SIDE, left + SIDE - 3:left + SIDE] = 20
        page[BOTTOM + SIDE - 3:BOTTOM + SIDE, left:left + SIDE] = 20
        if number == ticked:
            for step in range(12):  # a pen tick inside
                page[BOTTOM + 11 + step // 2:BOTTOM + 17 + step // 2, left + 6 + step:left + 10 + step] = 20
        page[BOTTOM + 6:BOTTOM + 22, left + SIDE + 6:left + SIDE + 60] = 20  # the option's name, as a block
    return page


def _line_under_the_table(page: np.ndarray):
    ink = analyse(page)
    view = outside_tables(ink, find_tables(ink))
    rows = slice(BOTTOM - 8, BOTTOM + SIDE + 8)
    return view.ink[rows] & ~view.rules[rows], view.rules[rows]


def test_boxes_hung_from_the_tables_bottom_rule_are_found_with_the_rule_for_their_top():
    lefts = [150, 300, 450, 600, 750, RIGHT + 3 - SIDE]
    ink, rules = _line_under_the_table(_page_with_hanging_boxes(lefts, ticked=2))

    boxes = find_boxes(ink, LINE, rules)

    assert [box.x0 for box in boxes] == pytest.approx(lefts, abs=3)
    assert [box.ticked for box in boxes] == [False, False, True, False, False, False]
    assert all(box.clear for box in boxes)
    # Without the rules, a box lacks its top: no box at all.
    assert find_boxes(ink, LINE) == []


@pytest.mark.parametrize("word, option", [
    ("智能制适", "智能制造"), ("数学化转型", "数字化转型"), ("政策解续", "政策解读"),
    ("外资", None), ("其它", None),  # two characters, one misread: could be anything
    ("智能建适", None),  # two misread
    ("智能制造业", None),  # not as long
])
def test_an_option_name_with_one_character_misread_is_known(word, option):
    assert misread_option(word, EXPERTISE) == option


def test_a_misread_name_as_close_to_two_options_is_neither():
    assert misread_option("线X志愿服务", ("线上志愿服务", "线下志愿服务", "精准对接")) is None


def _six_boxes(ticked: int) -> tuple[np.ndarray, np.ndarray]:
    """The label's line under the table: six boxes, the rule above them."""
    ink = np.zeros((40, 1200), np.uint8)
    rules = np.zeros_like(ink)
    rules[:7] = 255
    for number in range(6):
        left = 300 + 150 * number
        ink[7:35, left:left + 3] = ink[7:35, left + 25:left + 28] = 255
        ink[32:35, left:left + 28] = 255
        if number == ticked:
            ink[18:26, left + 8:left + 20] = 255
    return ink, rules


def test_a_list_whose_option_was_misread_by_one_character_is_read_and_sent_to_review():
    ink, rules = _six_boxes(ticked=2)
    text = "专业领域（可多选）：口政策解读 数字化转型 智能制适 口行业发展 科技创新 外贸"

    written, confidence = rewrite(text, ink, LINE, 0.6, label="专业领域（可多选）：", rules=rules)

    assert written == "□政策解读 □数字化转型 ☑智能制造 □行业发展 □科技创新 □外贸"
    assert confidence < 0.8


def test_a_box_more_than_the_options_named_is_not_taken_for_the_labels_sample_when_a_word_named_none():
    # 智能制造 read past knowing: six boxes, five options named. Taking the
    # first box for the label's sample box and binding the rest by count
    # ticked 数字化转型 — surely. The reading must go to review instead.
    ink, rules = _six_boxes(ticked=2)
    text = "专业领域（可多选）：口政策解读 数字化转型 督熊制适 口行业发展 科技创新 外贸"

    written, confidence = rewrite(text, ink, LINE, 0.6, label="专业领域（可多选）：", rules=rules)

    assert confidence <= 0.5, written


def test_an_unreadable_first_option_keeps_its_box_from_being_taken_for_the_labels_sample():
    ink, rules = _six_boxes(ticked=0)
    text = "专业领域（可多选）：口督熊制适 口数字化转型 智能制造 口行业发展 科技创新 外贸"

    written, confidence = rewrite(text, ink, LINE, 0.6, label="专业领域（可多选）：", rules=rules)

    assert confidence <= 0.5, written


def test_what_is_filled_in_after_other_does_not_stop_the_labels_sample_box_being_set_aside():
    ink = np.zeros((40, 1500), np.uint8)
    for number in range(8):  # the label's sample box, then one per option
        left = 150 + 150 * number
        ink[7:35, left:left + 3] = ink[7:35, left + 25:left + 28] = 255
        ink[7:10, left:left + 28] = ink[32:35, left:left + 28] = 255
        if number in (3, 7):
            ink[18:26, left + 8:left + 20] = 255
    label = "专业领域（请在口内打√）："
    text = label + "口政策解读 口数字化转型 口智能制造 口行业发展 口科技创新 口外贸 口其他：碳中和咨询"

    written, confidence = rewrite(text, ink, LINE, 0.6, label=label)

    assert written == "□政策解读 □数字化转型 ☑智能制造 □行业发展 □科技创新 □外贸 ☑其他"
    assert confidence >= 0.5


def test_a_character_set_a_few_pixels_under_the_rule_is_no_box():
    # 凶 is a box without its top; three pixels of paper part it from the rule.
    ink = np.zeros((40, 200), np.uint8)
    rules = np.zeros_like(ink)
    rules[:7] = 255
    ink[10:36, 20:23] = ink[10:36, 45:48] = ink[33:36, 20:48] = 255
    ink[14:30, 26:42] = np.eye(16, dtype=np.uint8) * 255

    assert find_boxes(ink, LINE, rules) == []
