"""Reading a PDF's text layer into rows of text cells.

Ruled tables are read with pdfplumber's line-based table finder; words
outside tables are grouped into lines, and a line is cut into cells where
the gap between words is wide (label and value set apart by spacing rather
than ruling). Rows from tables and loose lines are merged top to bottom.
"""
from __future__ import annotations

import dataclasses
import io
import re

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from parsers.text.assemble import rows_to_results
from parsers.readers.docx_safety import RESEND_WITHOUT_PASSWORD
from parsers.text.fields import label_index
from parsers.errors import CorruptFile, EncryptedFile, TooLarge, UnsupportedFormat
from parsers.results import FormResult
from parsers.text.rows import TextRow

MAX_BYTES = 20 * 1024 * 1024
MAX_PAGES = 20
MIN_TEXT_CHARS = 20  # fewer characters than this on every page: a scan
CELL_GAP_IN_CHARS = 1.0  # a gap wider than one character splits cells
_ASCII_WORD_END = re.compile(r"[A-Za-z0-9]$")
_ASCII_WORD_START = re.compile(r"^[A-Za-z0-9]")


def unwrap(text: str) -> str:
    """Join the visual lines of a cell: wrapping is layout, not content."""
    joined = ""
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        glue = " " if _ASCII_WORD_END.search(joined) and _ASCII_WORD_START.match(line) else ""
        joined = f"{joined}{glue}{line}" if joined else line
    return joined


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


def _loose_lines(page, table_boxes: list[tuple]) -> list[tuple[float, tuple[str, ...]]]:
    words = [w for w in page.extract_words(keep_blank_chars=False) if not _inside(w, table_boxes)]
    words.sort(key=lambda w: (round(w["top"]), w["x0"]))
    lines: list[list[dict]] = []
    for word in words:
        if lines and abs(lines[-1][0]["top"] - word["top"]) <= word["bottom"] - word["top"]:
            lines[-1].append(word)
        else:
            lines.append([word])
    right_margin = max((w["x1"] for w in words), default=0)
    result: list[tuple[float, tuple[str, ...]]] = []
    wrapped, previous_x0 = False, None
    for line in lines:
        cells = [" ".join(w["text"] for w in cell) for cell in _line_cells(line)]
        height = line[-1]["bottom"] - line[-1]["top"]
        same_column = previous_x0 is not None and abs(line[0]["x0"] - previous_x0) <= 2 * height
        if wrapped and same_column and len(cells) == 1 and result:
            # The line above ran to the margin: this is the same paragraph.
            top, previous = result[-1]
            result[-1] = (top, (*previous[:-1], unwrap(previous[-1] + "\n" + cells[0])))
        else:
            result.append((line[0]["top"], tuple(cells)))
        wrapped = max(w["x1"] for w in line) >= right_margin - 1.5 * height
        previous_x0 = line[0]["x0"]
    return result


def page_rows(page, starts_page: bool) -> tuple[list[TextRow], int]:
    """Rows of one page, and how many characters of text it has."""
    placed: list[tuple[float, int, TextRow]] = []
    tables = page.find_tables()
    for table_number, table in enumerate(tables):
        for row_number, (row, texts) in enumerate(zip(table.rows, table.extract())):
            cells = tuple(unwrap(text) for text in texts if text is not None)
            if any(cells):
                placed.append((row.bbox[1], 0, TextRow(cells, True, False, row_number == 0)))
    for top, cells in _loose_lines(page, [table.bbox for table in tables]):
        placed.append((top, 1, TextRow(cells, False)))
    placed.sort(key=lambda item: (item[0], item[1]))
    rows = [row for _, _, row in placed]
    if rows and starts_page:
        rows[0] = dataclasses.replace(rows[0], starts_page=True)
    return rows, len(page.chars)


def _pdf_rows(data: bytes, options=None) -> tuple[list[TextRow], bool]:
    """Rows of every page, and whether any page had to be OCR'd.

    A page without a text layer (a scan, a photo saved as PDF) is rendered
    and read by OCR in its place, so a PDF mixing typed and scanned pages,
    or a form scanned over two pages, reads as one.
    """
    if len(data) > MAX_BYTES:
        raise TooLarge(f"PDF 文件大小超过上限 {MAX_BYTES // (1024 * 1024)} MB。")
    if b"%%EOF" not in data[-4096:]:
        raise CorruptFile("PDF 文件不完整（可能在发送时被截断），请申请人重新发送。")
    per_page: list[list[TextRow]] = []
    scanned: list[int] = []
    with _open(data) as pdf:
        if len(pdf.pages) > MAX_PAGES:
            raise TooLarge(f"PDF 共 {len(pdf.pages)} 页，超过上限 {MAX_PAGES} 页。")
        for number, page in enumerate(pdf.pages):
            page_text_rows, chars = page_rows(page, starts_page=number > 0)
            per_page.append(page_text_rows)
            if chars < MIN_TEXT_CHARS:
                scanned.append(number)
    if scanned:
        _ocr_pages(data, per_page, scanned, options)
    rows = [row for page in per_page for row in page]
    if not any(row.text.strip() for row in rows):
        raise UnsupportedFormat("PDF 没有可提取或可识别的文字（可能是空白页或无法识别的扫描件），请人工处理或请申请人发送 Word 版。")
    return rows, bool(scanned)


def _ocr_pages(data: bytes, per_page: list[list[TextRow]], scanned: list[int], options=None) -> None:
    """Replace the (near-empty) text rows of scanned pages with OCR rows."""
    from parsers.ocr.page_images import pdf_scanned_pages
    from parsers.ocr import DEFAULT_ENGINE, ocr_available, read_pages_apart

    if not ocr_available(options.engine or DEFAULT_ENGINE if options else DEFAULT_ENGINE):
        raise UnsupportedFormat("PDF 没有可提取的文字（可能是扫描件或图片），暂不支持自动识别，请人工处理或请申请人发送 Word 版。")
    # parsers.ocr.page_images decides which pages lack a text layer (pypdfium2) and
    # renders exactly those, in page order.
    scans = pdf_scanned_pages(data, max_pages=MAX_PAGES)
    for (index, _), rows in zip(scans, read_pages_apart([page for _, page in scans], options=options)):
        if index == 0 and rows:
            rows[0] = dataclasses.replace(rows[0], starts_page=False)
        per_page[index] = rows


def _is_password_error(exc: BaseException) -> bool:
    # pdfplumber wraps pdfminer's error as the first argument of its own.
    related = [exc, exc.__cause__, exc.__context__, *[a for a in exc.args if isinstance(a, BaseException)]]
    return any(isinstance(e, (PDFPasswordIncorrect, PDFEncryptionError)) for e in related)


def _open(data: bytes):
    pdf = None
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages  # parses the page tree, where truncation shows
        return pdf
    except Exception as exc:  # noqa: BLE001 - any pdfminer failure means unreadable
        if pdf is not None:
            pdf.close()
        if _is_password_error(exc):
            raise EncryptedFile(RESEND_WITHOUT_PASSWORD) from exc
        raise CorruptFile("PDF 文件已损坏，无法读取，请申请人重新发送。") from exc


def read_pdf(data: bytes, *, options=None) -> list[FormResult]:
    """``options``: ``parsers.options.ParseOptions`` for pages read by OCR."""
    rows, ocr = _pdf_rows(data, options)
    if not ocr:
        return rows_to_results(rows, method="pdf-text")
    from parsers.ocr import method_name, ocr_options

    options = ocr_options(options)
    return rows_to_results(rows, method=f"pdf-{method_name(options.engine)}", review_below=options.review_below,
                           options=options)
