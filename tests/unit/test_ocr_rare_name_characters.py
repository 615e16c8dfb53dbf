"""Names written with characters the main recogniser does not know.

禤, 琤, 赟, 燊 and 翀 are not among PP-OCRv4's characters at all, and 冼, 彧,
垚 it reads as their common look-alikes (洗, 或, 逵) or drops: the name of
one applicant in five on the tuning draws came out wrong, flagged at best
(钟或 once passed as sure). A name cell is read again by PP-OCRv6's
recogniser, which knows them; where the two disagree its Chinese characters
win and the name goes to review. In other fields (an address's 椹川 read
楼川) only the characters the main recogniser doubted are read again.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from devtools.samples.scans import has_font, load_font
from parsers.ocr.engines import DOUBTED, LineReading, RapidEngine
from parsers.ocr.engines.wide_charset import corrected_name, doubtful_characters_replaced, merge_reading, model_path

# The main recogniser's characters, as far as these tests go: simplified Chinese.
KNOWN = frozenset("钟或彧梓轩榻柯陈明欧阳资赞冯嘉欣昇升洗冼晞专家姓名申报人黄")


def merged(mine: str, theirs: str, probabilities: list[float] | None = None) -> tuple[str, bool]:
    probabilities = probabilities or [0.99] * len(theirs)
    chars, disagreed = merge_reading([(ch, 0.99) for ch in mine], list(zip(theirs, probabilities)), KNOWN)
    return "".join(ch for ch, _ in chars), disagreed


def test_a_character_the_main_recogniser_does_not_know_is_taken_from_the_wide_one():
    assert merged("榻梓轩", "禤梓轩", [0.66, 0.99, 0.99]) == ("禤梓轩", True)


def test_a_common_look_alike_gives_way_to_the_rare_character():
    assert merged("申报人：钟或", "申报人：钟彧", [1, 1, 1, 0.99, 1, 0.68]) == ("申报人：钟彧", True)


def test_a_character_the_main_recogniser_dropped_is_put_back_however_unsure():
    # 琤 read at 0.27: a guess, but the name without it is wrong for certain.
    assert merged("*专家姓名： 柯", "*专家姓名：柯琤", [0.98, 1, 1, 1, 1, 0.99, 1, 0.27]) == ("*专家姓名： 柯琤", True)
    assert merged("欧阳", "欧阳赟") == ("欧阳赟", True)
    # A misread and a dropped character at once.
    assert merged("申报人：洗", "申报人：冼燊") == ("申报人：冼燊", True)


def test_an_unsure_reading_replaces_nothing_but_still_sends_the_name_to_review():
    assert merged("欧阳资", "欧阳赞", [1.0, 1.0, 0.47]) == ("欧阳资", True)


def test_a_traditional_form_is_read_as_the_simplified_character():
    # 陳 is not among the main recogniser's characters: taken to 陈, it agrees.
    assert merged("陈明", "陳明") == ("陈明", False)


def test_a_simplified_character_is_never_converted():
    # 昇 is a character of its own in names (柯昇); t2s would make it 升.
    assert merged("柯昇", "柯昇") == ("柯昇", False)
    assert merged("柯升", "柯昇") == ("柯昇", True)


def test_brackets_and_spaces_read_differently_are_no_disagreement():
    assert merged("(冯嘉欣)", "（冯嘉欣）") == ("(冯嘉欣)", False)
    assert merged("专家姓名： 冯嘉欣", "专家姓名：冯嘉欣") == ("专家姓名： 冯嘉欣", False)


def test_a_name_both_read_alike_is_doubted_when_the_wide_recogniser_is_unsure():
    # Both read 黄彧 as 黄或, the main recogniser sure of it, the wide one not.
    assert corrected_name("黄或", [LineReading("黄或", 0.95, [1.0, 0.90])], KNOWN) == ("黄或", True)
    assert corrected_name("黄明", [LineReading("黄明", 0.99, [1.0, 0.99])], KNOWN) == ("黄明", False)


# -- the real recognisers on a printed name ------------------------------------------


@pytest.mark.skipif(model_path() is None or not has_font("serif"), reason="the wide recogniser or a CJK font is missing")
@pytest.mark.parametrize("name", ["禤梓轩", "欧阳赟", "林翀"])
def test_a_printed_name_with_a_character_outside_the_main_set_is_read_and_flagged(name):
    font = load_font("serif", 28)
    image = Image.new("L", (40 + round(font.getlength(name)), 48), 255)
    ImageDraw.Draw(image).text((20, 8), name, font=font, fill=0)
    engine = RapidEngine()
    [(text, confidence)] = engine.read_cells([(np.asarray(image), "name")])
    assert text == name and confidence <= DOUBTED


# -- a doubtful character in another field -------------------------------------------


def replaced(mine: list[tuple[str, float]], theirs: str, probabilities: list[float] | None = None) -> tuple[str, bool]:
    probabilities = probabilities or [0.99] * len(theirs)
    chars, changed = doubtful_characters_replaced(mine, list(zip(theirs, probabilities)), KNOWN | set("楼椹川大道李季度"),
                                                  below=0.95)
    return "".join(ch for ch, _ in chars), changed


def test_a_doubtful_character_of_an_address_is_replaced_by_the_wide_reading():
    mine = [(ch, 0.99) for ch in "赤坎区"] + [("楼", 0.62)] + [(ch, 0.99) for ch in "川大道"]
    assert replaced(mine, "赤坎区椹川大道") == ("赤坎区椹川大道", True)


def test_a_character_the_main_recogniser_was_sure_of_is_never_replaced():
    mine = [(ch, 0.99) for ch in "每李度"]
    assert replaced(mine, "每季度") == ("每李度", False)


def test_punctuation_and_missing_characters_are_left_to_the_first_reading():
    mine = [(ch, 0.6) for ch in "每李度，"]
    # The wide reading drops the comma and adds a full stop: only 李 is replaced.
    assert replaced(mine, "每季度。", [0.99, 0.99, 0.99, 0.99]) == ("每季度，", True)
    assert replaced([("李", 0.6)], "季", [0.3]) == ("李", False)  # read unsurely: nothing replaced


# -- in the engine, both recognisers faked ----------------------------------------------


def engine_reading(first: LineReading, wide: LineReading | None) -> tuple[RapidEngine, np.ndarray]:
    """A RapidOCR engine whose main recogniser reads any line as ``first``
    and whose wide one as ``wide`` (None: not installed), and a cell of one line."""
    engine = RapidEngine(second_opinion=False)
    engine.recognise_chars = lambda crops: [first for _ in crops]
    engine.recognise_wide = lambda crops: None if wide is None else [wide for _ in crops]
    cell = np.full((40, 160), 255, np.uint8)
    cell[10:30, 10:150] = 0
    return engine, cell


def test_a_name_the_wide_recogniser_reads_otherwise_is_corrected_and_sent_to_review():
    engine, cell = engine_reading(LineReading("榻梓轩", 0.99, [0.99, 0.99, 0.99]),
                                  LineReading("禤梓轩", 0.9, [0.7, 1.0, 1.0]))
    assert engine.read_cells([(cell, "chinese")])[0] == ("榻梓轩", pytest.approx(0.99))  # not yet known as a name
    [(text, confidence)] = engine.read_cells([(cell, "name")])
    assert text == "禤梓轩" and confidence <= DOUBTED


def test_without_the_wide_recogniser_a_name_is_read_as_before():
    engine, cell = engine_reading(LineReading("钟沁", 0.99, [0.99, 0.99]), None)
    engine.read_cells([(cell, "chinese")])
    assert engine.read_cells([(cell, "name")])[0] == ("钟沁", pytest.approx(0.99))


def test_a_doubtful_character_of_an_employer_is_replaced_and_the_employer_doubted():
    engine, cell = engine_reading(LineReading("广东楼川进出口贸易有限公司", 0.95, [0.99, 0.99, 0.6] + [0.99] * 10),
                                  LineReading("广东椹川进出口贸易有限公司", 0.99, [0.99] * 13))
    [(text, confidence)] = engine.read_cells([(cell, "chinese")])
    assert text == "广东椹川进出口贸易有限公司" and confidence <= DOUBTED
