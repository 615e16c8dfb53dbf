"""A file that is plainly the form never comes back as "no form".

When too little is read to be sure what is where (a layout the reader does
not know, a poor scan), staff still get an application: every field that
was read, each one to check, and a warning saying why. A résumé, which
shares the name and phone but not the form's questions, is still no form.
"""
from __future__ import annotations

import io

import docx
import numpy as np
import pytest

from devtools.samples.forms import build_form_pdf, build_non_form_docx, sample_applicants
from devtools.samples.scans import render_pages
from parsers import parse
from parsers.text.assemble import PARTIAL_FORM, rows_to_results
from parsers.text.rows import TextRow

TITLE = TextRow(("湛江市中小企业志愿服务专家报名表",))
PARTIAL_WARNING = PARTIAL_FORM.split("{count}")[0]


def png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def table(*rows):
    return [TextRow(tuple(cells), True, False, number == 0) for number, cells in enumerate(rows)]


def test_the_title_and_one_readable_field_give_a_form_to_check():
    [result] = rows_to_results([TITLE, *table(("姓名", "张喆"), ("（无法识别的一大段）", ""))], "docx")
    assert result.fields == {"name": "张喆"}
    assert result.needs_review == ["name"]
    assert result.warnings[0].startswith(PARTIAL_WARNING)
    assert result.confidence["name"] <= 0.5


def test_three_labels_with_one_of_the_forms_own_questions_give_a_form_without_a_title():
    rows = table(("姓名", "张喆"), ("所在县（市、区）", "赤坎区"), ("手机号码", "13309897541"))
    [result] = rows_to_results(rows, "pdf-text")
    assert result.fields == {"name": "张喆", "county": "赤坎区", "mobile": "13309897541"}
    assert result.needs_review == ["name", "county", "mobile"]
    assert any(warning.startswith(PARTIAL_WARNING) for warning in result.warnings)


def test_a_call_for_applications_naming_the_form_is_not_a_form():
    rows = [TextRow(("关于征集湛江市中小企业志愿服务专家的通知",)),
            TextRow(("请于9月30日前将报名表发送至指定邮箱。",)),
            TextRow(("附件：湛江市中小企业志愿服务专家报名表",))]
    assert rows_to_results(rows, "docx") == []


def test_a_resume_is_still_not_a_form():
    rows = [TextRow((line,)) for line in ("个人简历", "姓名：王晓明", "手机：13800138000", "邮箱：wangxm@example.com",
                                           "工作经历", "2009年至今 湛江某制造企业 财务主管")]
    assert rows_to_results(rows, "docx") == []
    assert parse("简历.docx", build_non_form_docx()) == []


def test_a_whole_form_is_not_called_partial():
    [result] = parse("form.pdf", build_form_pdf(sample_applicants(1)[0]))
    assert not any(warning.startswith(PARTIAL_WARNING) for warning in result.warnings)


def test_a_word_file_with_the_title_and_little_else_is_a_form_to_check():
    document = docx.Document()
    document.add_paragraph("湛江市中小企业志愿服务专家报名表")
    document.add_paragraph("姓名：李明")
    document.add_paragraph("（表格内容为图片，无法读取）")
    out = io.BytesIO()
    document.save(out)
    [result] = parse("报名表.docx", out.getvalue())
    assert result.fields == {"name": "李明"} and result.needs_review == ["name"]
    assert result.warnings[0].startswith(PARTIAL_WARNING)


def test_a_photo_whose_outline_was_not_the_sheet_is_read_whole(monkeypatch):
    pytest.importorskip("rapidocr_onnxruntime")
    applicant = sample_applicants(1)[0]
    page = render_pages(build_form_pdf(applicant), 200)[0]
    width, height = page.size
    # The outline "found" is a patch of the page's lower margin: the form is not in it.
    wrong = np.array([[0.1 * width, 0.85 * height], [0.9 * width, 0.85 * height],
                      [0.9 * width, 0.98 * height], [0.1 * width, 0.98 * height]], dtype=np.float32)
    monkeypatch.setattr("parsers.ocr.geometry.find_sheet", lambda grey: wrong)
    [result] = parse("IMG_2001.png", png(page))
    assert result.fields["name"] == applicant.name
    assert result.fields["id_number"] == applicant.id_number
    x0, top, x1, bottom = result.source["name"]["box"]
    assert bottom < 0.5 * height  # a box on the whole picture, not on the patch


def test_a_line_of_a_long_answer_ocr_could_not_read_sends_the_answer_to_review():
    from parsers.text.pairs import read_pairs

    rows = [TextRow(("主要工作经历：",)), TextRow(("2015年—2019年深圳某科技公司从事会计相关工作；",)),
            TextRow(("",), confidences=(0.0,)),  # ink there, nothing readable
            TextRow(("2019年至今廉江市金沙湾管理咨询有限公司部门经理。",))]
    [pair] = [pair for pair in read_pairs(rows) if pair.key == "experience"]
    assert pair.confidence == 0.0


def test_an_unsure_reading_that_is_one_of_the_forms_labels_is_kept():
    from parsers.ocr.cell_text import reads_as_label

    # Dropped, it would run the answer above into the one below it.
    assert reads_as_label("主要工作经历（限500字）··")
    assert not reads_as_label("熟悉会计等业务") and not reads_as_label("")
