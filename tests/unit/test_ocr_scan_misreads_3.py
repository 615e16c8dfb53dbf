"""Still more of what scans and photos of the form get wrong, each kind by
the pure rule that puts it right.

An answer that wraps inside its label's cell ("学历（最高）　本" over "科")
was kept apart from its label's line like a label standing alone; the
expertise list under "专长领域（请打√）" was taken for the answer of
"专长", another field, and never read as ticks; a list whose boxes are as
tall as its lines, stacked so that each touches the next, held its lines
together as one and its boxes were passed over as one tall blob; a box
whose bottom side went with the cell's rule was no box; a patch of
desk lit nearly as bright as the sheet, running from the sheet to the
photo's edge, was taken into the sheet's outline; and an e-mail's
underscore lying on the cell's rule was dropped without a trace.
"""
from __future__ import annotations

import cv2
import numpy as np

from parsers.ocr import cell_hints, tick_marks
from parsers.ocr.engines.crops import text_lines, with_written_gaps
from parsers.ocr.geometry import find_sheet
from parsers.ocr.cell_text import cell_text
from parsers.ocr.tick_shapes import find_boxes

# -- an answer wrapped inside its label's cell ------------------------------------------


def test_an_answer_wrapped_under_its_label_is_joined_again():
    # "学历（最高）　本科" in a narrow cell: "科" went onto the next line.
    assert cell_text("学历（最高）　本\n科") == "学历（最高）　本科"
    # The employer's name wrapped twice in the cell beside "任职单位".
    assert cell_text("任职单位　广东金\n沙湾信息技术有限\n公司") == "任职单位　广东金沙湾信息技术有限公司"


def test_a_label_alone_on_the_first_line_still_stays_apart():
    # Guard: the work history starts under its label, not beside it.
    cell = "从业经历（限500字）\n1986年 湛江某机械厂 技术员\n1995年至今 广东某电器有限公司 副总经理"
    assert cell_text(cell) == "从业经历（限500字）\n1986年 湛江某机械厂 技术员1995年至今 广东某电器有限公司 副总经理"
    # Guard: a label that wraps before its colon is one label, its answer beside it.
    assert cell_text("*身份证号\n码：440883 19821217 4540") == "*身份证号码：440883 19821217 4540"


# -- a tick list under a label that starts with another field's ------------------------

EXPERTISE_LIST = "专长领域（请打） 政策解读 数字化转型 智能制造 行业发展 科技创新外贸 法律 财税 会计 企业管理 其他："
PROSE = "熟悉数字化转型、科技创新、外贸、会计等业务，能为中小企业提供数字化转型方面的咨询与辅导"


class _Cell:
    """What tick_hints reads of a page's cell: its text, and the hint it sets."""

    def __init__(self, text: str):
        self.text, self.hint = text, None


def test_the_expertise_list_is_a_list_of_options_under_its_whole_label():
    # The boxes and the tick were lost: only the label and the option names were read.
    listed = tick_marks.option_list(EXPERTISE_LIST)
    assert listed is not None
    _flat, found = listed
    assert [option for *_, option in found][:3] == ["政策解读", "数字化转型", "智能制造"]
    # "专长" is a label of its own; the options belong to all of "专长领域（请打）".
    assert cell_hints.options_label(EXPERTISE_LIST) == "专长领域（请打）"


def test_a_list_under_its_own_fields_label_keeps_that_label():
    assert tick_marks.option_list("专业领域：□政策解读 ☑数字化转型 □智能制造") is not None
    assert cell_hints.options_label("专业领域：□政策解读 ☑数字化转型 □智能制造") == "专业领域："


def test_prose_that_names_options_is_no_list():
    assert tick_marks.option_list(PROSE) is None


def test_the_expertise_cell_is_read_again_for_its_ticks():
    cell = _Cell(EXPERTISE_LIST)
    cell_hints.tick_hints([[cell]])
    assert cell.hint == "ticks"
    # The work history that names options in its prose is left as written.
    history = _Cell("主要工作经历：" + PROSE)
    cell_hints.tick_hints([[history]])
    assert history.hint is None


# -- lines held together by a column of stacked boxes ------------------------------------

TEXT = 30  # the height of the characters in the line crops below


