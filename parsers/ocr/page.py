"""One page image → rows of text cells with per-cell confidences.

1. Binarise, find the ruled table(s) and their cells (``grid``).
2. Cut every cell, and every line of text outside the tables (title,
   signature line; the whole page when there is no table), read from the
   page with the tables painted out (``loose_view``), and OCR them in one
   batch.
3. The label cells tell what each value cell should hold: a value next to
   "身份证号码" is read as digits (Tesseract re-reads those with a digit
   whitelist), tick-box cells are re-read from the ink (``tick_marks``),
   and boxes drawn as cells of their row join the options after them
   (``box_cells``); ``cell_hints`` gives each cell its hint.
4. Rows come out in reading order, table rows and loose lines merged top
   to bottom, as the text-PDF reader gives them; a gap the writer left
   stays a space, and a label alone on a cell's first line stays apart from
   the answer under it. Every cell keeps its box,
   mapped back through the page's ``Placement`` (``page_images``) onto the
   page staff are shown: the image as sent, or the PDF page in points.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from parsers.ocr import tick_marks
from parsers.ocr.box_cells import joined_box_cells
from parsers.ocr.cell_hints import options_label, tick_hints, value_hints
from parsers.ocr.cell_text import cell_text, reads_as_label
from parsers.ocr.engines import OcrEngine, correct, text_lines
from parsers.ocr.engines.crops import text_height
from parsers.ocr.engines.readings import is_stray_marks
from parsers.ocr.geometry import Placement
from parsers.ocr.grid import PageInk, analyse, find_tables
from parsers.ocr.line_bands import Band, band_ink, split_lines, straighten
from parsers.ocr.loose_view import outside_tables
from parsers.ocr.page_images import placement_of
from parsers.text.labels import label_index
from parsers.text.misread_labels import row_with_labels_restored
from parsers.text.rows import SourceBox, TextRow
from parsers.text.ticked_options import TICKED_MARKS, UNTICKED_MARKS

TARGET_WIDTH = (1400, 2400)  # pages are scaled into this width range (A4 at ~170–290 dpi)
CELL_INSET = 3  # px trimmed inside a cell's rules
# … but only this much above the bottom rule: a line set low in a tight row
# hangs its descenders on the rule, and the hook of a "j" cut off reads "i".
CELL_INSET_BOTTOM = 1
LOOSE_PIECE_GAP = 0.8  # a loose line is cut into pieces at gaps wider than this many line heights …
LOOSE_CELL_GAP = 1.0  # … and pieces further apart than this are separate cells (as the text-PDF reader)
MIN_INK = 12  # px of ink below which a cell is empty
BOX_GLYPHS = TICKED_MARKS + UNTICKED_MARKS
COLON_LOOKALIKES = "：:?？·.。•・"
# A reading less sure than this is not a value but a guess: the cell is
# treated as unreadable (empty, confidence 0) so the field is flagged, not filled.
UNREADABLE_BELOW = 0.5


@dataclass
class _Piece:
    """A rectangle of the page to read: a table cell or a piece of a loose line."""

    box: tuple[int, int, int, int]
    row: int  # index into the page's row list
    column: int
    hint: str = "chinese"
    text: str = ""
    confidence: float = 1.0
    has_ink: bool = False
    band: Band | None = None  # a loose line's slanting band (``line_bands``); None: the box is the line

    @property
    def line_height(self) -> int:
        return max(1, self.band.height if self.band else self.box[3] - self.box[1])


def normalise_size(grey: np.ndarray) -> np.ndarray:
    width = grey.shape[1]
    low, high = TARGET_WIDTH
    if low <= width <= high:
        return grey
    scale = (low if width < low else high) / width
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=interpolation)


def to_grey(image) -> np.ndarray:
    """A PIL image or numpy array as a uint8 grey array."""
    if not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("L"))
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY)
    return np.ascontiguousarray(image, dtype=np.uint8)


def _ink_count(page: PageInk, box) -> int:
    x0, y0, x1, y1 = box
    return int(np.count_nonzero(page.ink[y0:y1, x0:x1] & ~page.rules[y0:y1, x0:x1]))


def _crop(page: PageInk, piece: _Piece) -> np.ndarray:
    """The piece's grey crop (a slanting line levelled) with any rule pixels painted white."""
    x0, y0, x1, y1 = piece.box
    if piece.band is not None and piece.band.slope:
        crop = straighten(page.grey, piece.band, x0, x1)
        crop[straighten(page.rules, piece.band, x0, x1, fill=0) > 0] = 255
        return crop
    crop = page.grey[y0:y1, x0:x1].copy()
    crop[page.rules[y0:y1, x0:x1] > 0] = 255
    return crop


