"""One raw email's bytes into the stdlib's Message, bounded and never raising.

``policy.default`` parses a header again each time it is read, and the
parser itself reads each part's Content-Type a dozen times while it looks
for boundaries: each distinct header of one message is parsed once
(``_HeadersParsedOnce``), the same header objects, only not rebuilt.
Hostile structure (a hundred thousand parts, thousands of nested messages)
is cut off before the parser sees it (``_structure_cut``).
"""
from __future__ import annotations

import re
from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser

# Each pattern opens with a literal, which the regex engine finds fast;
# "^" with re.M, or re.I on a word, would be tried at every byte of the mail.
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))')  # in the lower-cased mail
_DELIMITER_LINE = re.compile(rb"\n--([^\r\n]*)")
_CONTAINER_HEADER = re.compile(rb"\ncontent-type:[ \t]*(?:multipart|message)/", re.I)


def _structure_cut(raw: bytes, max_parts: int) -> int | None:
    """Offset at which the raw message exceeds the part budget, or None.

    The stdlib parser takes ~13 s for 100,000 parts and raises RecursionError
    for a few thousand nested messages, so hostile structure is cut off
    before parsing: each boundary delimiter opens a part and each
    multipart/message Content-Type opens a level of nesting.
    """
    boundaries = {raw[slice(*match.span(1 if match.group(1) is not None else 2))].rstrip(b" \t")
                  for match in _BOUNDARY_PARAM.finditer(raw.lower())}
    # A line starts after a "\n": with one put in front, a match starts where its line does in ``raw``.
    lines = b"\n" + raw
    cut = None
    opened = dash_lines = 0
    for match in _DELIMITER_LINE.finditer(lines):
        dash_lines += 1
        opened += match.group(1).rstrip(b" \t") in boundaries
        # The looser count catches boundaries declared in forms the regex
        # misses (RFC 2231 boundary*=); text rarely has thousands of "--" lines.
        if opened > max_parts or dash_lines > 25 * max_parts:
            cut = match.start()
            break
    for count, match in enumerate(_CONTAINER_HEADER.finditer(lines), start=1):
        if count > max_parts:
            cut = match.start() if cut is None else min(cut, match.start())
            break
    return cut


class _HeadersParsedOnce(HeaderRegistry):
    """policy.default's header factory, remembering what it built for one message.

    A header object depends only on its name and raw value and is immutable,
    so handing out the one built before is the same as building it again.
    One instance per parsed message: what it holds goes with the message.
    """

    # The stdlib builds a new class per header read; the classes depend only on the registry entry.
    _classes: dict[type, type] = {}

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[tuple[str, str], BaseHeader] = {}

    def __getitem__(self, name: str) -> type:
        specific = self.registry.get(name.lower(), self.default_class)
        made = self._classes.get(specific)
        if made is None:
            made = self._classes.setdefault(specific, super().__getitem__(name))
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        header = self._built.get((name, value))
        if header is None:
            header = self._built[(name, value)] = self[name](name, value)
        return header


def parse_bytes(raw: bytes, max_parts: int, defects: list[str]) -> Message:
    """Parse with policy.default; fall back step by step instead of raising."""
    cut = _structure_cut(raw, max_parts)
    if cut is not None:
        defects.append(f"more than {max_parts} MIME parts or nested messages; "
                       "the rest of the message was not read")
        raw = raw[:cut]
    reading_policy = policy.default.clone(header_factory=_HeadersParsedOnce())
    for parser in (BytesParser(policy=reading_policy), BytesParser(policy=policy.compat32)):
        try:
            return parser.parsebytes(raw)
        except Exception as error:  # RecursionError included; try the next parser
            defects.append(f"MIME structure could not be parsed ({type(error).__name__})")
    try:
        return BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    except Exception as error:
        defects.append(f"headers could not be parsed ({type(error).__name__})")
        return Message()