def _lines_beside_stacked_boxes(gap: int, stroke: int) -> tuple[np.ndarray, list[int]]:
    """Three lines of characters (hollow and filled squares, ``gap`` px apart),
    each starting with a box as tall as its line and the gaps around it: each
    box's bottom side is the next one's top. And each line's top."""
    image = np.full((150, 700), 255, np.uint8)
    side = TEXT + gap
    tops = [10 + n * side for n in range(3)]
    for number, top in enumerate(tops):
        box_top = top - gap // 2
        image[box_top:box_top + side + stroke, 8:8 + side + stroke] = 0
        image[box_top + stroke:box_top + side, 8 + stroke:8 + side] = 255
        x = 8 + side + 12
        for character in range(15):
            image[top:top + TEXT, x:x + 26] = 0
            if character % 2 == 0:
                image[top + 3:top + TEXT - 3, x + 3:x + 23] = 255
            x += 34
    return image, tops


def test_lines_held_together_by_stacked_box_sides_are_cut_apart():
    for gap in (8, 10):
        for stroke in (2, 3):
            image, tops = _lines_beside_stacked_boxes(gap, stroke)
            lines = text_lines(image)
            assert len(lines) == 3, (gap, stroke, lines)
            for (top, bottom), line_top in zip(lines, tops):
                assert top <= line_top + 2 and bottom >= line_top + TEXT - 2
                assert bottom - top < 1.5 * TEXT


def test_a_line_with_a_tall_bracket_is_one_line():
    # Guard: "某某公司（湛江）" with brackets written taller than the characters.
    image = np.full((90, 600), 255, np.uint8)
    x = 10
    for _ in range(6):
        image[25:55, x:x + 26] = 0
        x += 34
    cv2.ellipse(image, (x + 20, 40), (10, 28), 0, 100, 260, 0, 3)
    x += 34
    for _ in range(4):
        image[25:55, x:x + 26] = 0
        x += 34
    cv2.ellipse(image, (x, 40), (10, 28), 0, -80, 80, 0, 3)
    [(top, bottom)] = text_lines(image)
    assert top <= 25 and bottom >= 55


# -- boxes stacked as tall as their lines ------------------------------------------------

LINE = 27  # the page's line height in the tick cells below
SIDE = 32  # the boxes' side: a little taller than a line


def _name(ink, x, y, characters: int):
    """An option's name: a cross of strokes per character, a little apart."""
    for number in range(characters):
        left = x + number * 28
        ink[y + 11:y + 14, left:left + 24] = 255
        ink[y + 2:y + 24, left + 11:left + 14] = 255


