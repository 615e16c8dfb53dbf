"""A label and its answer with no gap between them ("姓名陈翊"), as OCR
reads a paragraph form whose answers were set off by wide spaces."""
from __future__ import annotations

from parsers.text.glued_labels import GLUED_UNSURE
from parsers.text.pairs import read_pairs
from parsers.text.rows import TextRow


def pairs_of(*rows: tuple[str, ...], in_table: bool = False) -> dict:
    return {pair.key: pair for pair in read_pairs([TextRow(cells, in_table=in_table) for cells in rows])}


def test_a_paragraph_form_read_without_its_gaps_gives_every_answer():
    pairs = pairs_of(
        ("姓名陈翊", "性别女"),
        ("出生年月（年龄）", "1966年5月56岁", "民族瑶族"),
        ("最高学历大学本科",),
        ("移动电话159-7641-3911", "办公电话(选填）0759 2714412"),
        ("工作单位广东南港智能制造有限公司", "职务首席会计师"),
    )
    assert {key: pair.raw for key, pair in pairs.items()} == {
        "name": "陈翊", "gender": "女", "birth_date": "1966年5月56岁", "ethnicity": "瑶族", "education": "大学本科",
        "mobile": "159-7641-3911", "office_phone": "0759 2714412", "employer": "广东南港智能制造有限公司",
        "position": "首席会计师",
    }


def test_the_cut_is_trusted_only_when_something_confirms_it():
    pairs = pairs_of(("姓名陈翊", "性别女"), ("民族瑶族",), ("职务首席会计师",), ("办公电话0759 2714412",))
    # The next label in the row, an answer word (族 is no label word; 0759… a number) confirm the cut.
    assert pairs["name"].review_reason is None
    assert pairs["office_phone"].review_reason is None
    # "职务首席会计师" alone on its line: "职务首席" could be the label.
    assert pairs["position"].review_reason == GLUED_UNSURE.format(label="职务")


def test_a_label_with_its_answer_beside_it_is_a_label_however_it_reads():
    # An unlisted wording that starts like a listed one ("职称等级"), its answer in the next cell.
    pairs = pairs_of(("职称等级", "高级工程师"), in_table=True)
    assert pairs["title"].raw == "高级工程师" and pairs["title"].review_reason is None


def test_an_answer_that_starts_like_a_label_stays_whole():
    # The cell after a label waiting for its answer is that answer, not a new label.
    pairs = pairs_of(("辅导企业情况", "辅导企业20家"), in_table=True)
    assert pairs["achievements"].raw == "辅导企业20家"
