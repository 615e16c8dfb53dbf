"""Reading a .docx into rows of text cells.

Only the main document part is parsed (python-docx would parse every part,
styles, numbering, theme and fonts, for a third of a form's reading time),
and its XML is walked directly rather than through python-docx's
``Paragraph.text``/``Table.rows``: that keeps content controls,
check boxes and page breaks, and sees each merged cell once — a
horizontally merged cell is one ``w:tc``, and the rows below a vertically
merged one hold empty continuation cells.

Every way Word has of showing a tick box comes out as the mark it shows
(☑, ☒, √, □), so ``parsers.text.ticked_options`` reads them all alike:
symbol-font glyphs (``w:sym``, or text in a Wingdings run, which is what
LibreOffice makes of a .doc's symbols; see ``symbol_fonts``); check-box
content controls (``w14:checkbox``), by their checked state rather than the
glyph shown; and legacy check-box form fields (``FORMCHECKBOX``, a
``w:fldChar`` whose ``w:ffData`` holds the state), which have no text at all.
"""
from __future__ import annotations

from lxml import etree

from parsers.text.assemble import rows_to_results
from parsers.readers.docx_safety import MAX_PARAGRAPHS, XML_PARSER, checked_xml_parts, main_document_xml
from parsers.readers.symbol_fonts import symbol_code_mark, symbol_font, symbol_mark
from parsers.errors import CorruptFile, TooLarge
from parsers.options import ParseOptions
from parsers.results import FormResult
from parsers.text.rows import TextRow

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
MAX_CELLS = 50_000
_CONTAINERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag"}
_TICKED, _UNTICKED = "☑", "☐"


def _run_symbol_font(element: etree._Element) -> str | None:
    """The symbol font (``symbol_fonts``) a text node's run is set in, if any."""
    run = element.getparent()
    fonts = run.find(f"{W}rPr/{W}rFonts") if run is not None else None
    if fonts is None:
        return None
    return next((family for name in fonts.attrib.values() if (family := symbol_font(name)) is not None), None)


def _is_on(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "on")


def _legacy_check_box(box: etree._Element) -> str:
    """A FORMCHECKBOX's mark: its ``w:checked`` state, else its default."""
    state = box.find(f"{W}checked")
    if state is not None:
        ticked = _is_on(state.get(f"{W}val", "1"))
    else:
        default = box.find(f"{W}default")
        ticked = default is not None and _is_on(default.get(f"{W}val"))
    return _TICKED if ticked else _UNTICKED


PAGE_BREAK = "\x0c"


def paragraph_text(paragraph: etree._Element) -> str:
    """Text of one w:p; page breaks come back as form feeds."""
    out = []
    properties = paragraph.find(f"{W}pPr")
    if properties is not None and properties.find(f"{W}pageBreakBefore") is not None:
        out.append(PAGE_BREAK)
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}sym", f"{W}noBreakHyphen",
                               f"{W}fldChar"):
        tag = node.tag
        if tag == f"{W}t":
            family = _run_symbol_font(node)
            text = node.text or ""
            out.append("".join(symbol_mark(family, ch) for ch in text) if family else text)
        elif tag == f"{W}fldChar":
            box = node.find(f"{W}ffData/{W}checkBox")
            if node.get(f"{W}fldCharType") == "begin" and box is not None:
                out.append(_legacy_check_box(box))
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag == f"{W}br":
            out.append(PAGE_BREAK if node.get(f"{W}type") == "page" else "\n")
        elif tag == f"{W}cr":
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
        else:
            try:
                code = int(node.get(f"{W}char", "0"), 16)
            except ValueError:
                code = 0
            out.append(symbol_code_mark(node.get(f"{W}font"), code))
    if properties is not None:
        section = properties.find(f"{W}sectPr")
        if section is not None:
            kind = section.find(f"{W}type")
            if kind is None or kind.get(f"{W}val") != "continuous":
                out.append(PAGE_BREAK)
    return "".join(out)