def _piece_ink(page: PageInk, piece: _Piece) -> tuple[np.ndarray, np.ndarray]:
    """The piece's ink without the rules, and the rules painted out of it;
    a slanting line levelled."""
    x0, y0, x1, y1 = piece.box
    if piece.band is not None and piece.band.slope:
        return (straighten(page.ink & ~page.rules, piece.band, x0, x1, fill=0),
                straighten(page.rules, piece.band, x0, x1, fill=0))
    return page.ink[y0:y1, x0:x1] & ~page.rules[y0:y1, x0:x1], page.rules[y0:y1, x0:x1]


def _loose_lines(page: PageInk, line_height: int | None = None) -> list[tuple[int, list[_Piece]]]:
    """(top, pieces) of each text line of ``page``, the page as seen
    outside its tables (``loose_view.outside_tables``); a line that slants
    keeps its band, so that it is read levelled."""
    ink = page.ink.copy()
    # Specks (scanner dust) are not text.
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    line_height = line_height or _line_height(page)
    _drop_non_text(ink)
    lines = []
    page_height, page_width = ink.shape
    for band in split_lines(ink, text_lines(255 - ink), line_height):
        height = band.height
        if height < 8:
            continue
        columns = np.where(band_ink(ink, band).any(axis=0))[0]
        if len(columns) == 0:
            continue
        gap = LOOSE_PIECE_GAP * height
        boxes, start, last = [], columns[0], columns[0]
        for x in columns[1:]:
            if x - last > gap:
                boxes.append((int(start), int(last) + 1))
                start = x
            last = x
        boxes.append((int(start), int(last) + 1))
        pad = max(2, height // 5)
        padded = Band(band.top - pad, band.bottom + pad, band.slope)
        pieces = []
        for column, (x0, x1) in enumerate(boxes):
            x0, x1 = max(0, x0 - pad), min(page_width, x1 + pad)
            left, top, right, bottom = padded.box(x0, x1)
            box = (left, max(0, top), right, min(page_height, bottom))
            pieces.append(_Piece(box, 0, column, band=padded if band.slope else None))
        lines.append((max(0, padded.box(columns[0], columns[-1])[1] + pad), pieces))
    return lines


def _drop_non_text(ink: np.ndarray) -> None:
    """Take out of the ink what cannot be a line's text: blobs touching the
    page's edge (the sheet's border or a shadow left by cutting a photo
    out) and blobs taller than a tenth of the page. One stroke down the
    side would make every row of the page "inked", and the whole page came
    out as one line. (Grain is left: the bits of a character's strokes are
    as small, and a line's extent must keep them.)"""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return
    height, width = ink.shape
    x, y, w, h = (stats[:, n] for n in range(4))
    outside = (x <= 0) | (y <= 0) | (x + w >= width) | (y + h >= height) | (h > height // 10)
    outside[0] = False  # the background
    ink[outside[labels]] = 0


def _join_text(left: str, right: str) -> str:
    """Two pieces of a loose line as one text. Pieces are cut at gaps wider
    than a gap the writer leaves (``engines.crops.WRITTEN_GAP``), so the
    gap stays a space, as it does within a cell: it parts a label from its
    answer ("可服务时间　每周二"); but not inside a label padded to width
    ("姓　　名："), whose first piece only starts a label."""
    if not (left and right) or (label_index().is_label_start(left) and not reads_as_label(left)):
        return left + right
    return f"{left} {right}"


def _colon_guess(text: str) -> bool:
    """A colon's two dots read as what they look like, one line each or side by side."""
    return bool(text.strip()) and all(ch.isspace() or ch in COLON_LOOKALIKES for ch in text)


def _merge_loose(row: list[_Piece]) -> list[_Piece]:
    """Pieces of one loose line as cells: pieces closer than a character
    are one cell, and so are the parts of a label padded with spaces
    ("姓　　名：…"), as the text-PDF reader cuts its lines."""
    index = label_index()
    cells: list[_Piece] = []
    for piece in row:
        if not piece.has_ink:
            continue
        narrow = piece.box[2] - piece.box[0] < piece.line_height
        colon_guess = bool(cells) and _colon_guess(piece.text) and reads_as_label(cells[-1].text)
        if narrow and (not piece.text or (piece.confidence < UNREADABLE_BELOW and (
                is_stray_marks(piece.text) or colon_guess) and not any(ch in BOX_GLYPHS for ch in piece.text))):
            # A speck no wider than a character, with nothing read in it, a
            # rule's stub guessed as "1", or the colon after a label guessed at
            # as "?" and "·": no text, and no doubt on the line it ends (a box
            # guessed at stays, for the tick list it is part of).
            continue
        if cells:
            last = cells[-1]
            height = piece.line_height
            gap = piece.box[0] - last.box[2]
            if gap <= LOOSE_CELL_GAP * height or (last.text and index.is_label_start(last.text)):
                box = (min(last.box[0], piece.box[0]), min(last.box[1], piece.box[1]),
                       max(last.box[2], piece.box[2]), max(last.box[3], piece.box[3]))
                merged = _Piece(box, last.row, last.column, last.hint, _join_text(last.text, piece.text),
                                min(last.confidence, piece.confidence), True,
                                last.band if last.band == piece.band else None)
                cells[-1] = merged
                continue
        cells.append(piece)
    for column, cell in enumerate(cells):
        cell.column = column
    return cells


def _read(piece: _Piece) -> bool:
    return bool(piece.text) and piece.confidence >= UNREADABLE_BELOW and not is_stray_marks(piece.text)


def _join_paragraphs(placed: list, rows: list[list[_Piece]]) -> tuple[list, list[list[_Piece]]]:
    """A loose line that follows one running to the right margin, starting
    in the same column, is the same paragraph: one cell, one piece (as the
    text-PDF reader joins them)."""
    loose = [row for (_, _, _, in_table, _), row in zip(placed, rows) if not in_table]
    # A speck or shadow at the sheet's edge read as a guess or as marks ("■1")
    # is no text: it neither sets the margin nor makes its line one that wraps.
    right_margin = max((piece.box[2] for row in loose for piece in row if _read(piece)), default=0)
    kept_placed, kept_rows = [], []
    wrapped, previous_x0 = False, None
    for place, row in zip(placed, rows):
        in_table = place[3]
        if in_table or not row:
            kept_placed.append(place)
            kept_rows.append(row)
            if in_table:
                wrapped, previous_x0 = False, None
            continue
        height = row[0].line_height
        same_column = previous_x0 is not None and abs(row[0].box[0] - previous_x0) <= 2 * height
        if wrapped and same_column and len(row) == 1 and kept_rows and kept_rows[-1] and not kept_placed[-1][3]:
            above, piece = kept_rows[-1][-1], row[0]
            box = (min(above.box[0], piece.box[0]), min(above.box[1], piece.box[1]),
                   max(above.box[2], piece.box[2]), max(above.box[3], piece.box[3]))
            kept_rows[-1][-1] = _Piece(box, above.row, above.column, above.hint, above.text + "\n" + piece.text,
                                       min(above.confidence, piece.confidence), True)
        else:
            kept_placed.append(place)
            kept_rows.append(row)
        wrapped = _read(row[-1]) and row[-1].box[2] >= right_margin - 1.5 * height
        previous_x0 = row[0].box[0]
    return kept_placed, kept_rows


def read_page(image, engine: OcrEngine, starts_page: bool = False, page_number: int = 1) -> list[TextRow]:
    """Rows of one page image; ``page_number`` (1-based) goes into the cells' boxes."""
    original = to_grey(image)
    grey = normalise_size(original)
    scaled = Placement.scaled(original.shape[1] / grey.shape[1], original.shape[0] / grey.shape[0])
    placement = placement_of(image).after(np.asarray(scaled.matrix))
    page = analyse(grey)
    tables = find_tables(page)
    placed: list[tuple[int, int, list[_Piece], bool, bool]] = []  # top, order, pieces, in_table, starts_table
    for table in tables:
        for row_number, (top, cells) in enumerate(zip(table.row_tops, table.rows)):
            pieces = []
            for column, cell in enumerate(cells):
                if cell is None:
                    pieces.append(_Piece((0, 0, 0, 0), 0, column))
                    continue
                box = (cell.x0 + CELL_INSET, cell.y0 + CELL_INSET, cell.x1 - CELL_INSET, cell.y1 - CELL_INSET_BOTTOM)
                pieces.append(_Piece(box, 0, column))
            placed.append((top, 0, pieces, True, row_number == 0))
    line_height = _line_height(page)  # measured once: the loose lines and the tick boxes go by it
    loose = outside_tables(page, tables)
    for top, pieces in _loose_lines(loose, line_height):
        placed.append((top, 1, pieces, False, False))
    placed.sort(key=lambda item: (item[0], item[1]))
    rows = [pieces for _, _, pieces, _, _ in placed]

    todo = []
    for row in rows:
        for piece in row:
            piece.has_ink = piece.box[2] > piece.box[0] and _ink_count(page, piece.box) >= MIN_INK
            if piece.has_ink:
                todo.append(piece)
    loose_pieces = {id(piece) for (_, _, pieces, in_table, _) in placed if not in_table for piece in pieces}
    crops = [(_crop(loose if id(p) in loose_pieces else page, p), p.hint) for p in todo]
    for piece, (text, confidence) in zip(todo, engine.read_cells(crops)):
        piece.text, piece.confidence = text, confidence
    for row in rows:  # a label the engine doubted may be one character off (党 read as 觉)
        confidences = [piece.confidence if piece.has_ink else 1.0 for piece in row]
        for piece, text in zip(row, row_with_labels_restored(label_index(), [p.text for p in row], confidences)):
            piece.text = text
    for number, (_, _, _, in_table, _) in enumerate(placed):
        if not in_table:
            rows[number] = _merge_loose(rows[number])
        else:
            counts = [_ink_count(page, piece.box) if piece.box[2] > piece.box[0] else 0 for piece in rows[number]]
            rows[number] = joined_box_cells(rows[number], counts, line_height)
    placed, rows = _join_paragraphs(placed, rows)
    loose_pieces = {id(piece) for (_, _, _, in_table, _), row in zip(placed, rows) if not in_table for piece in row}
    todo = [piece for row in rows for piece in row if piece.has_ink]
    value_hints(rows)
    tick_hints(rows)
    reread = [p for p in todo if p.hint in ("digits", "date", "email", "name")]
    if reread and engine.rereads_with_hints:
        for piece, (text, confidence) in zip(reread, engine.read_cells(
                [(_crop(loose if id(p) in loose_pieces else page, p), p.hint) for p in reread])):
            piece.text, piece.confidence = text, confidence
    else:
        for piece in reread:
            piece.text = correct(piece.text, piece.hint)
    for piece in todo:
        if piece.text and piece.hint == "ticks":
            # A line outside the tables is read from the page with the tables
            # painted out, and a box drawn against one has lost a side with
            # them; a cell is cut inside its rules.
            loose_piece = id(piece) in loose_pieces
            ink, rules = _piece_ink(loose if loose_piece else page, piece)
            prefix = options_label(piece.text)
            text, confidence = tick_marks.rewrite(piece.text, ink, line_height, piece.confidence,
                                                  label=prefix, rules=rules if loose_piece else None)
            # The boxes in the ink decide, however unsure OCR was of the
            # line (its box glyphs are what it reads worst).
            if text != piece.text or piece.confidence >= UNREADABLE_BELOW:
                # "专业领域：□…" on a line of its own: keep the label the options belong to.
                rewritten = text != piece.text
                piece.text = f"{prefix.rstrip()} {text}" if prefix and rewritten and not text.startswith(prefix) else text
                piece.confidence = confidence
                continue
        if piece.hint not in ("ticks", "digits") and is_stray_marks(piece.text):
            # A shadow's edge or a rule's end read as "■" or "|": no writing there.
            piece.text, piece.confidence, piece.has_ink = "", 1.0, False
        elif piece.confidence < UNREADABLE_BELOW and not reads_as_label(piece.text):
            piece.text, piece.confidence = "", 0.0

    out: list[TextRow] = []
    for (_, _, _, in_table, starts_table), row in zip(placed, rows):
        cells = tuple(cell_text(p.text) for p in row)
        if not any(cells) and not in_table and not any(p.has_ink and p.confidence < UNREADABLE_BELOW for p in row):
            # Nothing was written there (a rule's stub, a stray mark): no row, which would
            # stand between labels and the answers under them. An unreadable line is kept
            # (empty, confidence 0): a long answer it was part of is flagged.
            continue
        # A cell with ink that could not be read (handwriting, a smudge)
        # is empty text with confidence 0: missing, and flagged for review.
        confidences = tuple(p.confidence if p.has_ink else 1.0 for p in row)
        boxes = tuple(SourceBox(page_number, placement.box(p.box)) if p.box[2] > p.box[0] else None for p in row)
        out.append(TextRow(cells, in_table, False, starts_table, confidences, boxes))
    if out and starts_page:
        out[0] = replace(out[0], starts_page=True)
    return out


def _line_height(page: PageInk) -> int:
    """Typical text height on the page (no character is a twentieth of it)."""
    return text_height(page.ink & ~page.rules, tallest=page.ink.shape[0] // 20, default=28)
