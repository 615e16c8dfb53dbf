"""parse() on PDFs with a text layer."""
from __future__ import annotations

import io

import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from devtools.samples.forms import build_form_pdf, sample_applicants
from parsers import ParseOptions, parse
from parsers.errors import CorruptFile, EncryptedFile, TooLarge, UnsupportedFormat
from parsers.text.rows import unwrap

APPLICANT = sample_applicants(2)[1]
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def pdf_of_lines(pages, encrypt=None):
    """Each page a list of (x, y, text); no ruled table."""
    out = io.BytesIO()
    canvas = Canvas(out, encrypt=encrypt)
    for lines in pages:
        canvas.setFont(FONT, 10)
        for x, y, text in lines:
            canvas.drawString(x, y, text)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_unruled_form_read_from_word_positions():
    lines = [(200, 800, "湛江市中小企业志愿服务专家报名表"), (50, 760, "姓名"), (150, 760, "冼浩"),
             (300, 760, "性别：男"), (50, 740, "所在县（市、区）"), (150, 740, "开发区"),
             (50, 720, "专业领域：■外贸 □法律 ■企业管理"), (50, 700, "服务形式：□线上志愿服务 √精准对接"),
             (50, 680, "电子邮箱：XianHao@QQ.com 手机号码：13912345678")]
    result = parse("a.pdf", pdf_of_lines([lines]))
    assert len(result) == 1
    assert result[0].fields == {
        "name": "冼浩", "gender": "男", "county": "湛江经济技术开发区", "mobile": "13912345678",
        "email": "xianhao@qq.com", "expertise": ["外贸", "企业管理"], "service_modes": ["精准对接"],
    }
    assert result[0].method == "pdf-text"


def test_pdf_resume_is_not_a_form():
    lines = [(50, 800, "个人简历"), (50, 780, "姓名：王晓明"), (50, 760, "求职意向：会计"),
             (50, 740, "工作经历：2009年至今在湛江某公司任会计，负责日常核算。")]
    assert parse("cv.pdf", pdf_of_lines([lines])) == []


def test_encrypted_pdf():
    encrypt = StandardEncryption("secret", ownerPassword="owner")
    data = pdf_of_lines([[(50, 800, "姓名：张喆")]], encrypt=encrypt)
    with pytest.raises(EncryptedFile, match="密码"):
        parse("a.pdf", data)


def test_truncated_and_garbage_pdfs_are_corrupt():
    data = build_form_pdf(APPLICANT)
    for broken in (data[: len(data) // 2], data[:200], b"%PDF-1.4\n garbage %%EOF"):
        with pytest.raises(CorruptFile):
            parse("a.pdf", broken)


def test_scanned_pdf_without_text_is_unsupported():
    with pytest.raises(UnsupportedFormat):
        parse("scan.pdf", pdf_of_lines([[]]))


def test_page_and_size_caps():
    with pytest.raises(TooLarge):
        parse("long.pdf", pdf_of_lines([[(50, 800, "第 1 页")]] * 21))
    with pytest.raises(TooLarge):
        parse("big.pdf", b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024) + b"\n%%EOF")


def test_size_cap_comes_from_the_parse_options():
    data = build_form_pdf(APPLICANT)
    assert parse("a.pdf", data, options=ParseOptions(max_file_bytes=len(data)))
    with pytest.raises(TooLarge, match="附件超过 .* MB 上限"):
        parse("a.pdf", data, options=ParseOptions(max_file_bytes=len(data) - 1))


def test_a_kind_already_sniffed_is_not_sniffed_again(monkeypatch):
    data = build_form_pdf(APPLICANT)
    monkeypatch.setattr("parsers.sniff_kind", lambda filename, data: pytest.fail("sniffed twice"))
    [result] = parse("a.pdf", data, kind="pdf")
    assert result.fields["name"] == APPLICANT.name
    with pytest.raises(UnsupportedFormat):
        parse("a.pdf", data, kind="zip")


def test_bad_id_in_pdf_needs_review():
    applicant = sample_applicants(1)[0]
    wrong_digit = "0" if applicant.id_number[5] != "0" else "1"
    applicant.id_number = applicant.id_number[:5] + wrong_digit + applicant.id_number[6:]
    result = parse("a.pdf", build_form_pdf(applicant))[0]
    assert result.fields["id_number"] == applicant.id_number
    assert result.needs_review == ["id_number"]
    assert result.confidence["id_number"] == 0.5


def test_unwrap_restores_wrapped_cell_text():
    assert unwrap("熟悉财税与\n会计业务") == "熟悉财税与会计业务"
    assert unwrap("ERP\nsystem") == "ERP system"
    assert unwrap("ERP\n系统") == "ERP系统"
