"""Forms whose table the usual reading loses, read anyway.

A .doc or .wps whose table LibreOffice cannot see (a converter that saved it
from a .docx with check boxes in its cells dropped the "in a table" marks)
came out as no form at all: its cells are read from the file's own text.
In a PDF, a label on a line of its own over its answer in one cell keeps
the line break that sets it apart, as the Word file does.
"""
from __future__ import annotations

import io
import shutil

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from parsers import parse
from parsers.readers.pdf import _cell_text
from parsers.readers.word97_text import UNREADABLE_MARK, rows_from_word97_text

# The text of a .doc whose table LibreOffice lost: each cell ends with \x07,
# each row with one more; paragraphs end with \r.
WORD97_TEXT = (
    "湛江市中小企业志愿服务专家报名表\r"
    "＊姓 名\x07莫喆\x07＊性别、民族\x07男/汉族\x07出生年月（年龄）\x071983年11月\u300041\x07贴照片处\x07\x07"
    "政治身份\x07九三学社社员\x07最高学位\x07硕士\x07\x07\x07"
    "＊身份证件号码\x07440902198311076433\x07\x07"
    "所在单位\x07雷州市中粤水产食品股份有限公司\x07＊区县（市）\x07赤坎\x07\x07"
    "＊联系手机\x0719956734122\x07E-mail\x077900755982@foxmail.com\x07\x07"
    "＊专业领域\x07☒政策解读\u3000☐数字化转型\u3000☒会计\x07\x07"
    "＊服务形式\x07\x13 FORMCHECKBOX \x01\x14\x01\x15线上志愿服务\u3000☐线下志愿服务\x07\x07"
    "主要工作经历\x072008年—2011年\u3000湛江市属国有企业\r2011年至今\u3000雷州市中粤水产食品股份有限公司\x07\x07"
    "本人承诺：以上所填内容真实、准确。\r"
)


def test_cells_and_rows_are_read_from_the_word_files_own_text():
    rows = rows_from_word97_text(WORD97_TEXT)
    assert rows[0].cells == ("湛江市中小企业志愿服务专家报名表",) and not rows[0].in_table
    assert rows[1].cells[:4] == ("＊姓 名", "莫喆", "＊性别、民族", "男/汉族") and rows[1].starts_table
    assert ("主要工作经历", "2008年—2011年\u3000湛江市属国有企业\n2011年至今\u3000雷州市中粤水产食品股份有限公司") in [
        row.cells for row in rows]
    assert rows[-1].cells == ("本人承诺：以上所填内容真实、准确。",) and not rows[-1].in_table


def test_a_form_read_from_the_word_text_reads_every_field_and_a_check_box_field_goes_to_review():
    from parsers.text.assemble import rows_to_results

    [result] = rows_to_results(rows_from_word97_text(WORD97_TEXT), method="docx")
    assert result.fields["name"] == "莫喆" and result.fields["county"] == "赤坎区"
    assert result.fields["id_number"] == "440902198311076433"
    assert result.fields["expertise"] == ["政策解读", "会计"]
    assert result.fields["experience"] == "2008年—2011年 湛江市属国有企业\n2011年至今 雷州市中粤水产食品股份有限公司"
    # A legacy check-box field keeps its state in formatting the text does not hold.
    assert UNREADABLE_MARK in "".join(cell for row in rows_from_word97_text(WORD97_TEXT) for cell in row.cells)
    assert "service_modes" in result.needs_review


# The same form with each label over its answer, a long answer on lines of
# its own in one cell, and the photo's column merged down beside the labels.
LABELS_ABOVE_WORD97_TEXT = (
    "湛江市中小企业志愿服务专家报名表\r"
    "姓名\x07性别\x07出生年月\x07（照片）\x07\x07莫喆\x07男\x071983年11月\x07\x07\x07"
    "\x07学位\x07技术职称\x07\x07硕士\x07税务师\x07\x07"
    "主要工作经历\x07\x07"
    "2001年—2008年\u3000湛江市属国有企业\r2008年—2011年\u3000某律师事务所\r2011年至今\u3000雷州市中粤税务师事务所\x07\x07"
    "服务中小企业业绩\x07\x07近三年累计辅导中小企业50家；\r参与编写《湛江市外贸工作指引》。\x07\x07"
    "服务时间安排\x07工作日晚上及周末\x07\x07"
)


