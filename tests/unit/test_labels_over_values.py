"""A row of labels over a row of answers, the answers' row cut into more
cells than the labels' (a photo's grid took a bold bracket for a rule)."""
from __future__ import annotations

from parsers.text.pairs import read_pairs
from parsers.text.rows import SourceBox, TextRow


def row(*cells: tuple[str, float, float]) -> TextRow:
    return TextRow(tuple(text for text, _, _ in cells), in_table=True,
                   boxes=tuple(SourceBox(1, (x0, 100.0, x1, 120.0)) for _, x0, x1 in cells))


def test_answers_go_under_the_labels_they_stand_below():
    labels = row(("姓名", 0, 100), ("性别", 100, 200), ("出生年月", 200, 300), ("政治面貌", 300, 400))
    answers = row(("吴俊杰", 5, 95), ("[男]", 105, 160), ("", 165, 195), ("1967年4月", 205, 295),
                  ("（共青团员", 305, 380), ("）", 382, 398))
    pairs = {pair.key: pair.raw for pair in read_pairs([labels, answers])}
    assert pairs == {"name": "吴俊杰", "gender": "男", "birth_date": "1967年4月", "political_status": "（共青团员 ）"}


def test_an_answer_under_no_label_leaves_the_rows_as_read():
    labels = row(("姓名", 0, 100), ("性别", 100, 200))
    answers = row(("吴俊杰", 5, 95), ("男", 105, 195), ("备注", 210, 260))
    pairs = {pair.key: pair.raw for pair in read_pairs([labels, answers])}
    # Not guessed into columns: the labels are read as labels without answers (flagged as empty).
    assert pairs["name"] == "" and pairs["gender"] == ""


def test_a_label_cut_in_two_by_the_grid_still_heads_its_answer():
    # "姓名（中文）" cut at its bracket: an empty cell after "姓名（中文", the closing bracket lost.
    labels = row(("姓名（中文", 0, 90), ("", 90, 100), ("性别", 100, 200), ("出生年月", 200, 300))
    answers = row(("黄建华", 5, 95), ("男", 105, 195), ("1991年12月", 205, 295))
    pairs = {pair.key: pair.raw for pair in read_pairs([labels, answers])}
    assert pairs == {"name": "黄建华", "gender": "男", "birth_date": "1991年12月"}


def test_an_empty_cell_with_no_place_on_the_page_does_not_break_the_columns():
    # The photo's column, merged down from the rows above, leaves a cell with no box in both rows.
    labels = TextRow(("民族", "政治面貌", "学历", ""), in_table=True,
                     boxes=(SourceBox(1, (288, 0, 555, 20)), SourceBox(1, (566, 0, 834, 20)),
                            SourceBox(1, (846, 0, 1115, 20)), None))
    answers = TextRow(("（黎族）", "（共青团员）", "", "大专", "", ""), in_table=True,
                      boxes=(SourceBox(1, (289, 30, 554, 50)), SourceBox(1, (565, 30, 834, 50)),
                             SourceBox(1, (846, 30, 863, 50)), SourceBox(1, (875, 30, 940, 50)),
                             SourceBox(1, (952, 30, 1115, 50)), None))
    pairs = {pair.key: pair.raw for pair in read_pairs([labels, answers])}
    assert pairs["ethnicity"] == "（黎族）" and pairs["political_status"] == "（共青团员）" and pairs["education"] == "大专"
