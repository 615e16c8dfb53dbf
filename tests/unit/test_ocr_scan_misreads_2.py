"""More of what scans of forms nobody here has seen get wrong, each kind by
the pure rule that puts it right.

The recogniser drops the gap an applicant left between a label and its
answer ("学历及学位　大专" read "学历及学位大专", taken whole for the label),
and reads a bracket's own blank as a space ("证件号码 (身份证）"); a cell
whose label stands alone on its first line ("从业经历（限500字）" over the
work history) is run into its answer; the pieces of a loose line are
joined with no gap, so "可服务时间　每周二" is no label and runs on the
paragraph above; an address's underscore read as a gap is left a gap when
its label shares the line; a tick list whose ticks are check marks
written in place of the boxes loses the marks OCR drops at each line's
start; and boxes drawn as tall as their row are taken for cells of it.
"""
from __future__ import annotations

import numpy as np

from parsers.ocr.box_cells import joined_box_cells
from parsers.ocr.engines import LineReading, RapidEngine, correct
from parsers.ocr.engines.crops import with_written_gaps
from parsers.ocr.cell_text import cell_text
from parsers.ocr.page import _merge_loose, _Piece
from parsers.ocr.tick_marks import rewrite

HEIGHT = 30  # the text's height in the crops below, in pixels


def _line(text: str, gaps: dict[int, int], width: int = 26, pitch: int = 30):
    """A line crop of ``text`` as square blots of ink, ``gaps[n]`` pixels of
    blank added before character n; and each character's middle."""
    centres, x = [], 8
    for number in range(len(text)):
        x += gaps.get(number, 0)
        centres.append(x + width / 2)
        x += pitch
    image = np.full((HEIGHT + 20, x + 8), 255, np.uint8)
    for centre, ch in zip(centres, text):
        if not ch.isspace():
            image[10:10 + HEIGHT, int(centre - width / 2):int(centre + width / 2)] = 0
    return image, centres


def _spaced(text: str, gaps: dict[int, int]) -> str:
    image, centres = _line(text, gaps)
    spaced, chars = with_written_gaps(image, text, [0.99] * len(text), centres)
    assert len(chars) == len(spaced)
    return spaced


# -- gaps the writer left ---------------------------------------------------------

def test_a_gap_left_between_a_label_and_its_answer_is_a_space():
    assert _spaced("学历及学位大专", {5: 40}) == "学历及学位 大专"
    assert _spaced("1977年7月25日43岁", {10: 45}) == "1977年7月25日 43岁"


def test_the_blank_beside_a_comma_or_between_characters_is_no_gap():
    # A full-width comma leaves most of its box blank: under a text height.
    assert _spaced("有限公司，副总经理", {5: 20}) == "有限公司，副总经理"
    assert _spaced("广东粤西家电", {}) == "广东粤西家电"
    # A space the recogniser read is not doubled.
    assert _spaced("135 7454", {4: 40}) == "135 7454"


def _read_with_space_before(text: str, at: int, gap: int) -> str:
    """``text`` drawn with ``gap`` blank pixels before character ``at``, read
    with a space there."""
    image, centres = _line(text, {at: gap})
    read = text[:at] + " " + text[at:]
    centres = [*centres[:at], (centres[at - 1] + centres[at]) / 2, *centres[at:]]
    return with_written_gaps(image, read, [0.99] * len(read), centres)[0]


def test_a_space_read_before_an_opening_bracket_is_the_brackets_own_blank():
    assert _read_with_space_before("证件号码(身份证）", 4, 12) == "证件号码(身份证）"
    # A gap written there is wider, and stays.
    assert _read_with_space_before("申请人姓名（揭鑫）", 5, 40) == "申请人姓名 （揭鑫）"