class _BodyWalker:
    def __init__(self) -> None:
        self.rows: list[TextRow] = []
        self.paragraphs = 0
        self.cells = 0
        self.page_break_pending = False

    def count_paragraph(self) -> None:
        self.paragraphs += 1
        if self.paragraphs > MAX_PARAGRAPHS:
            raise TooLarge(f"Word 文件段落数超过上限 {MAX_PARAGRAPHS}，疑似异常文件。")

    def add(self, cells: tuple[str, ...], in_table: bool, starts_table: bool = False) -> None:
        self.rows.append(TextRow(cells, in_table, self.page_break_pending, starts_table))
        self.page_break_pending = False

    def block(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == f"{W}p":
            self.paragraph(element)
        elif tag == f"{W}tbl":
            self.table(element)
        elif tag in _CONTAINERS:
            for child in element:
                self.block(child)

    def paragraph(self, element: etree._Element) -> None:
        self.count_paragraph()
        pieces = paragraph_text(element).split(PAGE_BREAK)
        for number, piece in enumerate(pieces):
            if number:
                self.page_break_pending = True
            if piece.strip():
                self.add((piece,), in_table=False)

    def table(self, element: etree._Element) -> None:
        first = True
        for row in _children(element, "tr"):
            nested: list[etree._Element] = []
            cells = tuple(self.cell_text(cell, nested) for cell in _children(row, "tc"))
            if any(cell.strip() for cell in cells):
                self.add(cells, in_table=True, starts_table=first)
                first = False
            for table in nested:
                self.table(table)

    def cell_text(self, cell: etree._Element, nested: list) -> str:
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise TooLarge(f"Word 文件表格单元格数超过上限 {MAX_CELLS}，疑似异常文件。")
        lines = []
        for child in _children(cell, "p", "tbl"):
            if child.tag == f"{W}tbl":
                nested.append(child)
                continue
            self.count_paragraph()
            lines.append(paragraph_text(child).replace(PAGE_BREAK, "\n"))
        return "\n".join(lines)


def _children(element: etree._Element, *names: str):
    """Direct children with these tags, looking through content controls."""
    wanted = {W + name for name in names}
    for child in element:
        if child.tag in wanted:
            yield child
        elif child.tag in _CONTAINERS:
            yield from _children(child, *names)


def _blank_placeholders(body: etree._Element) -> None:
    """An empty content control shows a prompt such as "单击或点击此处输入文字。"
    (flagged w:showingPlcHdr): that is not what the applicant wrote."""
    for flag in body.iter(f"{W}showingPlcHdr"):
        content = flag.getparent().getparent().find(f"{W}sdtContent")
        for text in content.iter(f"{W}t") if content is not None else ():
            text.text = ""


def _settle_check_box_controls(body: etree._Element) -> None:
    """A check-box content control shows whatever glyph its checked and
    unchecked states name (☒/☐ in MS Gothic, or a Wingdings symbol): its
    text becomes the mark of its ``w14:checked`` state instead."""
    for box in list(body.iter(f"{W14}checkbox")):
        control = box.getparent().getparent() if box.getparent() is not None else None
        content = control.find(f"{W}sdtContent") if control is not None else None
        if content is None:
            continue
        checked = box.find(f"{W14}checked")
        mark = _TICKED if checked is not None and _is_on(checked.get(f"{W14}val", "1")) else _UNTICKED
        for shown in list(content.iter(f"{W}t", f"{W}sym")):
            shown.getparent().remove(shown)
        run = next(content.iter(f"{W}r"), None)
        if run is None:
            run = etree.SubElement(content, f"{W}r")
        etree.SubElement(run, f"{W}t").text = mark


def docx_rows(data: bytes) -> list[TextRow]:
    content = main_document_xml(checked_xml_parts(data))
    try:
        document = etree.fromstring(content, XML_PARSER)
    except (etree.LxmlError, ValueError) as exc:
        raise CorruptFile("Word 文件结构已损坏，无法读取，请申请人重新发送。") from exc
    body = document.find(f"{W}body")
    if document.tag != f"{W}document" or body is None:
        raise CorruptFile("文件不是 Word 文档（其中没有正文），请申请人发送 .docx 格式的报名表。")
    walker = _BodyWalker()
    _blank_placeholders(body)
    _settle_check_box_controls(body)
    for element in body:
        walker.block(element)
    return walker.rows


def read_docx(data: bytes, options: ParseOptions | None = None) -> list[FormResult]:
    """Application forms in a .docx (``options``: the campaign's choices; a .docx is never OCR'd)."""
    return rows_to_results(docx_rows(data), method="docx", options=options)
