"""Turning mail bytes, headers and markup into text when the charset can't be trusted.

Chinese mail routinely lies about its charset: clients label text "gb2312"
while writing GBK bytes (any name with 喆, 镕, 堃 ... is outside GB2312), some
label nothing at all, and a few write raw 8-bit GBK or UTF-8 straight into
headers.  Everything here is pure: bytes or str in, text out, plus a flag
saying whether we had to guess or repair so callers can record a defect.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import email.utils
import re
from html.parser import HTMLParser

__all__ = ["decode_bytes", "decode_header_value", "decode_header_value_checked",
           "codec_for_label", "single_line", "html_to_text", "valid_address",
           "mailbox_from_header", "message_ids"]

# Every GB-family label is decoded as GB18030, a strict superset of GB2312
# and GBK, so mislabelled GBK bytes decode instead of raising or mangling.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "euc_cn", "cp936"}
# Labels real clients send that Python's codec registry doesn't know.
_EXTRA_ALIASES = {
    "x-gbk": "gb18030", "windows-936": "gb18030", "ms936": "gb18030",
    "x-cp936": "gb18030", "gb_2312": "gb18030", "csgb2312": "gb18030",
    "chinese": "gb18030", "x-euc-cn": "gb18030", "big5": "big5hkscs",
    "x-x-big5": "big5hkscs", "ks_c_5601-1987": "cp949", "utf8": "utf-8",
}
# Labels that mean "nobody said": treat them like a missing label.
_UNKNOWN_LABELS = {"", "unknown-8bit", "x-unknown", "unknown", "default", "8bit",
                   "x-user-defined"}


def codec_for_label(label: str | None) -> str | None:
    """Python codec name for a MIME charset label; None if missing or unknown."""
    if label is None:
        return None
    # RFC 2231 allows "charset*language"; quotes and spaces show up in practice.
    cleaned = label.strip().strip("\"'").split("*", 1)[0].strip().lower()
    if cleaned in _UNKNOWN_LABELS:
        return None
    if cleaned in _EXTRA_ALIASES:
        return _EXTRA_ALIASES[cleaned]
    try:
        name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    if name in _GB_FAMILY:
        return "gb18030"
    if name == "big5":
        return "big5hkscs"
    return name


def _label_is_known(label: str | None) -> bool:
    if label is None:
        return True
    return label.strip().strip("\"'").lower() in _UNKNOWN_LABELS or \
        codec_for_label(label) is not None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, bool]:
    """Decode body or header bytes; returns (text, repaired).

    ``repaired`` is True when the declared charset was unknown or did not fit
    the bytes and we fell back to a guess (or to lossy decoding).
    """
    codec = codec_for_label(declared)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            if codec == "utf-8" and text.startswith("\ufeff"):
                text = text[1:]
            return text, False
        fallbacks = [c for c in ("utf-8", "gb18030") if c != codec]
        for candidate in fallbacks:
            try:
                return data.decode(candidate), True
            except UnicodeDecodeError:
                continue
        return data.decode(codec, errors="replace"), True

    unknown_label = not _label_is_known(declared)
    for candidate in ("utf-8", "gb18030"):
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate == "utf-8" and text.startswith("\ufeff"):
            text = text[1:]
        return text, unknown_label
    # latin-1 never fails: the text is readable-ish and the bytes recoverable.
    return data.decode("latin-1"), True


# An RFC 2047 encoded word.  Charset may carry an RFC 2231 "*lang" suffix.
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
# Folding whitespace: CRLF (or bare LF/CR) followed by a space or tab.
_FOLD = re.compile(rb"\r?\n(?=[ \t])|\r(?=[ \t])")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def _header_bytes(value: str | bytes) -> bytes:
    """Recover the header's original bytes.

    ``email`` parsers decode 8-bit header bytes with surrogateescape; encoding
    with surrogateescape gives those bytes back, and any real non-ASCII text
    (a header built in Python) comes out as UTF-8.
    """
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", errors="surrogateescape")


def _word_payload(encoding: bytes, text: bytes) -> tuple[bytes, bool]:
    """Decode an encoded word's payload to bytes; (bytes, repaired)."""
    if encoding in (b"B", b"b"):
        cleaned = _B64_JUNK.sub(b"", text)
        if len(cleaned) % 4 == 1:  # one stray character can't carry a byte
            cleaned = cleaned[:-1]
        padded = cleaned + b"=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(padded), padded != text
        except (binascii.Error, ValueError):
            return b"", True
    # Q encoding: "_" is space, =XX is a byte (RFC 2047 4.2).
    return binascii.a2b_qp(text, header=True), False


