"""What a phone photo's OCR gets wrong, and how the form still comes out right or flagged.

A photographed form is read worse than a scan: the recogniser takes a rare
character for its common look-alike (季 as 李, 彧 as 或, an address's j as
i) and a second engine agrees with it; it reads a label one character off
(党派面貌 as 觉派面貌) and the label's answer is lost; a check mark written
instead of a box comes out as "/"; two answers in one cell run together
with a bracketed note between them. Each case is read right, or flagged
for staff — never presented as right when it may not be.
"""
from __future__ import annotations

import numpy as np

from parsers.ocr.engines import DOUBTED, LineReading, RapidEngine, correct
from parsers.ocr.engines.readings import correct_lines
from parsers.ocr.engines.base import OcrEngine
from parsers.ocr.tick_marks import rewrite
from parsers.text.assemble import rows_to_results
from parsers.text.labels import label_index
from parsers.schema import load_schema
from parsers.text.fields import normalise
from parsers.text.misread_labels import misread_label, row_with_labels_restored, with_label_restored
from parsers.text.pairs import read_pairs
from parsers.text.rows import TextRow
from parsers.text.ticked_options import named_options


class AgreeingSecondOpinion(OcrEngine):
    """A second engine that reads every cell exactly as RapidOCR did: it shares its look-alikes."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def read_cells(self, items):
        return [(text, 0.99) for text in self.texts[:len(items)]]


def cell_image() -> np.ndarray:
    image = np.full((40, 200), 255, np.uint8)
    image[10:30, 10:190] = 0
    return image


def engine_reading(text: str, probabilities: list[float]) -> RapidEngine:
    engine = RapidEngine(second_opinion=True, second=AgreeingSecondOpinion([text]))
    engine.recognise_chars = lambda crops: [LineReading(text, sum(probabilities) / len(probabilities), probabilities)
                                            for _ in crops]
    engine.recognise_wide = engine.recognise_chars  # the wide recogniser reads a name the same
    return engine


# -- look-alikes both engines read alike ----------------------------------------

def test_a_quite_unsure_character_stays_doubted_though_tesseract_reads_it_the_same():
    # "每季度…" read as "每李度…": 李 at 0.88, and Tesseract also reads 李.
    engine = engine_reading("每李度集中服务", [0.98, 0.88, 0.99, 0.99, 0.99, 0.99, 0.99])
    [(text, confidence)] = engine.read_cells([(cell_image(), "chinese")])
    assert text == "每李度集中服务" and confidence <= DOUBTED


def test_a_doubt_tesseract_confirms_on_a_fairly_sure_character_is_lifted():
    engine = engine_reading("每季度集中服务", [0.98, 0.93, 0.99, 0.99, 0.99, 0.99, 0.99])
    [(_, confidence)] = engine.read_cells([(cell_image(), "chinese")])
    assert confidence > 0.9


def test_an_email_letter_read_unsurely_keeps_the_address_in_review():
    # zjexpert83 read as "ziexpert83" (i at 0.86) by both engines.
    address = "ziexpert83@126.com"
    probabilities = [0.99] * len(address)
    probabilities[1] = 0.86
    engine = engine_reading(address, probabilities)
    image = cell_image()
    engine.read_cells([(image, "chinese")])
    [(text, confidence)] = engine.read_cells([(image, "email")])  # read again with its label's hint
    assert text == address and confidence <= DOUBTED


def test_a_name_character_short_of_near_certain_is_doubted():
    # 庞彧 read as "庞或" with 或 at 0.95: sure enough for running text, not for a name.
    engine = engine_reading("庞或", [0.99, 0.951])
    image = cell_image()
    [(_, first)] = engine.read_cells([(image, "chinese")])
    [(text, confidence)] = engine.read_cells([(image, "name")])
    assert first > 0.9 and text == "庞或" and confidence <= DOUBTED


def test_a_name_read_with_certainty_is_trusted():
    engine = engine_reading("龙晓燕", [0.998, 1.0, 0.998])
    image = cell_image()
    engine.read_cells([(image, "chinese")])
    [(_, confidence)] = engine.read_cells([(image, "name")])
    assert confidence > 0.95


# -- a label read one character off ------------------------------------------

def test_a_label_read_one_character_off_is_put_right():
    index = label_index()
    assert misread_label(index, "觉派面貌") == "党派面貌"
    assert misread_label(index, "专业领城") == "专业领域"
    assert with_label_restored(index, "觉派面貌：民进会员") == "党派面貌：民进会员"


def test_answers_and_real_labels_are_left_as_read():
    index = label_index()
    for text in ("汉族", "回族", "维吾尔族", "民盟盟员", "政治面貌", "经济师", "居蕙兰", "湛江市逐溪县",
                 "管理学学士", "根据企业需求灵活安排"):
        assert misread_label(index, text) is None, text


def above_layout(label_row: tuple[str, ...]) -> list[TextRow]:
    """Labels in one row, their answers in the next."""
    return [TextRow(("湛江市中小企业志愿服务专家报名表",)),
            TextRow(("姓名", "性别", "出生年月"), True, False, True),
            TextRow(("黄建华", "男", "1991年12月"), True),
            TextRow(label_row, True),
            TextRow(("汉", "九三学社社员", "大学本科/学士"), True)]


def test_a_misread_label_over_its_answer_keeps_the_answers_in_their_fields():
    as_read = ("民族", "觉派面貌", "学历/学位")
    lost = rows_to_results(above_layout(as_read), "ocr-test", review_below=0.8)[0].fields
    assert "political_status" not in lost  # what the misread label cost

    restored = tuple(row_with_labels_restored(label_index(), list(as_read), [1.0, 0.6, 0.97]))
    fields = rows_to_results(above_layout(restored), "ocr-test", review_below=0.8)[0].fields
    assert fields["ethnicity"] == "汉族" and fields["political_status"] == "九三学社社员"
    assert fields["education"] == "大学本科" and fields["degree"] == "学士"


def test_a_two_character_label_is_put_right_only_in_a_labels_place():
    index = label_index()
    row = ["族别", "汉", "觉派", "群众", "学历/学位", "硕士研究生/工商管理硕士"]
    assert row_with_labels_restored(index, row, [1.0, 1.0, 0.6, 1.0, 1.0, 1.0])[2] == "党派"
    # An answer row under its labels has no label's place; nor does a second answer to the field before.
    answers = ["汉族", "回族", "群众"]
    assert row_with_labels_restored(index, answers, [0.6] * 3) == answers
    twice = ["民族", "汉", "回族", "群众"]
    assert row_with_labels_restored(index, twice, [0.6] * 4) == twice


def test_a_label_the_engine_was_sure_of_is_left_as_read():
    assert row_with_labels_restored(label_index(), ["觉派面貌", "群众"], [0.99, 1.0]) == ["觉派面貌", "群众"]


# -- two answers run together ---------------------------------------------------

def test_an_employers_bracketed_legal_form_stays_with_it_when_the_position_runs_on():
    pairs = {pair.key: pair for pair in read_pairs([
        TextRow(("工作单位及职务：", "广东蓝海会计师事务所（普通合伙）高级顾问"), in_table=True)])}
    assert pairs["employer"].raw == "广东蓝海会计师事务所（普通合伙）"
    assert pairs["position"].raw == "高级顾问"


def test_a_gender_run_together_with_the_ethnicity_after_it_splits_on_the_gender():
    # "性别、民族：男/回族" with the "/" lost.
    pairs = {pair.key: pair for pair in read_pairs([TextRow(("性别、民族", "男回族"), in_table=True)])}
    assert (pairs["gender"].raw, pairs["ethnicity"].raw) == ("男", "回族")


# -- check marks read as strokes ------------------------------------------------

LINE_HEIGHT = 28


def ink_with_boxes(count: int) -> np.ndarray:
    """A cell's ink holding ``count`` empty boxes, a character tall."""
    ink = np.zeros((40, 60 * count + 20), np.uint8)
    for number in range(count):
        x = 10 + 60 * number
        ink[5:31, x:x + 26] = 1
        ink[8:28, x + 3:x + 23] = 0
    return ink


