"""What scans and photos of forms nobody here has seen get wrong, each kind
by the pure rule that puts it right or sends it to review.

A colon set apart after a bracket is read as two dots, a comma in a
sentence as one; a narrow cell wraps "Email" so that its last "l" stands
alone and is taken for a rule's end; the sheet's edge is read as "「" or
"!"; an address's j is read as i, its -ng as -nq, its underscore as a gap,
the o of its host as 0; a plain list of options loses the gaps between
them; a gap before an employer's bracketed note is taken for the gap
between two answers, and the note itself is read a character off; a work
history naming an option twice is taken for a tick list; the line an
answer is written on is read as a dash; a place name of the form is read a
character off; a starred label's long note hides the label.
"""
from __future__ import annotations

import numpy as np

from parsers.ocr.engines import DOUBTED, LineReading, RapidEngine, correct
from parsers.ocr.engines.base import OcrEngine
from parsers.ocr.engines.rapid import _word_tails_joined
from parsers.ocr.engines.readings import correct_lines, is_stray_marks
from parsers.ocr.cell_hints import tick_hints
from parsers.ocr.page import _join_paragraphs, _merge_loose, _Piece
from parsers.schema import load_schema
from parsers.text.cleaning import clean_value
from parsers.text.composite_answers import split_composite
from parsers.text.labels import label_index
from parsers.text.place_names import with_legal_form_restored, with_place_names_restored
from parsers.text.ticked_options import named_options

OPTIONS = {spec.key: spec.options for spec in load_schema().fields if spec.kind == "ticks"}