def test_the_recogniser_reading_a_cell_keeps_the_gap_it_dropped():
    # The cell's one line: "出生年月" and the answer a wide gap apart, read as one word.
    cell, centres = _line("出生年月1961.07", {4: 45})
    engine = RapidEngine(second_opinion=False)

    def recognise(crops):
        # The crop is the cell's line, cut to its ink and padded: the same
        # characters, moved by where the crop starts.
        [crop] = crops
        shift = int(np.where((crop < 160).any(axis=0))[0][0]) - int(np.where((cell < 160).any(axis=0))[0][0])
        return [LineReading("出生年月1961.07", 0.99, [0.99] * 11, [c + shift for c in centres])]

    engine.recognise_chars = engine.recognise_wide = recognise
    [(text, confidence)] = engine.read_cells([(cell, "chinese")])
    assert text == "出生年月 1961.07" and confidence > 0.9


# -- lines of a cell, pieces of a line ----------------------------------------------

def test_a_label_alone_on_a_cells_first_line_stays_apart_from_the_answer_under_it():
    cell = "从业经历（限500字）\n1984年—1991年 深圳某科技公司\n1991年至今 广东粤西家电有限公司 副总经理。"
    assert cell_text(cell) == "从业经历（限500字）\n1984年—1991年 深圳某科技公司1991年至今 广东粤西家电有限公司 副总经理。"


def test_a_label_that_wraps_onto_the_next_line_is_one_label():
    assert cell_text("*联系电话\n（手机）") == "*联系电话（手机）"
    assert cell_text("*身份证号\n码：440883 19821217 4540") == "*身份证号码：440883 19821217 4540"
    assert cell_text("*所属县（市\n区）：廉江市") == "*所属县（市区）：廉江市"
    assert cell_text("熟悉数字化转型等业务，能为中小企业\n提供咨询与辅导。") == "熟悉数字化转型等业务，能为中小企业提供咨询与辅导。"


def _piece(x0: int, x1: int, text: str) -> _Piece:
    return _Piece((x0, 100, x1, 150), 0, 0, text=text, confidence=0.99, has_ink=True)


def test_the_pieces_of_a_loose_line_keep_the_gap_between_them():
    # "可服务时间" and its answer a gap apart on a paragraph form's line: joined
    # because a label starts the line, but not run together into no label.
    [cell] = _merge_loose([_piece(120, 330, "可服务时间"), _piece(375, 700, "每周二、周四下午")])
    assert cell.text == "可服务时间 每周二、周四下午"


def _cell(x0: int, x1: int, text: str) -> _Piece:
    return _Piece((x0, 100, x1, 136), 0, 0, text=text, confidence=0.99 if text else 1.0, has_ink=bool(text))


def test_tick_boxes_drawn_as_cells_of_their_row_mark_the_options_after_them():
    # "服务形式 | ☒ | 线上志愿服务 | ☒ | 线下志愿服务 | □ | 精准对接": each box's sides taken for rules.
    row = [_cell(100, 300, "服务形式"), _cell(305, 340, "X"), _cell(345, 560, "线上志愿服务"),
           _cell(565, 600, "×"), _cell(605, 820, "线下志愿服务"), _cell(825, 860, ""), _cell(865, 1000, "精准对接")]
    inked = [400, 150, 600, 140, 600, 0, 400]
    label, options = joined_box_cells(row, inked, 33)
    assert label.text == "服务形式" and options.text == "☑线上志愿服务 ☑线下志愿服务 □精准对接"
    assert options.box == (305, 100, 1000, 136) and options.confidence > 0.9
    # A box whose side was not taken for a rule is read with its option; a speck leaves a box in doubt.
    row = [_cell(100, 300, "服务形式"), _cell(305, 340, "X"), _cell(345, 560, "线上"), _cell(565, 820, "×线下"),
           _cell(825, 860, ""), _cell(865, 1000, "对接")]
    _, options = joined_box_cells(row, [400, 150, 600, 700, 20, 400], 33)
    assert options.text == "☑线上 ×线下 □对接" and options.confidence < 0.8
    # A small cell before an answer that is no option is no box.
    row = [_cell(100, 140, "男"), _cell(145, 400, "湛江科技学院")]
    assert joined_box_cells(row, [100, 600], 33) == row


