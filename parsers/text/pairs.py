"""Turning rows of cells into (field key, raw value) pairs.

Handles the layouts the form comes in: label and value in neighbouring
cells (2, 4 or more columns), "标签：值" inside one cell or paragraph (several
per line), labels over a row of values, a value split over several cells
(an ID written one digit per box), and long answers continued on the next
lines or rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.text.labels import LabelIndex, label_index
from parsers.text.rows import SourceBox, TextRow
from parsers.schema import load_schema

CONTINUED_KINDS = ("longtext", "ticks")
# Lines that close the data part of a form; never part of an answer.
STOP_PREFIXES = ("本人承诺", "承诺", "注：", "注:", "说明：", "说明:")
# The declaration inside a value: a scanned cell whose bottom rule was not
# found runs on into it ("周末及节假日本人承诺以上信息真实有效…").
DECLARATION = re.compile(r"(本人|人)?承诺以上|本人承诺")
STOP_PREFIXES_RE = re.compile("|".join(re.escape(prefix) for prefix in STOP_PREFIXES))
SWALLOWED = "“{label}”一栏似乎连带读入了下方的承诺声明，已截去，请对照原件核对"


@dataclass
class Pair:
    key: str
    raw: str
    label: str  # the label as written, e.g. "联系电话"
    confidence: float = 1.0  # the least sure of the cells the value came from (OCR)
    # Why the value's extent is uncertain (a cell that ran into the next
    # one): OCR only; the field goes to review whatever the confidence.
    doubt: str | None = None
    # Why the value may hold text that is not the answer (any format): the
    # field goes to review with this reason.
    review_reason: str | None = None
    # What was taken out of the value as not part of the answer (placeholder
    # underscores, a signature line…): kept as warnings, not review.
    notes: list[str] = field(default_factory=list)
    box: SourceBox | None = None  # where the value was read, when known


@dataclass
class _Pending:
    key: str
    label: str
    parts: list[str] = field(default_factory=list)
    confidence: float = 1.0
    box: SourceBox | None = None


def _joined(box: SourceBox | None, other: SourceBox | None) -> SourceBox | None:
    return other if box is None else box.union(other)


class _PairReader:
    def __init__(self, index: LabelIndex) -> None:
        self.index = index
        self.kinds = {spec.key: spec.kind for spec in load_schema().fields}
        self.pairs: list[Pair] = []
        self.pending: _Pending | None = None
        self.continuing: Pair | None = None  # the answer later lines may extend

    def flush(self) -> None:
        if self.pending is None:
            return
        parts = [part for part in self.pending.parts if part.strip()]
        one_char_boxes = len(parts) > 1 and all(len(part.strip()) == 1 for part in parts)
        raw = ("" if one_char_boxes else "\n").join(part.strip() for part in parts)
        self.emit(self.pending.key, raw, self.pending.label, self.pending.confidence, self.pending.box)
        self.pending = None

    def emit(self, key: str, raw: str, label: str, confidence: float = 1.0, box: SourceBox | None = None) -> None:
        doubt = None
        found = DECLARATION.search(raw) if raw else None
        if found and not STOP_PREFIXES_RE.match(raw):
            raw, doubt = raw[:found.start()].rstrip(), SWALLOWED.format(label=label)
        pair = Pair(key, raw, label, confidence, doubt, box=box)
        self.pairs.append(pair)
        self.continuing = pair if self.kinds.get(key) in CONTINUED_KINDS else None

    def value(self, text: str, row: TextRow, position: int) -> None:
        confidence = row.confidence(position)
        if self.pending is not None:
            # An empty cell OCR could not read (confidence 0) still counts.
            self.pending.confidence = min(self.pending.confidence, confidence)
        if not text.strip():
            return
        if self.pending is not None:
            self.pending.parts.append(text)
            self.pending.box = _joined(self.pending.box, row.box(position))
            return
        stripped = text.strip()
        if stripped.startswith(STOP_PREFIXES) or self.index.is_title(stripped):
            self.continuing = None
            return
        # In a table only a row whose label cell is empty (a vertically
        # merged label) continues the answer above.
        if self.continuing is not None and (not row.in_table or not row.cells[0].strip()):
            pair = self.continuing
            found = DECLARATION.search(stripped)
            if found:
                stripped = stripped[:found.start()].rstrip()
                pair.doubt = pair.doubt or SWALLOWED.format(label=pair.label)
                self.continuing = None
            pair.raw = f"{pair.raw}\n{stripped}".strip()
            pair.confidence = min(pair.confidence, confidence)
            pair.box = _joined(pair.box, row.box(position))

    def cell(self, text: str, row: TextRow, position: int) -> None:
        key = self.index.match(text)
        if key is not None:
            self.flush()
            self.pending = _Pending(key, text.strip())
            return
        found = self.index.find_inline(text)
        if not found:
            self.value(text, row, position)
            return
        self.value(text[: found[0][1]], row, position)
        for number, (key, start, end) in enumerate(found):
            self.flush()
            stop = found[number + 1][1] if number + 1 < len(found) else len(text)
            self.pending = _Pending(key, text[start:end].rstrip(":：").strip())
            self.value(text[end:stop], row, position)

    def row(self, row: TextRow) -> None:
        if row.in_table:
            self.flush()
        for position, text in enumerate(row.cells):
            self.cell(text, row, position)
        # A paragraph label alone on its line takes the next line as value.
        if row.in_table or (self.pending is not None and any(p.strip() for p in self.pending.parts)):
            self.flush()

    def header_row(self, labels: list[tuple[str, str]], values: TextRow) -> None:
        self.flush()
        for position, ((key, label), text) in enumerate(zip(labels, values.cells)):
            if key:
                self.emit(key, text.strip(), label, values.confidence(position), values.box(position))
        self.continuing = None


def _header_labels(row: TextRow, next_row: TextRow | None, index: LabelIndex):
    """Labels of a row that heads a row of values below it, else None."""
    if not row.in_table or next_row is None or not next_row.in_table or next_row.starts_table:
        return None
    if len(row.cells) != len(next_row.cells) or len(row.cells) < 2:
        return None
    labels = [(index.match(cell), cell.strip()) for cell in row.cells]
    if sum(1 for key, _ in labels if key) < 2 or any(cell.strip() and not key for (key, _), cell in zip(labels, row.cells)):
        return None
    if any(index.match(cell) or index.find_inline(cell) for cell in next_row.cells):
        return None
    if not any(cell.strip() for cell in next_row.cells):
        return None
    return labels


def read_pairs(rows: list[TextRow]) -> list[Pair]:
    index = label_index()
    reader = _PairReader(index)
    skip_next = False
    for number, row in enumerate(rows):
        if skip_next:
            skip_next = False
            continue
        following = rows[number + 1] if number + 1 < len(rows) else None
        header = _header_labels(row, following, index)
        if header is not None:
            reader.header_row(header, following)
            skip_next = True
            continue
        reader.row(row)
    reader.flush()
    return reader.pairs