class SameReading(OcrEngine):
    """A second engine that reads every cell as RapidOCR did."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read_cells(self, items):
        return [(self.text, 0.99) for _ in items]


def _engine(text: str, probabilities: list[float]) -> RapidEngine:
    engine = RapidEngine(second_opinion=True, second=SameReading(text))
    engine.recognise_chars = lambda crops: [LineReading(text, sum(probabilities) / len(probabilities), probabilities)
                                            for _ in crops]
    engine.recognise_wide = engine.recognise_chars  # the wide recogniser reads it the same
    return engine


def _cell() -> np.ndarray:
    image = np.full((40, 200), 255, np.uint8)
    image[10:30, 10:190] = 0
    return image


# -- punctuation and marks ------------------------------------------------------

def test_a_colon_read_as_two_dots_is_a_colon():
    assert correct("主要业绩（近三年）··", "chinese") == "主要业绩（近三年）："
    # Each dot alone on a line of the crop: the colon stood apart from its label.
    assert correct_lines(["·", "·"], "chinese") == "："
    # A name's single dot is writing.
    assert correct("阿依古丽·买买提", "chinese") == "阿依古丽·买买提"


def test_a_corner_bracket_nothing_closes_is_the_sheets_edge():
    assert correct("「熟悉行业发展等业务", "chinese") == "熟悉行业发展等业务"
    assert correct("周末及节假日」", "chinese") == "周末及节假日"
    assert correct("「专精特新」企业", "chinese") == "「专精特新」企业"


def test_lines_of_bars_ones_and_exclamation_marks_are_no_writing():
    for line in ("1 1", "■1", "!", "「", "l"):
        assert is_stray_marks(line), line
    for line in ("11", "2024", "周末", "A"):
        assert not is_stray_marks(line), line


def test_the_letter_a_narrow_cell_wrapped_goes_back_on_its_word():
    readings = [("Emai", 0.99, True, [0.99] * 4), ("1", 0.98, True, [0.98])]
    assert [r[0] for r in _word_tails_joined(readings)] == ["Email"]
    # An address, a sentence or an answer keeps its lines: a "1" under it is a rule's end.
    for first in ("chen@163.com", "熟悉财税", "Room 1", "MBA"):
        readings = [(first, 0.99, True, [0.99] * len(first)), ("1", 0.98, True, [0.98])]
        assert [r[0] for r in _word_tails_joined(readings)] == [first, "1"]


# -- e-mail ---------------------------------------------------------------------

def test_an_i_in_an_address_read_short_of_near_certain_is_doubted():
    # chenjm12 read as "chenim12" by both engines, the i at 0.95: a j's descender lost.
    address = "chenim12@163.com"
    probabilities = [0.99] * len(address)
    probabilities[4] = 0.95
    engine = _engine(address, probabilities)
    engine.read_cells([(_cell(), "chinese")])
    [(text, confidence)] = engine.read_cells([(_cell(), "email")])
    assert text == address and confidence <= DOUBTED


def test_an_address_read_with_certainty_is_trusted():
    address = "zhangwei13@163.com"
    engine = _engine(address, [0.995] * len(address))
    engine.read_cells([(_cell(), "chinese")])
    [(_, confidence)] = engine.read_cells([(_cell(), "email")])
    assert confidence > 0.95


# -- answers ----------------------------------------------------------------------

def test_options_run_together_are_each_named():
    expertise, modes = OPTIONS["expertise"], OPTIONS["service_modes"]
    assert named_options("数字化转型法律", expertise) == ["数字化转型", "法律"]
    assert named_options("线上服务线下精准对接", modes) == ["线上志愿服务", "线下志愿服务", "精准对接"]
    assert named_options("线上服务线下服务对接", modes) == ["线上志愿服务", "线下志愿服务", "精准对接"]
    # A word written once for both, or a part of one of them: nobody can say.
    assert named_options("线上线下服务", modes) is None
    assert named_options("法律咨询", expertise) == ["法律"]


def test_a_gap_before_a_bracketed_note_does_not_part_two_answers():
    assert split_composite("廉江市南港会计师事务所 （普通合伙）部门经理", 2) is None
    assert split_composite("廉江市南港会计师事务所（普通合伙）　部门经理", 2) == [
        "廉江市南港会计师事务所（普通合伙）", "部门经理"]
    assert split_composite("某公司　　总经理", 2) == ["某公司", "总经理"]


def test_the_line_an_answer_is_written_on_is_no_part_of_it():
    assert clean_value("——女——", "gender").text == "女"
    assert clean_value("—上官翀", "name").text == "上官翀"
    assert clean_value("138-4323-3179", "mobile").text == "138-4323-3179"
    # A work history's dashes are its own.
    assert clean_value("2019年—至今", "longtext").text == "2019年—至今"


# -- lines and cells of a page ----------------------------------------------------

def _piece(x0: int, x1: int, text: str, top: int = 100, confidence: float = 0.99) -> _Piece:
    return _Piece((x0, top, x1, top + 36), 0, 0, text=text, confidence=confidence, has_ink=True)


def test_a_speck_at_the_sheets_edge_read_as_a_guess_does_not_make_its_line_wrap():
    # The ID's line ends in a shadow at the photo's right edge, read as a guess:
    # the employer's line under it is a line of its own, not the speck's continuation.
    placed = [(100, 1, None, False, False), (150, 1, None, False, False)]
    rows = [[_piece(212, 754, "身份证号：440106196506263290"), _piece(1826, 1837, "1", confidence=0.3)],
            [_piece(213, 1170, "工作单位/职务：某事务所（普通合伙）部门经理", 150)]]
    placed, rows = _join_paragraphs(placed, rows)
    assert [row[0].text for row in rows] == ["身份证号：440106196506263290", "工作单位/职务：某事务所（普通合伙）部门经理"]


def test_a_work_history_naming_an_option_is_no_tick_list():
    history = _piece(200, 1400, "主要工作经历：1988年—1992年湛江市属国有企业从事会计相关工作；1999年至今某公司会计主管")
    listed = _piece(200, 900, "□法律 ☑财税 □会计", 150)
    tick_hints([[history], [listed]])
    assert history.hint == "chinese" and listed.hint == "ticks"


def test_a_comma_read_as_a_dot_in_a_sentence_is_a_comma():
    assert correct("近三年累计辅导中小企业45家·协助9家企业获评专精特新企业。", "chinese") == (
        "近三年累计辅导中小企业45家，协助9家企业获评专精特新企业。")
    # Not in a name, nor in a line that is no sentence.
    assert correct("阿依古丽·买买提", "chinese") == "阿依古丽·买买提"
    assert correct("阿依古丽·买买提。", "name") == "阿依古丽·买买提。"


def test_the_forms_place_names_read_one_character_off_are_put_right_beside_a_name_read_right():
    assert with_place_names_restored("厂东省湛江市美川市楼川大道231号") == "广东省湛江市吴川市楼川大道231号"
    assert correct("联系地址：广东省堪江市赤坎区", "chinese") == "联系地址：广东省湛江市赤坎区"
    # Alone, or beside no name of this city, a near name may be a real place.
    for text in ("镇江市某公司", "山东省济南市", "康江市中粤管理咨询有限公司"):
        assert with_place_names_restored(text) == text


def test_a_starred_label_with_a_long_note_is_still_its_fields_label():
    index = label_index()
    assert index.find_inline("*擅长领域（可多选，请在口内打V）：会计") == [("expertise", 0, 18)]


def test_a_rules_stub_guessed_as_a_one_neither_joins_nor_doubts_the_line_it_ends():
    # A photo whose table was not found: the line runs up to a column rule, read "1" at 0.42.
    row = [_piece(162, 461, "专业领域：政策解读"), _piece(492, 672, "数字化转型"), _piece(1312, 1330, "1", confidence=0.42)]
    row[-1].box = (690, 100, 708, 136)
    [cell] = _merge_loose(row)
    assert cell.text == "专业领域：政策解读 数字化转型" and cell.confidence > 0.9


def test_a_zero_between_letters_of_a_mail_host_is_an_o():
    assert correct("1474776509@f0xmail.com", "email") == "1474776509@foxmail.com"
    assert correct("a0b@163.com", "email") == "a0b@163.com"  # the mailbox's own name is left as read
    assert correct("x@21cn.com", "email") == "x@21cn.com"


def test_a_partnerships_legal_form_read_one_character_off_is_put_right():
    assert with_legal_form_restored("吴川市南港会计师事务所（晋通合伙）") == "吴川市南港会计师事务所（普通合伙）"
    assert with_legal_form_restored("某事务所（特殊晋通合伙）") == "某事务所（特殊普通合伙）"
    assert with_legal_form_restored("某基金（有通合伙）") == "某基金（有通合伙）"  # one off two forms: as read


def test_an_underscore_read_as_a_gap_in_an_address_is_an_underscore():
    assert correct("huang hz1@139.com", "email") == "huang_hz1@139.com"
    # A narrow cell wrapping the domain is no underscore.
    assert correct("chen@163.co m", "email") == "chen@163.com"


def test_an_ng_read_as_nq_in_an_address_is_put_right_and_still_flagged():
    assert correct("zhanqwei16@139.com", "email") == "zhangwei16@139.com"
    assert correct("wangqm@163.com", "email") == "wangqm@163.com"  # 王秋明: q is an initial after a consonant
    address = "zhanqwei16@139.com"
    engine = _engine(address, [0.995] * len(address))
    engine.read_cells([(_cell(), "chinese")])
    [(text, confidence)] = engine.read_cells([(_cell(), "email")])
    assert text == "zhangwei16@139.com" and confidence <= DOUBTED
