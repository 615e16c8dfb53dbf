"""An applicant's ticks read the same whatever way they were made.

Applicants tick the form with whatever their editor offers: a symbol from
Wingdings or Wingdings 2 ("insert symbol"), Word's check-box content
control, an old check-box form field, a typed √ before or after the option,
with or without spaces. Each way is written here into the sample form the
way Word writes it, and the form must give back exactly the options ticked,
or send the field to review when the marks cannot be told apart — never a
confident wrong answer.
"""
from __future__ import annotations

import dataclasses
import io
import re
import zipfile

import pytest
from docx import Document
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from devtools.samples.forms import build_form_docx, sample_applicants, tick_text
from parsers import parse
from parsers.readers.symbol_fonts import box_font_of, symbol_font
from parsers.schema import load_schema
from parsers.text.ticked_options import read_ticks

SCHEMA = load_schema()
EXPERTISE = SCHEMA.spec_for("expertise").options
MODES = SCHEMA.spec_for("service_modes").options
# Ticks some options of each field, so a reading that ticks all or none fails.
APPLICANT = dataclasses.replace(sample_applicants(2)[1], service_modes=["线上志愿服务", "精准对接"])
TITLE = "湛江市中小企业志愿服务专家报名表"
CJK_FONT = "STSong-Light"
# Any TrueType font stands in for a symbol font: the reader goes by its name.
STAND_IN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


# ---- the ways Word writes a tick box -------------------------------------

def _symbol(font: str, ticked: str, blank: str):
    return lambda on: f'<w:r><w:sym w:font="{font}" w:char="{ticked if on else blank}"/></w:r>'


def _symbol_text(font: str, ticked: str, blank: str):
    """The glyph as text in a run set in the symbol font (what LibreOffice writes)."""
    return lambda on: (f'<w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/></w:rPr>'
                       f'<w:t>{ticked if on else blank}</w:t></w:r>')


def _content_control(on: bool) -> str:
    # The glyph shown is deliberately left unticked: the state decides.
    return ('<w:sdt><w:sdtPr><w14:checkbox>'
            f'<w14:checked w14:val="{int(on)}"/>'
            '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
            '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/>'
            '</w14:checkbox></w:sdtPr><w:sdtContent><w:r><w:rPr>'
            '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
            f'</w:rPr><w:t>{"☒" if on else "☐"}</w:t></w:r></w:sdtContent></w:sdt>')


