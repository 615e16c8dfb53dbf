"""Reading a PDF's text layer into rows of text cells.

    read_pdf(data, *, options=None) -> list[FormResult]
    scanned_pages(data) -> list[int]     the pages read_pdf renders and OCRs

Ruled tables are read with pdfplumber's line-based table finder; words
outside tables are grouped into lines, and a line is cut into cells where
the gap between words is wide (label and value set apart by spacing rather
than ruling). Rows from tables and loose lines are merged top to bottom.
Every cell keeps its box (``SourceBox``: 1-based page, PDF points from the
page's top left), so staff can be shown where a value was read.

This module alone decides which pages are scans: in the same pass that
reads a page's rows, a page with fewer than ``SCANNED_BELOW_CHARS``
characters of text is a scan (or a photo saved as PDF). Those pages are
rendered (``parsers.ocr.page_images.render_pdf_pages``) and read by OCR in
their place, so a PDF mixing typed and scanned pages reads as one.
"""
from __future__ import annotations

import dataclasses
import io

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from parsers.errors import CorruptFile, EncryptedFile, TooLarge, UnsupportedFormat
from parsers.ocr import DEFAULT_ENGINE, method_name, ocr_available, ocr_options, read_pages_apart
from parsers.ocr.page_images import render_pdf_pages
from parsers.readers.docx_safety import RESEND_WITHOUT_PASSWORD
from parsers.readers.pdf_streams import check_stream_sizes
from parsers.readers.pdf_symbols import decode_symbol_glyphs
from parsers.results import FormResult
from parsers.text.assemble import rows_to_results
from parsers.text.labels import label_index
from parsers.text.rows import SourceBox, TextRow, unwrap

MAX_PDF_PAGES = 20
SCANNED_BELOW_CHARS = 20  # a page with fewer non-blank characters of text than this is a scan: OCR'd
CELL_GAP_IN_CHARS = 1.0  # a gap wider than one character splits cells
DRAWN_TICK_BOX_POINTS = (5.0, 20.0)
MAX_LABEL_LINES = 3  # a label wrapped in a narrow cell
LABEL_TAIL_CHARS = 2  # the last line of a wrapped label, not an answer  # the side of a check box drawn as a square


def _inside(word: dict, boxes: list[tuple]) -> bool:
    middle_x = (word["x0"] + word["x1"]) / 2
    middle_y = (word["top"] + word["bottom"]) / 2
    return any(x0 <= middle_x <= x1 and top <= middle_y <= bottom for x0, top, x1, bottom in boxes)


def _line_cells(line: list[dict]) -> list[list[dict]]:
    """Cut a line of words into cells at gaps wider than a character — but
    not inside a label padded with spaces, such as "姓　　名"."""
    index = label_index()
    cells: list[list[dict]] = []
    for word in sorted(line, key=lambda w: w["x0"]):
        if cells:
            gap = word["x0"] - cells[-1][-1]["x1"]
            so_far = "".join(w["text"] for w in cells[-1])
            if gap <= CELL_GAP_IN_CHARS * (word["bottom"] - word["top"]) or index.is_label_start(so_far):
                cells[-1].append(word)
                continue
        cells.append([word])
    return cells


def _words_box(page_number: int, words: list[dict]) -> SourceBox:
    return SourceBox(page_number, (min(w["x0"] for w in words), min(w["top"] for w in words),
                                   max(w["x1"] for w in words), max(w["bottom"] for w in words)))


def _loose_lines(page, table_boxes: list[tuple]) -> list[tuple[float, tuple[str, ...], tuple[SourceBox, ...]]]:
    words = [w for w in page.extract_words(keep_blank_chars=False) if not _inside(w, table_boxes)]
    words.sort(key=lambda w: (round(w["top"]), w["x0"]))
    lines: list[list[dict]] = []
    for word in words:
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= word["bottom"] - word["top"]:
            lines[-1].append(word)
        else:
            lines.append([word])
    right_margin = max((w["x1"] for w in words), default=0)
    result: list[tuple[float, tuple[str, ...], tuple[SourceBox, ...]]] = []
    wrapped, previous_x0 = False, None
    for line in lines:
        cut = _line_cells(line)
        cells = [" ".join(w["text"] for w in cell) for cell in cut]
        boxes = [_words_box(page.page_number, cell) for cell in cut]
        height = line[-1]["bottom"] - line[-1]["top"]
        same_column = previous_x0 is not None and abs(line[0]["x0"] - previous_x0) <= 2 * height
        if wrapped and same_column and len(cells) == 1 and result:
            # The line above ran to the margin: this is the same paragraph.
            top, previous, previous_boxes = result[-1]
            result[-1] = (top, (*previous[:-1], unwrap(previous[-1] + "\n" + cells[0])),
                          (*previous_boxes[:-1], previous_boxes[-1].union(boxes[0])))
        else:
            result.append((line[0]["top"], tuple(cells), tuple(boxes)))
        wrapped = max(w["x1"] for w in line) >= right_margin - 1.5 * height
        previous_x0 = line[0]["x0"]
    return result


