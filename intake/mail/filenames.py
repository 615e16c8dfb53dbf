"""Attachment filenames: decoding what clients really send, then making it safe.

Decoding covers RFC 2231 (``filename*=UTF-8''%E5...``, ``filename*=gbk''...``,
continuations), RFC 2047 words inside quoted parameters (Outlook, Foxmail,
QQ and 126/163 webmail all do this although RFC 2047 forbids it), raw 8-bit
GBK/UTF-8 bytes, and ``name=`` on Content-Type as the fallback.

Sanitising produces a display name that is also safe to use as a file name on
Linux and Windows: it never contains a path, control characters or bidi
overrides, is never a reserved device name and fits in 255 UTF-8 bytes.
"""
from __future__ import annotations

import email.message
import mimetypes
import re
import unicodedata

from intake.mail.charsets import decode_bytes, decode_header_value_checked

__all__ = ["header_params", "filename_from_headers", "sanitise_filename",
           "extension_for", "content_type_for", "MAX_FILENAME_BYTES"]

MAX_FILENAME_BYTES = 255

_FOLD = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")


def _as_latin1(raw: str) -> str:
    """Raw header text with each original byte as one latin-1 character.

    The compat32 parameter parser would otherwise turn surrogate-escaped
    8-bit bytes into an unusable ``Header`` object.
    """
    return raw.encode("utf-8", errors="surrogateescape").decode("latin-1")


def header_params(raw_value: str | None) -> list[tuple[str, str | tuple[str, str, str]]]:
    """Parameters of a raw structured header such as Content-Disposition.

    Values are latin-1 strings holding the original bytes; RFC 2231 values come
    back as ``(charset, language, value)`` with continuations already joined.
    Uses the compat32 parameter parser because ``policy.default`` replaces raw
    8-bit bytes with U+FFFD before we can look at them.
    """
    if not raw_value:
        return []
    holder = email.message.Message()  # compat32 on purpose, see docstring
    holder["X-Params"] = _FOLD.sub("", _as_latin1(raw_value)).replace("\r", " ").replace("\n", " ")
    try:
        params = holder.get_params(header="X-Params") or []
    except Exception:  # the parser is old and untyped; never let it escape
        return []
    return [(str(name).lower(), value) for name, value in params[1:]]


def _decode_param(value: str | tuple[str, str, str]) -> tuple[str, bool]:
    """Decode one parameter value to text; (text, repaired)."""
    if isinstance(value, tuple):
        charset, _language, text = value
        raw = text.encode("latin-1", errors="replace")
        # Some clients claim RFC 2231 with no charset, or wrap an RFC 2047
        # word inside it; both are handled by the generic decoders.
        decoded, repaired = decode_bytes(raw, charset or None)
        if "=?" in decoded and "?=" in decoded:
            decoded, again = decode_header_value_checked(decoded)
            repaired = repaired or again
        return decoded, repaired
    raw = value.encode("latin-1", errors="replace")
    return decode_header_value_checked(raw)


def _find(params: list[tuple[str, str | tuple[str, str, str]]], key: str):
    """The value for key, preferring the RFC 2231 form when both are present."""
    plain = None
    for name, value in params:
        if name == key:
            if isinstance(value, tuple):
                return value
            if plain is None:
                plain = value
    return plain


def filename_from_headers(content_disposition: str | None,
                          content_type: str | None) -> tuple[str | None, bool]:
    """Decoded (unsanitised) filename from raw headers; (name or None, repaired)."""
    for raw, key in ((content_disposition, "filename"), (content_type, "name")):
        value = _find(header_params(raw), key)
        if value is None:
            continue
        text, repaired = _decode_param(value)
        if text.strip():
            return text, repaired
    return None, False


# Types we see in this mailbox; mimetypes' table is the fallback.
_EXTENSIONS = {
    "application/pdf": ".pdf", "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/wps-office.docx": ".docx", "application/kswps": ".wps",
    "application/zip": ".zip", "application/x-zip-compressed": ".zip",
    "application/x-rar-compressed": ".rar", "application/vnd.rar": ".rar",
    "application/x-7z-compressed": ".7z", "image/jpeg": ".jpg", "image/jpg": ".jpg",
    "image/png": ".png", "image/heic": ".heic", "image/gif": ".gif",
    "text/plain": ".txt", "text/html": ".html", "message/rfc822": ".eml",
    "application/octet-stream": ".bin",
}
# Built-in table only: the system's mime.types differs between machines.
_MIME_TABLE = mimetypes.MimeTypes(filenames=())


def extension_for(content_type: str) -> str:
    """A file extension (with dot) for a content type; ".bin" when unknown."""
    content_type = (content_type or "").lower()
    if content_type in _EXTENSIONS:
        return _EXTENSIONS[content_type]
    return _MIME_TABLE.guess_extension(content_type, strict=False) or ".bin"


# Preferred type per extension where the built-in table has none (Office, WPS).
_TYPES_BY_EXTENSION = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".wps": "application/kswps", ".rar": "application/x-rar-compressed",
    ".7z": "application/x-7z-compressed", ".jpg": "image/jpeg",
}


def content_type_for(filename: str) -> str:
    """A content type guessed from a file name (zip members and samples have none)."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _TYPES_BY_EXTENSION:
        return _TYPES_BY_EXTENSION[extension]
    guessed, _ = _MIME_TABLE.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                     *(f"lpt{i}" for i in range(10))}
# Invalid in Windows file names; replaced so a saved file keeps its text.
_WINDOWS_INVALID = re.compile(r'[<>:"|?*]')
_EXTENSION = re.compile(r"\.[^.\s]{1,16}$")


def _drop_invisible(text: str) -> str:
    """Remove control, format (bidi overrides, zero-width) and line-separator chars."""
    return "".join(ch for ch in text
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))


def _truncate(name: str, limit: int) -> str:
    """Cut name to ``limit`` UTF-8 bytes, keeping its extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    match = _EXTENSION.search(name)
    extension = match.group(0) if match else ""
    stem = name[: len(name) - len(extension)]
    budget = limit - len(extension.encode("utf-8"))
    while stem and len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return (stem.rstrip(" .") or "_") + extension


def sanitise_filename(name: str | None, *, content_type: str = "application/octet-stream",
                      index: int = 1) -> str:
    """A safe display and file name; ``attachment-<index><ext>`` when nothing usable."""
    text = unicodedata.normalize("NFC", name or "")
    text = _drop_invisible(text)
    # Keep the last path component whichever separator the sender used.
    text = re.split(r"[/\\]", text)[-1]
    text = _WINDOWS_INVALID.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip()
    # Windows silently drops trailing dots and spaces; do it ourselves.
    text = text.rstrip(" .")
    if text in ("", ".", "..") or text.strip("._ ") == "":
        return f"attachment-{index}{extension_for(content_type)}"
    stem = text.split(".", 1)[0].strip().lower()
    if stem in _WINDOWS_RESERVED:
        text = "_" + text
    return _truncate(text, MAX_FILENAME_BYTES)