def test_check_marks_read_as_strokes_are_ticks_when_the_empty_boxes_leave_room_for_them():
    # "□政策解读 □数字化转型 □智能制造 ✓行业发展 ✓科技创新 □外贸" with the boxes' glyphs lost.
    text = "政策解读数字化转型口智能制造/行业发展√科技创新口外贸"
    written, _ = rewrite(text, ink_with_boxes(4), LINE_HEIGHT, 0.6)
    assert written == "□政策解读 □数字化转型 □智能制造 ☑行业发展 ☑科技创新 □外贸"


def test_a_stroke_is_no_tick_when_the_option_has_an_empty_box_of_its_own():
    # Five empty boxes for six options, one plainly ticked: the stroke before 行业发展 is no check mark.
    text = "政策解读数字化转型口智能制造/行业发展√科技创新口外贸"
    written, confidence = rewrite(text, ink_with_boxes(5), LINE_HEIGHT, 0.6)
    assert "□行业发展" in written and "☑科技创新" in written


# -- what a wrapped line does to a cell -----------------------------------------

def test_a_character_wrapped_onto_a_line_of_its_own_and_read_unsurely_leaves_the_cell_doubted_not_lost():
    # "学历（学位）：博士研究生/博" then "士" alone on the next line, read at 0.26.
    image = np.full((80, 400), 255, np.uint8)
    image[10:30, 10:390] = 0
    image[50:70, 10:30] = 0
    engine = RapidEngine(second_opinion=True, second=AgreeingSecondOpinion(["学历（学位）：博士研究生/博士"]))
    readings = iter([LineReading("学历（学位）：博士研究生/博", 0.99, [0.99] * 14), LineReading("士", 0.26, [0.26])])
    engine.recognise_chars = lambda crops: [next(readings) for _ in crops]
    engine.recognise_wide = lambda crops: None  # the rule stands without the wide recogniser
    [(text, confidence)] = engine.read_cells([(image, "chinese")])
    assert text == "学历（学位）：博士研究生/博\n士"
    assert 0.5 <= confidence <= DOUBTED  # kept, and flagged


