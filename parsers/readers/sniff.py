"""What kind of file an attachment is: magic bytes first, extension second.

Applicants rename files freely (a .doc saved as .docx, a PDF called .jpg),
so the extension only decides when the bytes say nothing.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePath

KINDS = ("docx", "pdf", "doc", "wps", "rtf", "odt", "image", "zip", "other")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names in a compound file directory are UTF-16LE.
_ENCRYPTION_STREAMS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
_EXTENSIONS = {
    ".docx": "docx", ".docm": "docx", ".pdf": "pdf", ".doc": "doc", ".dot": "doc",
    ".wps": "wps", ".rtf": "rtf", ".odt": "odt", ".zip": "zip",
    ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image", ".bmp": "image",
    ".tif": "image", ".tiff": "image", ".webp": "image", ".heic": "image", ".heif": "image",
}


def extension_kind(filename: str) -> str:
    return _EXTENSIONS.get(PurePath(filename or "").suffix.lower(), "other")


def is_encrypted_cfb(data: bytes) -> bool:
    """An OOXML file saved with a password is a compound file with these streams."""
    return data.startswith(CFB_MAGIC) and any(name in data for name in _ENCRYPTION_STREAMS)


def _zip_kind(data: bytes, by_extension: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                if b"opendocument.text" in archive.read("mimetype"):
                    return "odt"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, KeyError, EOFError,
            NotImplementedError, RuntimeError, zlib.error):  # unknown compression, encrypted member
        # A damaged archive: trust the extension so the docx reader can
        # report it as corrupt rather than "unsupported".
        return by_extension if by_extension in ("docx", "odt") else "zip"
    if "word/document.xml" in names or any(n.startswith("word/") for n in names):
        return "docx"
    return by_extension if by_extension == "odt" else "zip"


def sniff_kind(filename: str, data: bytes) -> str:
    by_extension = extension_kind(filename)
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data, by_extension)
    if head.startswith(CFB_MAGIC):
        if is_encrypted_cfb(data):
            return "docx"
        if by_extension == "wps":
            return "wps"
        if _WORD_STREAM in data:
            return "doc"
        # A compound file named .docx without a Word stream is how Word
        # stores a password-protected docx; the docx reader says so.
        return "docx" if by_extension == "docx" else "doc" if by_extension == "doc" else "other"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGE_MAGIC) or (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1")):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    # No known signature: a damaged .docx/.pdf still goes to its reader,
    # which reports it as corrupt. An image is one only by its bytes: an SVG
    # or a script named photo.jpg is not a photo.
    return "other" if by_extension == "image" else by_extension