def _is_scanned(page) -> bool:
    """Whether a pdfplumber page has too little text of its own to read: a
    scan or a photo, to be rendered and OCR'd."""
    return sum(not char["text"].isspace() for char in page.chars) < SCANNED_BELOW_CHARS


def _within(thing: dict, box: dict, slack: float = 1.0) -> bool:
    return (thing["x0"] >= box["x0"] - slack and thing["x1"] <= box["x1"] + slack
            and thing["top"] >= box["top"] - slack and thing["bottom"] <= box["bottom"] + slack)


def _read_drawn_tick_boxes(page) -> None:
    """Check boxes drawn rather than typed (form-field check boxes in a PDF
    exported from Word or LibreOffice): a small empty square, crossed by
    strokes when ticked. Each becomes a ☑ or ☐ character where it stands,
    and its rules are taken out so the table finder does not see a cell."""
    objects = page.objects
    rects, strokes = objects.get("rect", []), objects.get("line", []) + objects.get("curve", [])
    squares = [r for r in rects if r.get("stroke") and not r.get("fill")
               and DRAWN_TICK_BOX_POINTS[0] <= r["width"] <= DRAWN_TICK_BOX_POINTS[1]
               and abs(r["width"] - r["height"]) <= 0.15 * r["width"]]
    # Squares side by side are a grid (one box per digit of an ID number),
    # and a square with text inside is a cell: neither is a tick box.
    grid = [a for a in squares if any(b is not a and _within(b, {
        "x0": a["x0"] - b["width"] / 2, "x1": a["x1"] + b["width"] / 2, "top": a["top"], "bottom": a["bottom"]})
        for b in squares)]
    for box in [r for r in squares if not any(r is g for g in grid)
                and not any(_within(char, r) for char in page.chars if not char["text"].isspace())]:
        crossing = [stroke for stroke in strokes if _within(stroke, box)]
        objects.setdefault("char", []).append({
            "text": "☑" if crossing else "☐", "fontname": "", "size": box["height"], "adv": box["width"],
            "upright": True, "matrix": (1, 0, 0, 1, box["x0"], box["y0"]), "object_type": "char",
            "page_number": page.page_number, "mcid": None, "tag": None, "ncs": None,
            "stroking_color": None, "non_stroking_color": None,
            **{key: box[key] for key in ("x0", "x1", "y0", "y1", "top", "bottom", "doctop", "width", "height")},
        })
        rects.remove(box)
        for stroke in crossing:
            (objects["line"] if stroke in objects.get("line", []) else objects["curve"]).remove(stroke)


def _cell_text(text: str) -> str:
    """A table cell's wrapped lines joined, except after a label that has
    lines of its own ("业务专长" over the answer, "个人专长（限" "200字）"
    over it): with no colon, the line break is all that sets the label apart
    from the answer, as it is in the Word file. A label wrapped in a cell of
    its own ("政治身" "份", "＊身份证件号" "码") is joined whole."""
    joined = unwrap(text)
    index = label_index()
    whole_cell = index.read(joined)
    hits = index.find_labels(joined)
    if (whole_cell is not None and whole_cell.whole) or (hits and not joined[:hits[0].start].strip()):
        return joined  # a label alone, or "姓名（中文）：钟昊": the colon sets it apart
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    label_lines = 0
    for count in range(1, min(len(lines), MAX_LABEL_LINES + 1)):
        label = index.read("".join(lines[:count]))
        if label is not None and not label.unknown and label.whole:
            label_lines = count
    rest = unwrap("\n".join(lines[label_lines:]))
    # What a label cell's last line holds is more of the label ("专长及研究" "方向").
    if not label_lines or (whole_cell is not None and len(rest) <= LABEL_TAIL_CHARS):
        return joined
    return "".join(lines[:label_lines]) + "\n" + rest


