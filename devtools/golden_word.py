"""Word documents written the way an office PC writes them, for the golden
files in ``tests/data/golden`` (``devtools.golden_inputs`` builds them).

``WordForm`` writes an A4 form of paragraphs and tables; a paragraph or a
cell holds text and what else Word stores in one: symbol-font characters
(``Sym``), check-box content controls, legacy check-box form fields and
bold runs. The form's own words (title, options, declaration) are here too,
so every case writes them alike.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt

TITLE = "湛江市中小企业志愿服务专家报名表"
EXPERTISE = ("政策解读", "数字化转型", "智能制造", "行业发展", "科技创新", "外贸", "法律", "财税", "会计", "企业管理", "其他")
MODES = ("线上志愿服务", "线下志愿服务", "精准对接")
DECLARATION = "本人承诺：以上所填内容真实、准确，自愿成为湛江市中小企业志愿服务专家，如有虚假，愿承担相应责任。"


# ---- what goes into a paragraph besides text ---------------------------------

@dataclass(frozen=True)
class Sym:
    """A symbol-font character, as Word's "insert symbol" stores it."""
    font: str
    char: str  # hex code, e.g. "F052"


@dataclass(frozen=True)
class CheckBoxControl:
    """A check-box content control (w14:checkbox); the state decides, not the glyph."""
    checked: bool


@dataclass(frozen=True)
class FormCheckBox:
    """A legacy check-box form field (FORMCHECKBOX)."""
    checked: bool


@dataclass(frozen=True)
class Bold:
    """A run of bold text."""
    text: str


@dataclass(frozen=True)
class Cell:
    """A table cell: its text (pieces per line), columns and rows it covers."""
    content: object
    span: int = 1
    down: int = 1


def wingdings(ticked: bool) -> Sym:
    return Sym("Wingdings", "F0FE" if ticked else "F0A8")


def wingdings2(ticked: bool) -> Sym:
    return Sym("Wingdings 2", "F052" if ticked else "F0A3")


def marked_options(mark, options, ticked, gap="　") -> list:
    """Each option after its mark; ``mark(is_ticked)`` makes the mark."""
    pieces = []
    for option in options:
        pieces += [mark(option in ticked), option, gap]
    return pieces[:-1]


def typed_ticks(options, ticked, on="☑", off="□", gap="　") -> str:
    return gap.join(f"{on if option in ticked else off}{option}" for option in options)


# ---- a Word document ---------------------------------------------------------

class WordForm:
    def __init__(self, font: str = "宋体", size: float = 10.5):
        self.document = Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)  # A4, as the centre prints it
        section.left_margin = section.right_margin = Cm(2.0)
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(size)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        normal.paragraph_format.space_after = Pt(0)
        properties = self.document.core_properties  # as an office PC fills them in, not the library's
        properties.author = properties.last_modified_by = "Administrator"
        properties.comments = properties.title = ""
        self.controls = 0

    def title(self, text: str = TITLE) -> None:
        paragraph = self.document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.font.size = True, Pt(16)

    def paragraph(self, *pieces, align=None) -> None:
        paragraph = self.document.add_paragraph()
        if align == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self._write(paragraph, list(pieces))

    def page_break(self) -> None:
        self.document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def picture(self, png: bytes, width_cm: float) -> None:
        self.document.add_picture(io.BytesIO(png), width=Cm(width_cm))

    def table(self, rows: list[list], widths: list[float] | None = None) -> None:
        """Rows of cells (a string, a list of pieces, or a ``Cell``); a
        string's lines become the cell's paragraphs."""
        columns = max(sum(_cell(c).span for c in row) for row in rows)
        table = self.document.add_table(rows=len(rows), cols=columns)
        table.style = "Table Grid"
        widths = widths or [17.0 / columns] * columns
        for number, column in enumerate(table.columns):
            for cell in column.cells:
                cell.width = Cm(widths[number])
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(rows):
            c = 0
            for spec in map(_cell, row):
                while (r, c) in taken:
                    c += 1
                last = (r + spec.down - 1, c + spec.span - 1)
                taken.update((y, x) for y in range(r, last[0] + 1) for x in range(c, last[1] + 1))
                target = table.cell(r, c)
                if last != (r, c):
                    target = target.merge(table.cell(*last))
                for number, line in enumerate(_lines(spec.content)):
                    paragraph = target.paragraphs[0] if number == 0 else target.add_paragraph()
                    self._write(paragraph, line)
                c = last[1] + 1

    def bytes(self, ends_in_table: bool = False) -> bytes:
        """The .docx. Word always keeps a paragraph after a table; without
        one (``ends_in_table``, as some converters and web forms write a
        .docx) LibreOffice drops the table's marks when it writes a .doc."""
        if self.document.element.body[-2].tag == qn("w:tbl") and not ends_in_table:
            self.document.add_paragraph()
        self.document.save(out := io.BytesIO())
        return out.getvalue()

    def _write(self, paragraph, pieces: list) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                if piece:
                    paragraph.add_run(piece)
            elif isinstance(piece, Bold):
                paragraph.add_run(piece.text).bold = True
            elif isinstance(piece, Sym):
                run = paragraph.add_run()
                run._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="{piece.font}" w:char="{piece.char}"/>'))
            elif isinstance(piece, CheckBoxControl):
                paragraph._p.append(parse_xml(self._control(piece.checked)))
            elif isinstance(piece, FormCheckBox):
                for xml in self._form_field(piece.checked):
                    paragraph._p.append(parse_xml(xml))
            else:
                raise TypeError(piece)

    def _control(self, checked: bool) -> str:
        self.controls += 1
        fonts = '<w:rFonts w:ascii="MS Gothic" w:eastAsia="MS Gothic" w:hAnsi="MS Gothic" w:hint="eastAsia"/>'
        return (f'<w:sdt {nsdecls("w", "w14")}><w:sdtPr><w:rPr>{fonts}</w:rPr><w:id w:val="{5000 + self.controls}"/>'
                f'<w14:checkbox><w14:checked w14:val="{int(checked)}"/>'
                '<w14:checkedState w14:val="2612" w14:font="MS Gothic"/>'
                '<w14:uncheckedState w14:val="2610" w14:font="MS Gothic"/></w14:checkbox></w:sdtPr>'
                f'<w:sdtContent><w:r><w:rPr>{fonts}</w:rPr><w:t>{"☒" if checked else "☐"}</w:t></w:r>'
                '</w:sdtContent></w:sdt>')

    def _form_field(self, checked: bool) -> list[str]:
        self.controls += 1
        w = nsdecls("w")
        return [f'<w:r {w}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Check{self.controls}"/>'
                '<w:enabled/><w:calcOnExit w:val="0"/><w:checkBox><w:sizeAuto/>'
                f'<w:default w:val="0"/>{"<w:checked/>" if checked else ""}</w:checkBox></w:ffData></w:fldChar></w:r>',
                f'<w:r {w}><w:instrText xml:space="preserve"> FORMCHECKBOX </w:instrText></w:r>',
                f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>']


def _cell(spec) -> Cell:
    return spec if isinstance(spec, Cell) else Cell(spec)


def _lines(content) -> list[list]:
    if isinstance(content, str):
        return [[line] for line in content.split("\n")]
    return [list(content)]


FOUR_COLUMN_WIDTHS = [3.4, 5.1, 3.4, 5.1]  # cm, the 17 cm between A4 margins


def four_columns(rows: list[tuple]) -> list[list]:
    """(label, value, label, value) rows, and (label, value) rows whose value spans three columns."""
    return [list(row) if len(row) == 4 else [row[0], Cell(row[1], span=3)] for row in rows]
