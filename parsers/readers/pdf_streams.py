"""A PDF's compressed streams measured before anything decodes them whole.

pdfminer inflates a stream in one piece when a page needs it, so a few
kilobytes of chained ``/FlateDecode`` can become a gigabyte in the parse
child. Here every Flate stream is inflated in chunks that are counted and
thrown away: one that would grow past ``MAX_STREAM_BYTES`` makes the file
``TooLarge`` (a decompression bomb) before pdfplumber sees it. Other filters
(images as JPEG, fax) decode to a bounded size and are left alone.
"""
from __future__ import annotations

import zlib

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdftypes import PDFStream, resolve1
from pdfminer.psparser import LIT

from parsers.errors import TooLarge

# A page scanned in colour at 600 dpi, uncompressed, is about 100 MB; nothing a
# form needs is larger.
MAX_STREAM_BYTES = 128 * 1024 * 1024
CHUNK = 1024 * 1024
_FLATE = {LIT("FlateDecode"), LIT("Fl")}
BOMB = "PDF 文件中的压缩数据解压后超过 {limit} MB（疑似压缩炸弹），已拒绝处理，请人工查看原件。"


def check_stream_sizes(document: PDFDocument) -> None:
    """Raise TooLarge when a Flate stream of ``document`` inflates past the cap."""
    seen: set[int] = set()
    for xref in document.xrefs:
        for object_id in xref.get_objids():
            if object_id in seen:
                continue
            seen.add(object_id)
            try:
                stream = resolve1(document.getobj(object_id))
            except Exception:  # noqa: BLE001 - a broken object is the reader's to report
                continue
            if isinstance(stream, PDFStream):
                _check_stream(stream)


def _check_stream(stream: PDFStream) -> None:
    try:
        filters = [name for name, _params in stream.get_filters()]
    except Exception:  # noqa: BLE001
        return
    if not filters or any(name not in _FLATE for name in filters):
        return
    raw = stream.rawdata if stream.rawdata is not None else b""
    try:
        _inflate_counting([zlib.decompressobj() for _ in filters], raw)
    except zlib.error:
        return  # damaged data: pdfminer reports it, or the page reads without it


def _inflate_counting(layers: list, data: bytes) -> None:
    total = 0

    def feed(level: int, chunk: bytes) -> None:
        nonlocal total
        if level == len(layers):
            total += len(chunk)
            if total > MAX_STREAM_BYTES:
                raise TooLarge(BOMB.format(limit=MAX_STREAM_BYTES // (1024 * 1024)))
            return
        decoder = layers[level]
        while chunk:
            feed(level + 1, decoder.decompress(chunk, CHUNK))
            chunk = decoder.unconsumed_tail

    for start in range(0, len(data), CHUNK):
        feed(0, data[start:start + CHUNK])