def _form_field(on: bool) -> str:
    state = '<w:default w:val="1"/>' if on else '<w:default w:val="0"/>'
    return ('<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check1"/><w:enabled/>'
            f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>'
            '<w:r><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


CONVENTIONS = {
    "Wingdings 2 symbol": _symbol("Wingdings 2", "F052", "F0A3"),
    "Wingdings symbol": _symbol("Wingdings", "F0FE", "F0A8"),
    "Webdings symbol": _symbol("Webdings", "F061", "F063"),
    "Wingdings text": _symbol_text("Wingdings", "\uf0fe", "\uf0a8"),
    "Wingdings 2 typed letters": _symbol_text("Wingdings 2", "R", "£"),
    "check-box content control": _content_control,
    "check-box form field": _form_field,
}


def _document_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()


def _with_document_xml(data: bytes, xml: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item.filename, xml.encode() if item.filename == "word/document.xml" else source.read(item))
    return out.getvalue()


def with_tick_convention(applicant, convention: str) -> bytes:
    """The applicant's sample form with both tick fields written in ``convention``."""
    data = build_form_docx(applicant)
    xml = _document_xml(data)
    mark = CONVENTIONS[convention]
    for key in ("expertise", "service_modes"):
        ticked = getattr(applicant, key)
        written = tick_text(key, ticked, applicant.style, False)
        runs = "".join(mark(option in ticked) + f'<w:r><w:t xml:space="preserve">{option}  </w:t></w:r>'
                       for option in SCHEMA.spec_for(key).options)
        xml, count = re.subn(r"<w:r>(?:(?!<w:r>).)*?<w:t[^>]*>" + re.escape(written) + "</w:t></w:r>",
                             lambda _: runs, xml)
        assert count == 1, key
    return _with_document_xml(data, xml)


def only(results):
    assert len(results) == 1
    return results[0]


def form_with(expertise: str, modes: str = "☑线上志愿服务") -> bytes:
    document = Document()
    document.add_paragraph(TITLE)
    rows = [("姓名", "张喆"), ("所在县（市、区）", "霞山区"), ("专业领域", expertise), ("服务形式", modes)]
    table = document.add_table(rows=len(rows), cols=2)
    for number, (label, value) in enumerate(rows):
        table.cell(number, 0).text, table.cell(number, 1).text = label, value
    document.save(out := io.BytesIO())
    return out.getvalue()


# ---- .docx ----------------------------------------------------------------

@pytest.mark.parametrize("convention", CONVENTIONS)
def test_every_tick_convention_in_word_reads_the_options_ticked(convention):
    result = only(parse("报名表.docx", with_tick_convention(APPLICANT, convention)))
    assert result.fields["expertise"] == APPLICANT.expertise
    assert result.fields["service_modes"] == APPLICANT.service_modes
    assert not {"expertise", "service_modes"} & set(result.needs_review)


def test_a_content_control_is_read_by_its_state_not_the_glyph_it_shows():
    data = with_tick_convention(APPLICANT, "check-box content control")
    stale = _document_xml(data).replace("<w:t>☒</w:t>", "<w:t>☐</w:t>")  # glyphs out of step with the state
    assert only(parse("报名表.docx", _with_document_xml(data, stale))).fields["expertise"] == APPLICANT.expertise


def test_a_mark_typed_before_its_option_with_spaces_binds_to_that_option():
    result = only(parse("报名表.docx", form_with("政策解读　√外贸　 法律")))
    assert result.fields["expertise"] == ["外贸"]
    assert "expertise" not in result.needs_review


def test_marks_before_and_after_options_mixed_in_one_cell():
    result = only(parse("报名表.docx", form_with("√政策解读 □数字化转型 外贸√ 法律（√） 财税（ ）")))
    assert result.fields["expertise"] == ["政策解读", "外贸", "法律"]


def test_a_mark_halfway_between_two_options_sends_the_field_to_review():
    result = only(parse("报名表.docx", form_with("政策解读 √ 外贸 法律")))
    assert "expertise" in result.needs_review
    assert any("政策解读、外贸" in warning for warning in result.warnings)


def test_a_symbol_nobody_can_decode_sends_the_field_to_review():
    data = with_tick_convention(APPLICANT, "Wingdings symbol")
    xml = _document_xml(data).replace('w:font="Wingdings"', 'w:font="Wingdings 3"')  # arrows, not boxes
    result = only(parse("报名表.docx", _with_document_xml(data, xml)))
    assert {"expertise", "service_modes"} <= set(result.needs_review)
    assert result.fields.get("expertise") in (None, [])


def test_short_forms_of_the_options_are_read_as_the_options():
    result = only(parse("报名表.docx", form_with("☑数转 □智造 ☑企管", "☑线上 □线下 ☑对接")))
    assert result.fields["expertise"] == ["数字化转型", "企业管理"]
    assert result.fields["service_modes"] == ["线上志愿服务", "精准对接"]
    assert only(parse("报名表.docx", form_with("财税、会计", "线上，对接"))).fields["service_modes"] == [
        "线上志愿服务", "精准对接"]


def test_a_plain_list_may_say_each_option_at_length():
    result = only(parse("报名表.docx", form_with("法律咨询、财税", "线上服务，线下服务，精准对接服务")))
    assert result.fields["expertise"] == ["法律", "财税"]
    assert result.fields["service_modes"] == ["线上志愿服务", "线下志愿服务", "精准对接"]
    # Two options in one word cannot be told apart, nor an option behind a
    # mark nobody decoded (Wingdings 2 "R" and "£"): as written, for review.
    assert "service_modes" in only(parse("报名表.docx", form_with("财税", "线上线下服务"))).needs_review
    assert "service_modes" in only(parse("报名表.docx", form_with("财税", "R线上志愿服务 £线下志愿服务"))).needs_review


def test_the_printed_option_list_without_marks_is_not_read_as_every_option_chosen():
    result = only(parse("报名表.docx", form_with(" ".join(EXPERTISE))))
    assert "expertise" in result.needs_review


@pytest.mark.parametrize("text,ticked,ambiguous", [
    ("☑政策解读□数字化转型☑智能制造", ["政策解读", "智能制造"], []),  # words run together
    ("政策解读√ 外贸□ 法律☑", ["政策解读", "法律"], []),
    ("☑ 政策解读 □ 数字化转型 ☑ 外贸", ["政策解读", "外贸"], []),  # the other marks settle the tie
    ("政策解读 ☑ 数字化转型 □ 外贸 □", ["政策解读"], []),
    ("政策解读 （√） 外贸 （ ） 财税", ["政策解读"], []),  # a bracketed mark follows its option
    ("外贸 √ 法律", [], ["外贸", "法律"]),
    ("外贸 □ 法律", [], []),  # a blank box either side leaves both unticked
    ("\uf0fe政策解读 外贸", [], ["政策解读"]),  # a glyph nobody decoded
])
def test_each_mark_binds_to_the_option_it_touches(text, ticked, ambiguous):
    reading = read_ticks(text, EXPERTISE)
    assert reading.has_marks
    assert (reading.ticked, reading.ambiguous) == (ticked, ambiguous)


# ---- PDF --------------------------------------------------------------------

def form_pdf(values: dict[str, str], marks: dict, *, named_as_symbol_font: bool = True) -> bytes:
    """A one-page form; "{1}"/"{0}" in a value is a ticked/blank mark drawn by ``marks``."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pageCompression=0)
    font = CJK_FONT
    y = 780
    page.setFont(font, 16)
    page.drawString(150, y, TITLE)
    for label, value in values.items():
        y -= 30
        page.setFont(font, 11)
        page.drawString(60, y, f"{label}：")
        x = 200
        for piece in re.split(r"(\{\d\})", value):
            if re.fullmatch(r"\{\d\}", piece):
                marks[piece](page, x, y)
                x += 14
            elif piece:
                page.setFont(font, 11)
                page.drawString(x, y, piece)
                x += pdfmetrics.stringWidth(piece, font, 11)
    page.setFont(font, 11)
    page.drawString(60, y - 40, "本人承诺以上信息真实有效，自愿参加湛江市中小企业志愿服务，如有不实愿承担相应责任。")
    page.save()
    # Any TrueType font stood in for the symbol font: give it the symbol
    # font's name, as a PDF exported from Word has it (same length, so the
    # file's offsets still hold).
    data = out.getvalue()
    return data.replace(b"DejaVuSans", b"Wingdings2") if named_as_symbol_font else data


def test_a_pdf_with_wingdings_ticks_reads_the_options_ticked():
    """Word exports a Wingdings 2 box as its letter code in a font named so."""
    pdfmetrics.registerFont(TTFont("Wingdings2", STAND_IN_FONT))

    def glyph(letter):
        def draw(page, x, y):
            page.setFont("Wingdings2", 11)
            page.drawString(x, y, letter)
        return draw

    marks = {"{1}": glyph("R"), "{0}": glyph("£")}
    data = form_pdf({"姓名": "张喆", "所在县（市、区）": "霞山区", "专业领域": "{1}政策解读  {0}数字化转型  {1}外贸",
                     "服务形式": "{0}线上志愿服务  {1}精准对接"}, marks)
    result = only(parse("报名表.pdf", data))
    assert result.fields["expertise"] == ["政策解读", "外贸"]
    assert result.fields["service_modes"] == ["精准对接"]


def test_a_pdf_with_drawn_check_boxes_reads_the_crossed_ones_as_ticked():
    """A form-field check box comes out of Word or LibreOffice as a drawn
    square, crossed when ticked; it has no text at all."""
    def box(crossed):
        def draw(page, x, y):
            page.setLineWidth(0.5)
            page.rect(x, y - 1, 10, 10, stroke=1, fill=0)
            if crossed:
                page.line(x, y - 1, x + 10, y + 9)
                page.line(x, y + 9, x + 10, y - 1)
        return draw

    marks = {"{1}": box(True), "{0}": box(False)}
    data = form_pdf({"姓名": "张喆", "所在县（市、区）": "霞山区", "专业领域": "{0}政策解读  {1}数字化转型  {0}外贸  {1}法律",
                     "服务形式": "{1}线上志愿服务  {0}精准对接"}, marks)
    result = only(parse("报名表.pdf", data))
    assert result.fields["expertise"] == ["数字化转型", "法律"]
    assert result.fields["service_modes"] == ["线上志愿服务"]


def printed_without_symbol_font(values: dict[str, str], ticked: str, blank: str) -> bytes:
    """A form whose symbol-font codes (private-use U+F0xx) were printed where
    the symbol font was not installed: the codes survive in the text layer,
    drawn in whatever font stood in."""
    pdfmetrics.registerFont(TTFont("StandIn", STAND_IN_FONT))

    def glyph(code):
        def draw(page, x, y):
            page.setFont("StandIn", 11)
            page.drawString(x, y, chr(ord(code) - 0xF000))
        return draw
    data = form_pdf(values, {"{1}": glyph(ticked), "{0}": glyph(blank)}, named_as_symbol_font=False)
    # The stand-in drew the code's Latin letter ("R"); its ToUnicode map
    # gives the private-use code instead, as the printed file's does.
    for code in {ticked, blank}:
        data = re.sub(rb"(<[0-9A-F]{2}> )<00%02X>" % (ord(code) - 0xF000), rb"\g<1><%04X>" % ord(code), data)
    return data


def test_a_pdf_printed_without_the_symbol_font_reads_the_boxes_by_their_codes():
    """U+F052/U+F0A3 are tick boxes only in Wingdings 2, U+F0FE/U+F0A8 both
    only in Wingdings: the codes say which font they were typed in."""
    values = {"姓名": "张喆", "所在县（市、区）": "霞山区", "专业领域": "{1}政策解读  {0}数字化转型  {1}外贸",
              "服务形式": "{0}线上志愿服务  {1}精准对接"}
    for ticked, blank in (("\uf052", "\uf0a3"), ("\uf0fe", "\uf0a8")):
        result = only(parse("报名表.pdf", printed_without_symbol_font(values, ticked, blank)))
        assert result.fields["expertise"] == ["政策解读", "外贸"]
        assert result.fields["service_modes"] == ["精准对接"]
        assert not {"expertise", "service_modes"} & set(result.needs_review)


def test_codes_that_are_boxes_in_either_symbol_font_send_the_field_to_review():
    """U+F0A8 is an empty box in Wingdings and a ticked one in Wingdings 2."""
    values = {"姓名": "张喆", "所在县（市、区）": "霞山区", "专业领域": "{1}政策解读  {0}数字化转型  {1}外贸"}
    result = only(parse("报名表.pdf", printed_without_symbol_font(values, "\uf0a8", "\uf0a8")))
    assert "expertise" in result.needs_review
    assert result.fields.get("expertise") in (None, [])


@pytest.mark.parametrize("codes,family", [
    ({"\uf052", "\uf0a3"}, "wingdings2"), ({"\uf0fe", "\uf0a8"}, "wingdings"), ({"\uf0a3"}, "wingdings2"),
    ({"\uf0a8"}, None), ({"\uf0b7"}, None), ({"\uf052", "\uf0fe"}, None), (set(), None), ({"R"}, None),
])
def test_private_use_codes_name_their_symbol_font_only_when_one_fits(codes, family):
    assert box_font_of(codes) == family


@pytest.mark.parametrize("name,family", [
    ("ABCDEF+Wingdings-Regular", "wingdings"), ("Wingdings2", "wingdings2"), ("Wingdings 2", "wingdings2"),
    ("BCDEFG+Webdings", "webdings"), ("SymbolMT", "symbol"), ("Wingdings 3", None),
    ("Segoe UI Symbol", None), ("OpenSymbol", None), ("宋体", None),
])
def test_symbol_fonts_are_known_by_name_however_it_is_spelt(name, family):
    assert symbol_font(name) == family


def test_a_plain_list_whose_commas_were_lost_still_names_its_options():
    from parsers.text.ticked_options import named_options

    expertise = ("政策解读", "数字化转型", "智能制造", "行业发展", "科技创新", "外贸", "法律", "财税", "会计", "企业管理", "其他")
    assert named_options("智能制造会计企业管理", expertise) == ["智能制造", "会计", "企业管理"]
    assert named_options("外贸法律区块链", expertise) is None  # not wholly options: left as written, for review
