"""The main text of a Word 97-2003 file (.doc, Kingsoft .wps), read from
the file itself, with its table cell marks.

    word97_text(data) -> str | None       the document's text, or None
    rows_from_word97_text(text) -> list[TextRow]

LibreOffice reads a table only from the paragraph properties that say
"in a table"; a .doc whose tables lost them (one saved by a converter from
a .docx with check-box content controls in its cells) comes out of
LibreOffice as a few paragraphs with every cell glued to the next, and so
as no form. The text itself still marks each cell's end (``\\x07``), so
``parsers.readers.office`` falls back to it when the conversion holds no
table but the text holds cells.

Reading the text needs only the compound file's streams (a FAT and a
directory), the File Information Block of the WordDocument stream, and
the piece table (``Clx``) in the table stream; formatting is not read.
Fields come back as their shown result; a legacy check-box field, whose
state lives in formatting not read here, as a private-use character —
a mark nobody can read, so ``parsers.text.ticked_options`` sends its
option to review.

The cells' rows are not recorded in the text: a row ends with one more
mark after its last cell, which looks like an empty cell. Two marks in a
row end a row here; an empty cell in the middle of a row ends it too,
which leaves a label with no value, never a value with the wrong label.
Nor are a row's first cell's paragraphs told from paragraphs before a
table: they come out as paragraphs and the last as the cell, and
``parsers.text.pairs`` joins such an answer and sends it to review.
"""
from __future__ import annotations

import re
import struct

from parsers.readers.sniff import CFB_MAGIC
from parsers.text.rows import TextRow

_FREE, _END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
_MAX_SECTORS = 1 << 20  # a chain longer than this is a loop or a hostile file
CELL_MARK = "\x07"
FIELD_BEGIN, FIELD_SEPARATOR, FIELD_END = "\x13", "\x14", "\x15"
UNREADABLE_MARK = "\uf0a8"  # a check box whose state is not in the text
_MIN_CELLS = 8  # fewer cell marks than this is no form's table
_CONTROL = re.compile(r"[\x00-\x06\x08\x0e-\x12\x16-\x1f]")