def test_a_bracket_alone_on_a_line_does_not_make_the_cell_unreadable():
    # "办公电话：（0759）2032094" wrapped after the bracket, which reads as "【" at 0.39.
    image = np.full((120, 400), 255, np.uint8)
    image[10:30, 10:200] = 0
    image[45:70, 10:20] = 0
    image[85:105, 10:390] = 0
    engine = RapidEngine(second_opinion=True, second=AgreeingSecondOpinion(["办公电话：\n(\n0759)2032094"]))
    readings = iter([LineReading("办公电话：", 0.99, [0.99] * 5), LineReading("【", 0.39, [0.39]),
                     LineReading("0759)2032094", 0.99, [0.99] * 12)])
    engine.recognise_chars = lambda crops: [next(readings) for _ in crops]
    engine.recognise_wide = lambda crops: None  # the rule stands without the wide recogniser
    [(text, confidence)] = engine.read_cells([(image, "chinese")])
    assert 0.5 <= confidence <= DOUBTED  # kept, not lost; the bracket's shape is Tesseract's to confirm
    assert normalise(load_schema().spec_for("office_phone"), text.split("：", 1)[1]) == "0759-2032094"


def test_an_area_code_in_brackets_of_any_shape_is_an_area_code():
    spec = load_schema().spec_for("office_phone")
    for written in ("【0759】2032094", "[0759]2032094", "(0759) 2032094"):
        assert normalise(spec, written) == "0759-2032094", written


def test_options_listed_with_a_colon_read_for_the_comma_between_them():
    options = load_schema().spec_for("expertise").options
    assert named_options("外贸：法律；企业管理", options) == ["外贸", "法律", "企业管理"]
    assert named_options("其他：无人机", options) is None  # "其他" and the applicant's own words: as written


def test_a_work_historys_semicolon_read_as_a_colon_is_put_back():
    read = "2005年—2014年某大型制造企业从事外贸相关工作：2014年至今广东海洋大学副教授。"
    assert correct(read, "chinese") == "2005年—2014年某大型制造企业从事外贸相关工作；2014年至今广东海洋大学副教授。"
    for colon_meant in ("任职时间：2014年至今", "主要工作经历：2005年—2014年某企业", "2005年—2014年某企业：负责外贸"):
        assert correct(colon_meant, "chinese") == colon_meant
    # The semicolon at the end of a line, the next period on the next.
    lines = ["2012年—2019年湛江某外贸公司从事政策解读相关工作：", "2019年至今某律师事务所合伙人。"]
    assert correct_lines(lines, "chinese") == "2012年—2019年湛江某外贸公司从事政策解读相关工作；\n2019年至今某律师事务所合伙人。"