def page_rows(page, starts_page: bool) -> list[TextRow]:
    """Rows of one page's text layer, each cell with its box in PDF points."""
    decode_symbol_glyphs(page)
    _read_drawn_tick_boxes(page)
    placed: list[tuple[float, int, TextRow]] = []
    tables = page.find_tables()
    for table in tables:
        for row_number, (row, texts) in enumerate(zip(table.rows, table.extract())):
            kept = [(text, bbox) for text, bbox in zip(texts, row.cells) if text is not None]
            cells = tuple(_cell_text(text) for text, _ in kept)
            boxes = tuple(SourceBox(page.page_number, tuple(bbox)) if bbox else None for _, bbox in kept)
            if any(cells):
                placed.append((row.bbox[1], 0, TextRow(cells, True, False, row_number == 0, boxes=boxes)))
    for top, cells, boxes in _loose_lines(page, [table.bbox for table in tables]):
        placed.append((top, 1, TextRow(cells, False, boxes=boxes)))
    placed.sort(key=lambda item: (item[0], item[1]))
    rows = [row for _, _, row in placed]
    if rows and starts_page:
        rows[0] = dataclasses.replace(rows[0], starts_page=True)
    return rows


def _pdf_rows(data: bytes, options=None) -> tuple[list[TextRow], bool]:
    """Rows of every page, and whether any page had to be OCR'd.

    A page without text of its own (``_is_scanned``) is rendered and read by
    OCR in its place, so a PDF mixing typed and scanned pages, or a form
    scanned over two pages, reads as one.
    """
    per_page: list[list[TextRow]] = []
    scanned: list[int] = []
    with _open(data) as pdf:
        for number, page in enumerate(pdf.pages):
            per_page.append(page_rows(page, starts_page=number > 0))
            if _is_scanned(page):
                scanned.append(number)
    if scanned:
        _ocr_pages(data, per_page, scanned, options)
    rows = [row for page in per_page for row in page]
    if not any(row.text.strip() for row in rows):
        raise UnsupportedFormat("PDF 没有可提取或可识别的文字（可能是空白页或无法识别的扫描件），请人工处理或请申请人发送 Word 版。")
    return rows, bool(scanned)


def scanned_pages(data: bytes) -> list[int]:
    """Indices (0-based) of the pages ``read_pdf`` renders and reads by OCR."""
    with _open(data) as pdf:
        return [number for number, page in enumerate(pdf.pages) if _is_scanned(page)]


def _ocr_pages(data: bytes, per_page: list[list[TextRow]], scanned: list[int], options=None) -> None:
    """Replace the (near-empty) text rows of scanned pages with OCR rows."""
    if not ocr_available(options.engine or DEFAULT_ENGINE if options else DEFAULT_ENGINE):
        raise UnsupportedFormat("PDF 没有可提取的文字（可能是扫描件或图片），暂不支持自动识别，请人工处理或请申请人发送 Word 版。")
    pages = render_pdf_pages(data, scanned)
    for index, rows in zip(scanned, read_pages_apart(pages, options=options,
                                                     page_numbers=[number + 1 for number in scanned])):
        if index == 0 and rows:
            rows[0] = dataclasses.replace(rows[0], starts_page=False)
        per_page[index] = rows


def _is_password_error(exc: BaseException) -> bool:
    # pdfplumber wraps pdfminer's error as the first argument of its own.
    related = [exc, exc.__cause__, exc.__context__, *[a for a in exc.args if isinstance(a, BaseException)]]
    return any(isinstance(e, (PDFPasswordIncorrect, PDFEncryptionError)) for e in related)


def _open(data: bytes) -> pdfplumber.PDF:
    """The PDF open in pdfplumber, once it is known whole, unlocked and not too long."""
    if b"%%EOF" not in data[-4096:]:
        raise CorruptFile("PDF 文件不完整（可能在发送时被截断），请申请人重新发送。")
    pdf = None
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = len(pdf.pages)  # parses the page tree, where truncation shows
    except Exception as exc:  # noqa: BLE001 - any pdfminer failure means unreadable
        if pdf is not None:
            pdf.close()
        if _is_password_error(exc):
            raise EncryptedFile(RESEND_WITHOUT_PASSWORD) from exc
        raise CorruptFile("PDF 文件已损坏，无法读取，请申请人重新发送。") from exc
    if pages > MAX_PDF_PAGES:
        pdf.close()
        raise TooLarge(f"PDF 共 {pages} 页，超过上限 {MAX_PDF_PAGES} 页。")
    try:
        check_stream_sizes(pdf.doc)
    except TooLarge:
        pdf.close()
        raise
    return pdf


def read_pdf(data: bytes, *, options=None) -> list[FormResult]:
    """``options``: ``parsers.options.ParseOptions`` for pages read by OCR."""
    rows, ocr = _pdf_rows(data, options)
    if not ocr:
        return rows_to_results(rows, method="pdf-text", options=options)
    options = ocr_options(options)
    return rows_to_results(rows, method=f"pdf-{method_name(options.engine)}", review_below=options.review_below,
                           options=options)
