"""parse() on .docx files: layouts, checks, safety limits and errors."""
from __future__ import annotations

import io
import time
import zipfile
from dataclasses import replace

import pytest
from docx import Document

from devtools.samples.forms import build_form_docx, sample_applicants
from parsers import parse, sniff_kind
from parsers.text.checks import id_check_char
from parsers.errors import CorruptFile, EncryptedFile, ParseError, TooLarge, UnsupportedFormat
from parsers.options import ParseOptions

APPLICANT = sample_applicants(1)[0]
GOOD_ID = "44080219780512001" + id_check_char("44080219780512001")  # a man born 1978-05
TITLE = "湛江市中小企业志愿服务专家报名表"
FILLER = [("所在县（市、区）", "霞山"), ("专业领域", "☑财税 □会计"), ("服务形式", "☑线上志愿服务")]


def docx_with_table(rows, title=True, cols=None):
    document = Document()
    if title:
        document.add_paragraph(TITLE)
    table = document.add_table(rows=len(rows), cols=cols or max(len(r) for r in rows))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def replace_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, content if item.filename == name else source.read(item))
    return out.getvalue()


def add_part(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def only(results):
    assert len(results) == 1
    return results[0]


def test_four_column_table_with_inline_cell_and_padded_labels():
    data = docx_with_table([
        ["姓名：张喆", "", "性　　别", "男"],
        ["身份证号", GOOD_ID.lower(), "出生年月", "1978年5月"],
        ["手机", "138-0013-8000", "电子邮箱：", "ZZ@163.COM"],
        *[list(pair) + ["", ""] for pair in FILLER],
    ])
    fields = only(parse("a.docx", data)).fields
    assert fields["name"] == "张喆" and fields["gender"] == "男"
    assert fields["id_number"] == GOOD_ID and fields["birth_date"] == "1978-05"
    assert fields["mobile"] == "13800138000" and fields["email"] == "zz@163.com"
    assert fields["county"] == "霞山区" and fields["expertise"] == ["财税"]


def test_id_written_one_digit_per_box():
    data = docx_with_table([["身份证号码", *GOOD_ID], ["姓名", "冼浩"], *FILLER])
    assert only(parse("a.docx", data)).fields["id_number"] == GOOD_ID


def test_labels_over_a_row_of_values():
    data = docx_with_table([["姓名", "性别", "出生年月"], ["欧阳婧", "女", "1980.03"], *FILLER], cols=3)
    fields = only(parse("a.docx", data)).fields
    assert (fields["name"], fields["gender"], fields["birth_date"]) == ("欧阳婧", "女", "1980-03")


def test_contact_phone_is_mobile_or_office_line():
    mobile = only(parse("a.docx", docx_with_table([["联系电话", "13800138000"], *FILLER]))).fields
    office = only(parse("a.docx", docx_with_table([["联系电话", "0759 3302096"], *FILLER]))).fields
    assert mobile["mobile"] == "13800138000"
    assert office == {**office, "office_phone": "0759-3302096"} and "mobile" not in office


def test_bad_id_checksum_needs_review_and_keeps_value():
    bad = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
    result = only(parse("a.docx", docx_with_table([["身份证号码", bad], ["姓名", "张喆"], *FILLER])))
    assert result.fields["id_number"] == bad
    assert result.needs_review == ["id_number"]
    assert result.confidence["id_number"] == 0.5 and result.confidence["name"] == 1.0
    assert any("校验位" in warning for warning in result.warnings)


def test_id_disagreeing_with_birth_date_and_gender():
    rows = [["身份证号码", GOOD_ID], ["出生年月", "1979-05"], ["性别", "女"], *FILLER]
    result = only(parse("a.docx", docx_with_table(rows)))
    assert result.needs_review == ["gender", "birth_date", "id_number"]
    assert result.fields["birth_date"] == "1979-05"
    assert any("不一致" in warning for warning in result.warnings)


def test_invalid_values_are_flagged_not_guessed():
    rows = [["手机号码", "1380013800"], ["电子邮箱", "zhangzhe#163.com"], ["所在县（市、区）", "茂名"],
            ["专业领域", "☑财税"], ["服务形式", "☑精准对接"]]
    result = only(parse("a.docx", docx_with_table(rows)))
    assert result.fields["mobile"] == "1380013800" and result.fields["county"] == "茂名"
    assert result.needs_review == ["county", "mobile", "email"]
    assert len(result.warnings) == 3


def test_paragraph_form_with_multiline_answer():
    document = Document()
    for line in [TITLE, "姓　　名：张喆    性别:男", "所在县（市、区）：廉江", "专业领域：√政策解读 □数字化转型 √外贸",
                 "主要工作经历：", "2001年至2010年任会计。", "2010年至今任财务总监。", "本人承诺以上信息真实。"]:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    fields = only(parse("a.docx", out.getvalue())).fields
    assert fields["county"] == "廉江市" and fields["expertise"] == ["政策解读", "外贸"]
    assert fields["experience"] == "2001年至2010年任会计。\n2010年至今任财务总监。"


def test_word_symbol_check_boxes():
    data = docx_with_table([["专业领域", "@@"], ["所在县（市、区）", "霞山"], ["服务形式", "☑精准对接"]])
    sym = ('<w:r><w:sym w:font="Wingdings 2" w:char="F052"/><w:t>法律</w:t></w:r>'
           '<w:r><w:sym w:font="Wingdings" w:char="F0A8"/><w:t>财税</w:t></w:r>')
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml").decode()
    xml = xml.replace("<w:r><w:t>@@</w:t></w:r>", sym)
    fields = only(parse("a.docx", replace_part(data, "word/document.xml", xml.encode()))).fields
    assert fields["expertise"] == ["法律"]


def test_zero_bytes_and_garbage_are_corrupt():
    with pytest.raises(CorruptFile):
        parse("a.docx", b"")
    with pytest.raises(CorruptFile):
        parse("a.docx", b"this is not a zip at all")
    data = build_form_docx(APPLICANT)
    with pytest.raises(CorruptFile):
        parse("a.docx", data[: len(data) // 2])


def test_zip_without_word_document_is_not_a_docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.txt", b"x")
    assert sniff_kind("a.docx", out.getvalue()) == "zip"
    with pytest.raises(UnsupportedFormat):
        parse("a.docx", out.getvalue())


def test_broken_document_xml_is_corrupt():
    data = replace_part(build_form_docx(APPLICANT), "word/document.xml", b"<w:document><unclosed>")
    with pytest.raises(CorruptFile):
        parse("a.docx", data)


def test_doctype_is_rejected():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>')
    data = replace_part(build_form_docx(APPLICANT), "word/styles.xml", bomb)
    with pytest.raises(CorruptFile, match="DOCTYPE"):
        parse("a.docx", data)


def test_zip_bomb_is_too_large():
    data = add_part(build_form_docx(APPLICANT), "word/media/filler.bin", b"\0" * (5 * 1024 * 1024))
    with pytest.raises(TooLarge):
        parse("a.docx", data)


def test_too_many_entries():
    out = io.BytesIO(build_form_docx(APPLICANT))
    with zipfile.ZipFile(out, "a") as archive:
        for number in range(1001):
            archive.writestr(f"customXml/item{number}.bin", b"")
    with pytest.raises(TooLarge):
        parse("a.docx", out.getvalue())


@pytest.mark.parametrize("count", [25_000, 1_000_000])
def test_huge_paragraph_count_is_rejected_quickly(count):
    body = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * count if count < 10**5 else b"<w:p/>" * count
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + body + b"</w:body></w:document>")
    data = replace_part(build_form_docx(APPLICANT), "word/document.xml", xml)
    started = time.monotonic()
    with pytest.raises(TooLarge):
        parse("a.docx", data)
    assert time.monotonic() - started < 2


def test_password_protected_docx_is_encrypted():
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100
    for name in ("报名表.docx", "报名表.doc", "noname"):
        with pytest.raises(EncryptedFile, match="密码"):
            parse(name, cfb)
    # A compound file named .docx is how Word saves one with a password.
    with pytest.raises(EncryptedFile):
        parse("报名表.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def test_files_that_are_not_documents_are_unsupported():
    for name, data in [("a.txt", b"hello"), ("a.exe", b"MZ\x90\x00rest")]:
        with pytest.raises(UnsupportedFormat):
            parse(name, data)


@pytest.mark.parametrize("name,data,kind", [
    ("x.pdf", b"%PDF-1.7\n", "pdf"), ("x.docx", b"%PDF-1.4", "pdf"), ("x.jpg", b"\x89PNG\r\n\x1a\n", "image"),
    ("x.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc"), ("x.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "wps"),
    ("x.rtf", b"{\\rtf1", "rtf"), ("x.heic", b"\0\0\0\x18ftypheic", "image"), ("x.bin", b"abc", "other"),
    ("photo.jpg", b"<svg onload=alert(1)>", "other"), ("x.heic", b"", "other"),  # an image only by its bytes
])
def test_sniff_kind(name, data, kind):
    assert sniff_kind(name, data) == kind


def test_sniff_kind_reads_docx_and_odt_by_content():
    assert sniff_kind("renamed.pdf", build_form_docx(APPLICANT)) == "docx"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", b"application/vnd.oasis.opendocument.text")
    assert sniff_kind("a.docx", out.getvalue()) == "odt"


def test_only_parse_errors_escape():
    data = build_form_docx(APPLICANT)
    for cut in (100, 1000, 5000, len(data) - 30):
        try:
            parse("a.docx", data[:cut] + b"\0" * 10)
        except ParseError:
            pass


def test_another_citys_counties_come_with_its_campaign():
    """The same programme runs in every city: a Maoming form's 茂南区 is one of
    Maoming's counties, read as written; against the form's own (Zhanjiang's)
    list it is a value for staff to check."""
    form = build_form_docx(replace(sample_applicants(1, seed=3)[0], county="广东省茂名市茂南区"))
    maoming = ParseOptions(choices={"county": ("茂南区", "电白区", "高州市", "化州市", "信宜市")})
    [read] = parse("报名表.docx", form, options=maoming)
    assert read.fields["county"] == "茂南区" and "county" not in read.needs_review
    [read] = parse("报名表.docx", form)
    assert "county" in read.needs_review