class _CompoundFile:
    """Just enough of the compound file format to read a named stream."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
        self.mini_sector = 1 << struct.unpack_from("<H", data, 0x20)[0]
        self.mini_cutoff = struct.unpack_from("<I", data, 0x38)[0]
        fat_sectors = list(struct.unpack_from("<109I", data, 0x4C))
        next_difat, difat_count = struct.unpack_from("<II", data, 0x44)
        per_sector = self.sector // 4
        for _ in range(min(difat_count, _MAX_SECTORS)):
            if next_difat >= _END_OF_CHAIN:
                break
            entries = struct.unpack_from(f"<{per_sector}I", self._sector(next_difat))
            fat_sectors.extend(entries[:-1])
            next_difat = entries[-1]
        self.fat: list[int] = []
        for number in fat_sectors:
            if number < _END_OF_CHAIN and number != _FREE:
                self.fat.extend(struct.unpack_from(f"<{per_sector}I", self._sector(number)))
        self.entries = self._directory(struct.unpack_from("<I", data, 0x30)[0])
        root = self.entries.get("Root Entry")
        self.mini_stream = self._chain(root[0], root[1]) if root else b""
        mini_fat_start = struct.unpack_from("<I", data, 0x3C)[0]
        mini_fat = self._chain(mini_fat_start, None) if mini_fat_start < _END_OF_CHAIN else b""
        self.mini_fat = list(struct.unpack_from(f"<{len(mini_fat) // 4}I", mini_fat))

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.sector
        if start + self.sector > len(self.data):
            raise ValueError("sector beyond the file")
        return self.data[start:start + self.sector]

    def _follow(self, table: list[int], start: int) -> list[int]:
        chain, seen = [], set()
        while start < _END_OF_CHAIN and start < len(table) and start not in seen and len(chain) < _MAX_SECTORS:
            seen.add(start)
            chain.append(start)
            start = table[start]
        return chain

    def _chain(self, start: int, size: int | None) -> bytes:
        data = b"".join(self._sector(number) for number in self._follow(self.fat, start))
        return data if size is None else data[:size]

    def _directory(self, start: int) -> dict[str, tuple[int, int]]:
        raw = self._chain(start, None)
        entries = {}
        for offset in range(0, len(raw) - 127, 128):
            name_bytes = struct.unpack_from("<H", raw, offset + 0x40)[0]
            kind = raw[offset + 0x42]
            if kind not in (1, 2, 5) or not 2 <= name_bytes <= 64:
                continue
            name = raw[offset:offset + name_bytes - 2].decode("utf-16-le", "replace")
            first, size = struct.unpack_from("<II", raw, offset + 0x74)
            entries[name] = (first, size)
        return entries

    def stream(self, name: str) -> bytes | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        first, size = entry
        if size >= self.mini_cutoff:
            return self._chain(first, size)
        chain = self._follow(self.mini_fat, first)
        return b"".join(self.mini_stream[n * self.mini_sector:(n + 1) * self.mini_sector] for n in chain)[:size]


def word97_text(data: bytes) -> str | None:
    """The main document's text (pieces in order, cell and paragraph marks
    kept), or None when this is not a Word 97-2003 file it can read."""
    if not data.startswith(CFB_MAGIC) or len(data) < 1536:
        return None
    try:
        compound = _CompoundFile(data)
        document = compound.stream("WordDocument")
        if document is None or len(document) < 0x1AA or struct.unpack_from("<H", document, 0)[0] != 0xA5EC:
            return None
        table = compound.stream("1Table" if struct.unpack_from("<H", document, 0x0A)[0] & 0x0200 else "0Table")
        csw = struct.unpack_from("<H", document, 32)[0]
        cslw = struct.unpack_from("<H", document, 34 + 2 * csw)[0]
        long_words = 36 + 2 * csw
        text_chars = struct.unpack_from("<i", document, long_words + 12)[0]
        pairs = long_words + 4 * cslw + 2
        clx_at, clx_size = struct.unpack_from("<II", document, pairs + 33 * 8)
        if table is None or clx_at + clx_size > len(table):
            return None
        pieces = _pieces(table[clx_at:clx_at + clx_size])
    except (struct.error, ValueError, KeyError):
        return None
    text = []
    for start, end, offset, compressed in pieces:
        count = end - start
        if compressed:
            text.append(document[offset:offset + count].decode("cp1252", "replace"))
        else:
            text.append(document[offset:offset + 2 * count].decode("utf-16-le", "replace"))
    return "".join(text)[:max(text_chars, 0)]


def _pieces(clx: bytes) -> list[tuple[int, int, int, bool]]:
    """(first character, end, byte offset, 8-bit) of each piece of text."""
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # property modifiers, not needed
        at += 3 + struct.unpack_from("<H", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 0x02:
        raise ValueError("no piece table")
    size = struct.unpack_from("<I", clx, at + 1)[0]
    table = clx[at + 5:at + 5 + size]
    count = (len(table) - 4) // 12
    positions = struct.unpack_from(f"<{count + 1}I", table)
    pieces = []
    for number in range(count):
        fc = struct.unpack_from("<I", table, 4 * (count + 1) + 8 * number + 2)[0]
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        pieces.append((positions[number], positions[number + 1], offset, compressed))
    return pieces


def _field_results(text: str) -> str:
    """Each field as the text it shows; a check-box field as a mark nobody can read."""
    out, stack = [], []  # per open field: [showing result?, code so far]
    for ch in text:
        if ch == FIELD_BEGIN:
            stack.append([False, []])
        elif ch == FIELD_SEPARATOR and stack:
            stack[-1][0] = True
        elif ch == FIELD_END and stack:
            showing, code = stack.pop()
            if "FORMCHECKBOX" in "".join(code).upper():
                out.append(UNREADABLE_MARK)
        elif stack and not stack[-1][0]:
            stack[-1][1].append(ch)
        else:
            out.append(ch)
    return "".join(out)


def has_cells(text: str | None) -> bool:
    return text is not None and text.count(CELL_MARK) >= _MIN_CELLS


def rows_from_word97_text(text: str) -> list[TextRow]:
    """Rows of cells from the text: paragraphs outside tables are rows of
    one; in a table, cells end at a cell mark and rows at two marks."""
    text = _CONTROL.sub("", _field_results(text)).replace("\x0b", "\n").replace("\x0c", "\r")
    rows: list[TextRow] = []
    cells: list[str] = []
    piece = ""
    first_row = True
    for ch in text:
        if ch == CELL_MARK:
            if piece or not cells:
                cells.append(piece)
                piece = ""
                continue
            if any(cell.strip() for cell in cells):  # the second mark: the row's end
                rows.append(TextRow(tuple(cells), in_table=True, starts_table=first_row))
                first_row = False
            cells = []
        elif ch == "\r":
            if cells:  # a paragraph inside a cell: the cell goes on
                piece += "\n"
                continue
            if piece.strip():  # a paragraph outside any table
                rows.append(TextRow((piece,), in_table=False))
                first_row = True
            piece = ""
        else:
            piece += ch
    if piece.strip():
        rows.append(TextRow((piece,), in_table=False))
    return rows