def test_a_label_run_on_after_the_answer_before_it_is_found():
    index = label_index()
    hits = index.find_labels("学位：学士专业技术资格：税务师")
    assert [(hit.label.key, hit.text) for hit in hits] == [("degree", "学位"), ("title", "专业技术资格")]
    hits = index.find_labels("熟悉财税等业务，能为中小企业提供咨询与辅导。个人履历：1994年至今某公司会计")
    assert [(hit.label.key, hit.text) for hit in hits] == [("experience", "个人履历")]
    # A label the form lists stays whole; prose before a colon is no label.
    assert [hit.text for hit in index.find_labels("工作单位名称：某公司")] == ["工作单位名称"]
    assert index.find_labels("熟悉财税业务：包括申报与筹划") == []


def test_a_line_holding_a_symbol_is_a_misread_character_and_counts():
    # "所获学位：【工商管理硕" then "±)" for "士)": the symbol is no punctuation to overlook.
    image = np.full((80, 400), 255, np.uint8)
    image[10:30, 10:390] = 0
    image[50:70, 10:40] = 0
    engine = RapidEngine(second_opinion=False)
    readings = iter([LineReading("所获学位：【工商管理硕", 0.98, [0.98] * 11), LineReading("±)", 0.55, [0.4, 0.7])])
    engine.recognise_chars = lambda crops: [next(readings) for _ in crops]
    engine.recognise_wide = lambda crops: None  # the rule stands without the wide recogniser
    [(_, confidence)] = engine.read_cells([(image, "chinese")])
    assert confidence < 0.6


# -- a closed list of answers -------------------------------------------------------

def county_form(county: str) -> list[TextRow]:
    return [TextRow(("湛江市中小企业志愿服务专家报名表",)),
            TextRow(("姓名", "张喆", "所在县（市、区）", county), True, False, True)]


def test_a_county_read_one_character_off_is_its_option_and_goes_to_review():
    # 遂溪 read as "逐溪": the recogniser hardly knows 遂.
    result = rows_to_results(county_form("湛江市逐溪县"), "ocr-test", review_below=0.8)[0]
    assert result.fields["county"] == "遂溪县"
    assert "county" in result.needs_review
    assert any("最接近的选项记为“遂溪县”" in warning for warning in result.warnings)


def test_a_county_one_character_off_two_options_is_left_as_read():
    result = rows_to_results(county_form("雷川市"), "ocr-test", review_below=0.8)[0]  # 雷州市 or 吴川市?
    assert result.fields["county"] == "雷川市" and "county" in result.needs_review


def test_a_work_history_read_over_two_rows_gets_its_semicolon_back_but_a_typed_one_keeps_its_colon():
    rows = [TextRow(("湛江市中小企业志愿服务专家报名表",)),
            TextRow(("姓名", "张喆"), True, False, True),
            TextRow(("主要工作经历", "1994年—2000年深圳某科技公司从事会计工作："), True),
            TextRow(("", "2000年至今广东海洋大学系主任。"), True)]
    read = rows_to_results(rows, "ocr-test", review_below=0.8)[0].fields["experience"]
    typed = rows_to_results(rows, "docx")[0].fields["experience"]
    assert read == "1994年—2000年深圳某科技公司从事会计工作；\n2000年至今广东海洋大学系主任。"
    assert typed == "1994年—2000年深圳某科技公司从事会计工作：\n2000年至今广东海洋大学系主任。"


def test_a_cell_of_nothing_but_a_mark_read_unsurely_stays_unreadable():
    # The photo box of the form: the picture's edge read as "?" at 0.3.
    image = np.full((60, 200), 255, np.uint8)
    image[10:40, 10:40] = 0
    engine = RapidEngine(second_opinion=False)
    engine.recognise_chars = lambda crops: [LineReading("?", 0.3, [0.3]) for _ in crops]
    [(_, confidence)] = engine.read_cells([(image, "chinese")])
    assert confidence < 0.5
