"""Blocks (``arrange``) written as a .docx with python-docx.

Fonts vary by run (the East Asian font set with ``w:rFonts w:eastAsia``),
and the ticks that are Word objects are written as Word writes them:
symbol-font characters (``w:sym``, Wingdings / Wingdings 2), check-box
content controls (``w14:checkbox``) and legacy form-field check boxes
(``FORMCHECKBOX`` with ``w:ffData/w:checkBox``).
"""
from __future__ import annotations

import io
import random

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

from devtools.samples.layouts.arrange import PAGE_BREAK, Paragraph, Table
from devtools.samples.layouts.space import LayoutSpec, Tick, sub_seed
from devtools.samples.layouts.vocabulary import FONTS, SYMBOL_TICKS

PAGE_WIDTH_CM, MARGIN_CM = 21.0, 2.0
TITLE_FONTS = ("黑体", "方正小标宋简体", "宋体")
# A content control's two states: (checked glyph, font, unchecked glyph, its hex code points)
CONTROL_STATES = (("☒", "MS Gothic", "☐", "2612", "2610"), ("☑", "Segoe UI Symbol", "☐", "2611", "2610"),
                  ("☒", "MS Gothic", "☐", "2612", "2610"))


class _Writer:
    def __init__(self, spec: LayoutSpec, printable: bool):
        rng = random.Random(sub_seed(spec.seed, "render"))
        self.spec = spec
        self.printable = printable
        self.size = Pt(spec.size)
        self.label_font = spec.font if rng.random() < 0.6 else rng.choice(FONTS)
        self.value_font = spec.font if rng.random() < 0.7 else rng.choice(FONTS)
        self.bold_labels = rng.random() < 0.3
        self.title_font = rng.choice(TITLE_FONTS)
        self.title_size = Pt(rng.choice((15, 16, 18)))
        self.fields = 0

    # ---- runs -----------------------------------------------------------------

    def text(self, paragraph, text: str, font: str, bold: bool = False, size=None) -> None:
        if not text:
            return
        run = paragraph.add_run(text)
        run.font.size = size or self.size
        run.bold = bold or None
        run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)

    def tick(self, paragraph, tick: Tick) -> None:
        if tick.style in SYMBOL_TICKS and self.printable:
            self.text(paragraph, "☑" if tick.checked else "□", self.value_font)
        elif tick.style in SYMBOL_TICKS:
            font, on, off = SYMBOL_TICKS[tick.style]
            run = paragraph.add_run()
            run.font.size = self.size
            run._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="{font}" w:char="{on if tick.checked else off}"/>'))
        elif tick.style == "content_control":
            paragraph._p.append(parse_xml(self._content_control(tick)))
        elif tick.style == "form_field":
            for xml in self._form_field(tick):
                paragraph._p.append(parse_xml(xml))
        else:
            raise ValueError(tick.style)

    def _content_control(self, tick: Tick) -> str:
        on, font, off, on_code, off_code = CONTROL_STATES[tick.variant % len(CONTROL_STATES)]
        value = ("true" if tick.checked else "false") if tick.variant == 2 else ("1" if tick.checked else "0")
        self.fields += 1
        fonts = f'<w:rFonts w:ascii="{font}" w:eastAsia="{font}" w:hAnsi="{font}" w:hint="eastAsia"/>'
        return (f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w:rPr>{fonts}</w:rPr><w:id w:val="{1000 + self.fields}"/>'
                f'<w14:checkbox><w14:checked w14:val="{value}"/>'
                f'<w14:checkedState w14:val="{on_code}" w14:font="{font}"/>'
                f'<w14:uncheckedState w14:val="{off_code}" w14:font="{font}"/></w14:checkbox></w:sdtPr>'
                f'<w:sdtContent><w:r><w:rPr>{fonts}</w:rPr><w:t>{on if tick.checked else off}</w:t></w:r>'
                f'</w:sdtContent></w:sdt>')

    def _form_field(self, tick: Tick) -> list[str]:
        """Word's three ways of saying a legacy check box is ticked: its
        default, a w:checked beside an unticked default, or w:checked
        overriding a ticked default."""
        self.fields += 1
        if tick.variant == 0:
            state = f'<w:default w:val="{int(tick.checked)}"/>'
        elif tick.variant == 1:
            state = '<w:default w:val="0"/>' + ("<w:checked/>" if tick.checked else "")
        else:
            state = f'<w:default w:val="1"/><w:checked w:val="{int(tick.checked)}"/>'
        w = nsdecls("w")
        return [f'<w:r {w}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check{self.fields}"/><w:enabled/>'
                f'<w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>{state}</w:checkBox></w:ffData></w:fldChar></w:r>',
                f'<w:r {w}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>']

    def pieces(self, paragraph, pieces: list, font: str, bold: bool = False) -> None:
        for piece in pieces:
            if isinstance(piece, Tick):
                self.tick(paragraph, piece)
            else:
                self.text(paragraph, piece, font, bold)

    # ---- blocks ---------------------------------------------------------------

    def paragraph(self, document, block: Paragraph) -> None:
        paragraph = document.add_paragraph()
        if block.kind == "title":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for piece in block.pieces:
                self.text(paragraph, piece, self.title_font, True, self.title_size)
            return
        if block.kind == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.pieces(paragraph, block.pieces, self.value_font)

    def table(self, document, block: Table) -> None:
        columns = len(block.widths)
        table = document.add_table(rows=len(block.rows), cols=columns)
        table.style = "Table Grid"
        table.autofit = False
        usable = Cm(PAGE_WIDTH_CM - 2 * MARGIN_CM)
        widths = [int(usable * weight / sum(block.widths)) for weight in block.widths]
        for number, column in enumerate(table.columns):
            column.width = widths[number]
            for cell in column.cells:
                cell.width = widths[number]
        occupied: set[tuple[int, int]] = set()
        for row_number, row in enumerate(block.rows):
            column = 0
            for cell in row:
                while (row_number, column) in occupied:
                    column += 1
                last_row, last_column = row_number + cell.rows - 1, column + cell.span - 1
                if last_column >= columns or last_row >= len(block.rows):
                    raise ValueError(f"cell outside the table at row {row_number}")
                for r in range(row_number, last_row + 1):
                    occupied.update((r, c) for c in range(column, last_column + 1))
                target = table.cell(row_number, column)
                if (last_row, last_column) != (row_number, column):
                    target = target.merge(table.cell(last_row, last_column))
                self.cell(target, cell)
                column = last_column + 1

    def cell(self, target, cell) -> None:
        label = cell.role == "label"
        font = self.label_font if label else self.value_font
        for number, line in enumerate(cell.lines):
            paragraph = target.paragraphs[0] if number == 0 else target.add_paragraph()
            if cell.role == "photo":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self.pieces(paragraph, line, font, label and self.bold_labels)


def render_docx(spec: LayoutSpec, blocks: list, printable: bool = False) -> bytes:
    """The .docx as the applicant saved it; ``printable``: as it looks on
    paper, the symbol-font ticks drawn as the characters those fonts show
    (this machine may lack Wingdings, and a scan only sees the glyph)."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(29.7)
    section.left_margin = section.right_margin = Cm(MARGIN_CM)
    section.top_margin = section.bottom_margin = Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.size = Pt(spec.size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), spec.font)
    normal.paragraph_format.space_after = Pt(0)
    writer = _Writer(spec, printable)
    for block in blocks:
        if block == PAGE_BREAK:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(block, Table):
            writer.table(document, block)
        else:
            writer.paragraph(document, block)
    document.save(out := io.BytesIO())
    return out.getvalue()