def test_a_long_answer_under_its_label_keeps_every_line_and_goes_to_review():
    """Without the "in a table" marks, the lines of a row's first cell look
    like paragraphs before a table but the last: every line is kept, and as
    where the answer ends is read rather than known, staff check it."""
    from parsers.text.assemble import rows_to_results

    [result] = rows_to_results(rows_from_word97_text(LABELS_ABOVE_WORD97_TEXT), method="docx")
    assert result.fields["experience"] == (
        "2001年—2008年 湛江市属国有企业\n2008年—2011年 某律师事务所\n2011年至今 雷州市中粤税务师事务所")
    assert result.fields["achievements"] == "近三年累计辅导中小企业50家；\n参与编写《湛江市外贸工作指引》。"
    assert {"experience", "achievements"} <= set(result.needs_review)
    assert result.fields["available_time"] == "工作日晚上及周末" and "available_time" not in result.needs_review


def test_labels_beside_the_photos_column_read_the_answers_below_them():
    from parsers.text.assemble import rows_to_results

    [result] = rows_to_results(rows_from_word97_text(LABELS_ABOVE_WORD97_TEXT), method="docx")
    assert (result.fields["degree"], result.fields["title"]) == ("硕士", "税务师")
    assert (result.fields["name"], result.fields["birth_date"]) == ("莫喆", "1983-11")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_a_doc_whose_table_libreoffice_loses_still_gives_its_form():
    from devtools.samples.layouts import draw_file
    from devtools.samples.layouts.space import sub_seed
    from devtools.samples.scans import docx_to

    drawn = draw_file(sub_seed(2, "file", 15))  # six columns, a photo cell, check boxes in the cells
    [result] = parse("报名表.doc", docx_to("doc", drawn.docx))
    for key, want in drawn.truths[0].items():
        got = result.fields.get(key)
        if isinstance(want, str) and "\n" in want:  # a long answer: line breaks and padding aside
            got, want = "".join(str(got).split()), "".join(want.split())
        assert got == want, key
    assert any("原始文字" in warning for warning in result.warnings)


@pytest.mark.parametrize("cell,text", [
    ("业务专长\n熟悉政策解读、外贸等业务，能为中小企业提供\n咨询与辅导。",
     "业务专长\n熟悉政策解读、外贸等业务，能为中小企业提供咨询与辅导。"),
    ("个人专长（限\n200字）\n熟悉会计业务。", "个人专长（限200字）\n熟悉会计业务。"),
    ("政治身\n份", "政治身份"), ("专长及研究\n方向", "专长及研究方向"), ("＊身份证件号\n码", "＊身份证件号码"),  # a label wrapped in its own cell
    ("姓名（中\n文）：钟昊", "姓名（中文）：钟昊"),  # the colon sets the label apart
    ("广东省湛江市赤坎区乐山路\n95号", "广东省湛江市赤坎区乐山路95号"),
])
def test_a_pdf_cell_keeps_the_break_after_a_label_on_lines_of_its_own(cell, text):
    assert _cell_text(cell) == text


def test_a_pdf_with_the_label_over_its_answer_in_one_cell_reads_the_answer():
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setFont("STSong-Light", 11)
    canvas.drawString(150, 800, "湛江市中小企业志愿服务专家报名表")
    rows = [("姓名", "张喆"), ("身份证号码", "440902198311076433"), ("手机", "13800138000")]
    top = 760
    for number, (label, value) in enumerate(rows):
        y = top - 24 * number
        canvas.drawString(66, y - 16, label)
        canvas.drawString(186, y - 16, value)
    long_top = top - 24 * len(rows)
    canvas.drawString(66, long_top - 16, "业务专长")
    canvas.drawString(66, long_top - 32, "熟悉财税业务。")
    bottom = long_top - 40
    for y in [top - 24 * n for n in range(len(rows) + 1)] + [bottom]:
        canvas.line(60, y, 480, y)
    canvas.line(60, top, 60, bottom)
    canvas.line(480, top, 480, bottom)
    canvas.line(180, top, 180, long_top)
    canvas.save()
    [result] = parse("报名表.pdf", buffer.getvalue())
    assert result.fields["name"] == "张喆" and result.fields["specialty"] == "熟悉财税业务。"