def decode_header_value_checked(value: str | bytes | None) -> tuple[str, bool]:
    """Like :func:`decode_header_value` but also says whether it had to repair."""
    if value is None:
        return "", False
    raw = _FOLD.sub(b"", _header_bytes(value))
    pieces: list[str] = []
    repaired = False
    # Adjacent encoded words of one charset are joined before decoding: Foxmail,
    # QQ and others split multi-byte characters across words.
    pending_charset: str | None = None
    pending: bytearray = bytearray()

    def flush() -> None:
        nonlocal pending_charset, repaired
        if pending_charset is not None:
            text, fixed = decode_bytes(bytes(pending), pending_charset)
            pieces.append(text)
            repaired = repaired or fixed
        pending_charset = None
        pending.clear()

    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[position:match.start()]
        # Whitespace between two encoded words is not part of the text.
        if not (pending_charset is not None and between.strip(b" \t") == b""):
            flush()
            if between:
                text, fixed = decode_bytes(between, None)
                pieces.append(text)
                repaired = repaired or fixed
        charset = match.group(1).decode("ascii", "replace")
        payload, fixed = _word_payload(match.group(2), match.group(3))
        repaired = repaired or fixed
        if pending_charset is not None and \
                codec_for_label(charset) != codec_for_label(pending_charset):
            flush()
        if pending_charset is None:
            pending_charset = charset
        pending.extend(payload)
        position = match.end()
    flush()
    tail = raw[position:]
    if tail:
        text, fixed = decode_bytes(tail, None)
        pieces.append(text)
        repaired = repaired or fixed
    return "".join(pieces), repaired


def decode_header_value(value: str | bytes | None) -> str:
    """Decode a raw header value (or parameter value) to text.

    Handles RFC 2047 encoded words (also inside quoted strings, where Chinese
    clients put them), gb2312-labelled words carrying GBK bytes, words split in
    the middle of a character, and raw 8-bit UTF-8/GBK bytes.  Folding is
    removed; other line breaks are left for the caller to police.
    """
    return decode_header_value_checked(value)[0]


_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def single_line(text: str) -> str:
    """Header text safe for logs, UIs and reply subjects: no CR/LF or controls.

    Line breaks become one space (an encoded "\\r\\nBcc: x" stays visible text
    but can't start a header); other control characters are dropped.
    """
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text)).replace("\t", " ").strip()


class _HtmlText(HTMLParser):
    """Visible text of an HTML body. Nothing is fetched: images are ignored."""

    _HIDDEN = {"script", "style", "head", "title", "noscript", "template"}
    _BLOCKS = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "blockquote",
               "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.hidden_depth = 0  # an unclosed <head> must not hide the body
        elif tag in self._HIDDEN:
            self.hidden_depth += 1
        elif tag in self._BLOCKS:
            self.pieces.append("\n")
        elif tag in ("td", "th"):
            self.pieces.append("\t")

    def handle_endtag(self, tag):
        if tag in self._HIDDEN:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in self._BLOCKS:
            self.pieces.append("\n")

    def handle_data(self, data):
        if not self.hidden_depth:
            self.pieces.append(data)


def html_to_text(markup: str) -> str:
    """Reduce an HTML mail body to plain text (tags, scripts and styles dropped)."""
    parser = _HtmlText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient, but the input is hostile
        pass
    text = "".join(parser.pieces).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- structured headers

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def valid_address(address: str) -> str | None:
    """The addr-spec with the domain lower-cased, or None if we can't reply to it."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or len(address) > 254 or len(local) > 64:
        return None
    if not _LOCAL_PART.match(local) or not _DOMAIN.match(domain):
        return None
    return f"{local}@{domain.lower()}"


def mailbox_from_header(raw: str | None) -> tuple[str, str | None]:
    """(display name, address) of a single-mailbox header such as From.

    The address is None unless there is exactly one usable mailbox: replying
    to "a@x, b@y" or "a@x@y" would mail the wrong person or nobody.  The raw
    value is split before decoding so an encoded display name can't smuggle
    in an address.
    """
    if raw is None:
        return "", None
    unfolded = re.sub(r"\r?\n(?=[ \t])", "", raw)
    try:
        pairs = [(n, a) for n, a in email.utils.getaddresses([unfolded]) if n or a]
    except Exception:
        pairs = []
    display = single_line(decode_header_value_checked(pairs[0][0])[0]) if pairs else ""
    if len(pairs) != 1:  # several senders, or none we can make out
        return display, None
    return display, valid_address(pairs[0][1])


def message_ids(raw: str | None) -> list[str]:
    """Message-IDs (with angle brackets, whitespace removed) in header order."""
    if not raw:
        return []
    ids = [re.sub(r"\s+", "", found) for found in re.findall(r"<[^<>]*>", raw)]
    return ids or [token for token in re.split(r"[\s,]+", raw) if token]