def _stacked_list(count: int, stroke: int, bottom: str) -> np.ndarray:
    """A tick cell's ink: ``count`` boxes in a column, each box's bottom side
    the next one's top, the second crossed (☒), an option after each. The
    last box's bottom side "whole", gone with the cell's "rule" (painted out,
    a few px of blank left below), or "cut" by the crop a third up the box."""
    step = SIDE - stroke
    end = 3 + step * (count - 1) + SIDE
    height = {"whole": end + 4, "rule": end - stroke + 3, "cut": end - SIDE // 3}[bottom]
    ink = np.zeros((height, 400), np.uint8)
    for number in range(count):
        x, y = 5, 3 + number * step
        ink[y:y + SIDE, x:x + SIDE] = 255
        ink[y + stroke:y + SIDE - stroke, x + stroke:x + SIDE - stroke] = 0
        if number == 1:
            near, far = stroke + 2, SIDE - stroke - 3
            cv2.line(ink, (x + near, y + near), (x + far, y + far), 255, 2)
            cv2.line(ink, (x + far, y + near), (x + near, y + far), 255, 2)
        _name(ink, x + SIDE + 10, y + 4, 4)
    if bottom == "rule":
        ink[end - stroke:, :] = 0
    return ink


def test_boxes_stacked_as_tall_as_their_lines_are_found_one_by_one():
    for count in (3, 4):
        for stroke in (2, 3):
            ink = _stacked_list(count, stroke, "rule")
            boxes = find_boxes(ink, LINE)
            assert [box.ticked for box in boxes] == [False, True] + [False] * (count - 2), (count, stroke)
            assert all(box.x0 == 5 for box in boxes)
            assert [box.y0 for box in boxes] == sorted(box.y0 for box in boxes)
            assert all(box.clear for box in boxes[:1] + boxes[2:])


def test_the_last_stacked_box_cut_by_the_crop_is_still_a_box():
    for count in (3, 4):
        boxes = find_boxes(_stacked_list(count, 3, "cut"), LINE)
        assert [box.ticked for box in boxes] == [False, True] + [False] * (count - 2), count


def test_a_box_whose_bottom_side_went_with_the_cells_rule_is_a_box():
    # "□线上 ■线下" squeezed against the rule: the bottom sides were painted
    # out with it, three px of blank left under the boxes.
    ink = np.zeros((36, 200), np.uint8)
    ink[4:36, 10:42] = 255
    ink[7:33, 13:39] = 0
    ink[4:36, 100:132] = 255
    ink[33:, :] = 0
    assert [(box.x0, box.ticked) for box in find_boxes(ink, LINE)] == [(10, False), (100, True)]


# -- the sheet in a photo ----------------------------------------------------------------

SHEET = np.array([[220, 70], [740, 90], [725, 560], [205, 540]], np.float32)


def _photo_with_a_lit_patch_of_desk(patch: int) -> np.ndarray:
    """The sheet (grey 220) on a desk (about 100, darker to the right), a
    patch of desk lit to ``patch`` filling the strip from the sheet's left
    edge to the photo's left border."""
    photo = np.full((620, 800), 100, np.float32) * np.linspace(1.1, 0.9, 800, dtype=np.float32)[None, :]
    cv2.fillConvexPoly(photo, np.array([[0, 70], [220, 70], [205, 540], [0, 540]], np.int32), float(patch))
    cv2.fillConvexPoly(photo, SHEET.astype(np.int32), 220.0)
    photo += np.random.default_rng(3).normal(0, 3, photo.shape).astype(np.float32)
    return np.clip(photo, 0, 255).astype(np.uint8)


def test_a_lit_patch_of_desk_beside_the_sheet_is_not_taken_into_it():
    # At one threshold level the patch and the sheet are one bright
    # quadrilateral reaching the photo's edge, bigger than the sheet.
    for patch in (140, 150, 160):
        corners = find_sheet(_photo_with_a_lit_patch_of_desk(patch))
        assert corners is not None and np.abs(corners - SHEET).max() <= 4, (patch, corners)


def test_a_darker_patch_of_desk_leaves_the_sheet_alone():
    # Guard: a patch darker than every threshold level is only desk.
    corners = find_sheet(_photo_with_a_lit_patch_of_desk(130))
    assert corners is not None and np.abs(corners - SHEET).max() <= 4


# -- an e-mail's underscore on the cell's rule -------------------------------------------


def _letters_line(gap_after: int, count: int, gap: int) -> tuple[np.ndarray, list[float]]:
    """A line of ``count`` letter-sized blocks (20 px tall, 10 wide, 3 apart),
    ``gap`` px of blank after block number ``gap_after``; and each block's middle."""
    line = np.full((24, 20 * count + gap + 20), 255, np.uint8)
    centres, x = [], 4
    for number in range(count):
        line[2:22, x:x + 10] = 0
        centres.append(x + 5.0)
        x += 10 + (gap if number == gap_after else 3)
    return line, centres


def test_an_underscore_painted_out_with_the_rule_leaves_its_gap_in_the_address():
    # "huang_hz65@163.com" set low in its row: the underscore lay on the
    # cell's bottom rule and went with it; the recogniser read "huanghz65@…".
    # The blank it left between g and h is wider than letters ever stand apart.
    text = "abcd@e.cn"
    line, centres = _letters_line(1, len(text), 12)
    spaced, chars = with_written_gaps(line, text, [0.99] * len(text), centres)
    assert spaced == "ab_cd@e.cn" and len(chars) == len(spaced)
    # Put back as a guess: the address goes to review, whatever a second reading says.
    assert chars[2] < 0.9


def test_the_same_blank_in_words_that_are_no_address_is_no_gap():
    # Guard: in a line of text, only a blank a whole character wide is a gap the writer left.
    text = "abcdefgh"
    line, centres = _letters_line(1, len(text), 12)
    assert with_written_gaps(line, text, [0.99] * len(text), centres)[0] == text


def test_options_parted_by_slashes_with_no_box_are_not_taken_as_ticked_unchecked():
    # "√线上志愿服务/线下志愿服务/精准对接": the slashes may part the options
    # as well as tick them, and no box in the ink says which: to review.
    ink = np.zeros((30, 600), np.uint8)
    text, confidence = tick_marks.rewrite("√线上志愿服务/线下志愿服务/精准对接", ink, 30, 0.95)
    assert text.startswith("☑线上志愿服务") and confidence < 0.8


def test_a_look_alike_of_a_box_ending_the_label_stays_in_it():
    # "所在区" ends in 区, which OCR also makes of a ticked box.
    assert cell_hints.options_label("所在区 口政策解读 区数字化转型 口智能制造") == "所在区"