# -- addresses ------------------------------------------------------------------------

def test_an_underscore_read_as_a_gap_beside_the_addresss_label_is_an_underscore():
    assert correct("电子邮件huang hz3@126.com", "chinese") == "电子邮件huang_hz3@126.com"
    # The word before the gap is the label: the gap is the label's.
    assert correct("E-mail huang@126.com", "chinese") == "E-mail huang@126.com"
    assert correct("Email lixia76@139.com", "chinese") == "Email lixia76@139.com"


# -- check marks in place of boxes ------------------------------------------------------

LINE = 27  # the page's line height in the tick cells below


def _box(ink, x, y, size=24):
    ink[y:y + size, x:x + size] = 255
    ink[y + 3:y + size - 3, x + 3:x + size - 3] = 0


def _large_box(ink, x, y):
    """A box drawn taller than a line, which the ink's box finder passes over."""
    _box(ink, x, max(0, y - 6), size=36)


def _check_mark(ink, x, y, size=24):
    """A "√": a short stroke down to the right, a long one up."""
    for step in range(size // 3):
        ink[y + size // 2 + step:y + size // 2 + step + 3, x + step:x + step + 3] = 255
    for step in range(size - size // 3):
        ink[y + size - 2 - step:y + size + 1 - step, x + size // 3 + step:x + size // 3 + step + 3] = 255


def _name(ink, x, y, characters: int):
    """An option's name: a cross of strokes per character, a little apart."""
    for number in range(characters):
        left = x + number * 28
        ink[y + 11:y + 14, left:left + 24] = 255
        ink[y + 2:y + 24, left + 11:left + 14] = 255


def _list(options: list[list[tuple[str, str]]]) -> np.ndarray:
    """A tick cell: each line's options as (mark, name), the mark "box",
    "check" or "" (none written), options 60 px apart."""
    ink = np.zeros((len(options) * 44 + 8, 900), np.uint8)
    for row, line in enumerate(options):
        x, y = 10, 8 + row * 44
        for mark, name in line:
            if mark == "box":
                _box(ink, x, y)
            elif mark == "large box":
                _large_box(ink, x, y)
            elif mark == "check":
                _check_mark(ink, x, y)
            if mark:
                x += 40 if mark == "large box" else 30
            _name(ink, x, y, len(name))
            x += len(name) * 28 + 60
    return ink


def test_check_marks_written_in_place_of_boxes_are_the_ticked_options():
    # OCR read the first check mark and dropped the others, at the lines' starts.
    ink = _list([[("check", "政策解读"), ("box", "数字化转型")], [("check", "行业发展"), ("box", "科技创新")]])
    text, confidence = rewrite("√政策解读 数字化转型\n行业发展 科技创新", ink, LINE, 0.6)
    assert text == "☑政策解读 □数字化转型 ☑行业发展 □科技创新" and confidence <= 0.6
    # No check mark read at all: the ink still tells the list from prose.
    text, _ = rewrite("政策解读 数字化转型\n行业发展 科技创新", ink, LINE, 0.95)
    assert text == "☑政策解读 □数字化转型 ☑行业发展 □科技创新"


def test_an_option_with_neither_box_nor_mark_before_it_is_not_taken_for_ticked():
    # A box the ink lost (too faint): the option's stretch is its name alone.
    ink = _list([[("box", "政策解读"), ("", "数字化转型")], [("box", "行业发展"), ("box", "科技创新")]])
    text, confidence = rewrite("口政策解读 数字化转型\n口行业发展 口科技创新", ink, LINE, 0.95)
    assert "☑数字化转型" not in text and confidence < 0.8
    # Nor one whose box is there but was not found (drawn larger than the text).
    ink = _list([[("box", "政策解读"), ("large box", "数字化转型")], [("box", "行业发展"), ("box", "科技创新")]])
    text, confidence = rewrite("口政策解读 数字化转型\n口行业发展 口科技创新", ink, LINE, 0.95)
    assert "☑数字化转型" not in text and confidence < 0.8
