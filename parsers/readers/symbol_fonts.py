"""Tick boxes typed in symbol fonts, read as the marks they show.

Wingdings, Wingdings 2, Webdings and Symbol draw their own pictures at
ordinary character codes: Word's "insert symbol" check box is the letter
"R" in Wingdings 2. A .docx stores it as ``w:sym w:font="Wingdings 2"
w:char="F052"`` or as U+F052 (the code moved into the private-use area) in a
run set in that font; LibreOffice writes the second form when it converts a
.doc or .wps; a PDF exported from Word carries the code, or "R", in a font
whose name holds "Wingdings2". One table serves the .docx and PDF readers.

    symbol_font(name) -> family or None     whether a font is one of these
    symbol_mark(family, ch) -> str          what a character in it shows
    symbol_code_mark(font, code) -> str     what a ``w:sym`` shows
    box_font_of(codes) -> family or None    the one font all these codes are boxes in

A PDF made where the symbol font is not installed keeps the codes
(U+F052) but draws them in whatever font stood in (OpenSymbol, DejaVu
Sans), so the font's name no longer says which symbol font they were
typed in. ``box_font_of`` names it when the codes themselves do: every
code is a tick box in exactly one of Wingdings and Wingdings 2.

Only glyphs that show a tick box, ticked or not, are listed. Any other glyph
of the picture fonts (Wingdings, Webdings) comes back as its private-use
character (U+F000 + code): it is not text, and
``parsers.text.ticked_options`` treats it where a mark would be as a mark
it cannot read, so the option goes to review instead of being read one way
or the other. The Symbol font is mostly Greek letters and signs that
readers already decode, so only its listed codes change.
"""
from __future__ import annotations

import re
from functools import lru_cache

_TICKED_BOX, _CROSSED_BOX, _FILLED_BOX, _CHECK, _EMPTY_BOX = "☑", "☒", "■", "√", "□"

# Font family (lower case, letters and digits only) -> {glyph code: mark}.
SYMBOL_FONTS: dict[str, dict[int, str]] = {
    "wingdings": {
        0x6E: _FILLED_BOX, 0x6F: _EMPTY_BOX, 0x70: _EMPTY_BOX, 0x71: _EMPTY_BOX, 0x72: _EMPTY_BOX,
        0x78: _CROSSED_BOX, 0xA8: _EMPTY_BOX, 0xFC: _CHECK, 0xFD: _CROSSED_BOX, 0xFE: _TICKED_BOX,
    },
    "wingdings2": {
        0x2A: _EMPTY_BOX, 0x50: _CHECK, 0x51: _CROSSED_BOX, 0x52: _TICKED_BOX, 0x53: _CROSSED_BOX,
        0x54: _CROSSED_BOX, 0xA2: _FILLED_BOX, 0xA3: _EMPTY_BOX, 0xA4: _EMPTY_BOX, 0xA5: _EMPTY_BOX,
        0xA6: _EMPTY_BOX, 0xA8: "▣",
    },
    "webdings": {0x61: _CHECK, 0x63: _EMPTY_BOX, 0x67: _FILLED_BOX},
    "symbol": {0xD6: _CHECK},  # the radical sign, typed as a tick
}
# Fonts whose every glyph is a picture: a glyph not listed is no text either.
_PICTURE_FONTS = ("wingdings", "wingdings2", "webdings")
_PRIVATE_BASE = 0xF000
# The fonts Word's "insert symbol" offers for tick boxes; Webdings and Symbol
# hold too few boxes for a code to point to them.
_TICK_BOX_FONTS = ("wingdings", "wingdings2")


def _family_key(name: str) -> str:
    # PDF font names carry a subset tag and a style: "ABCDEF+Wingdings2-Regular".
    return re.sub(r"[^a-z0-9]", "", name.rsplit("+", 1)[-1].lower())


@lru_cache(maxsize=256)
def symbol_font(name: str | None) -> str | None:
    """The family of a symbol font, by its name as Word or a PDF gives it;
    None for any other font ("Wingdings 3" and "Segoe UI Symbol" included)."""
    if not name:
        return None
    key = _family_key(name)
    for family in sorted(SYMBOL_FONTS, key=len, reverse=True):
        if key.startswith(family) and not key[len(family):len(family) + 1].isdigit():
            return family
    return None


def symbol_mark(family: str, ch: str) -> str:
    """What a character set in a symbol font shows: a mark, its private-use
    character when it is some other picture, or the character itself when
    it is beyond the font's 256 codes (text in another script that the
    run's East Asian font draws)."""
    code = ord(ch)
    if _PRIVATE_BASE <= code <= _PRIVATE_BASE + 0xFF:
        code -= _PRIVATE_BASE
    elif code > 0xFF:
        return ch
    if code <= 0x20:
        return " " if code == 0x20 else ""  # a space is a space whatever the font
    if code in SYMBOL_FONTS[family]:
        return SYMBOL_FONTS[family][code]
    return chr(_PRIVATE_BASE + code) if family in _PICTURE_FONTS else chr(code)


def symbol_code_mark(font: str | None, code: int) -> str:
    """What a ``w:sym`` (a font and a character code) shows: for a font not
    listed, the code is the Unicode character itself ("MS Gothic", 2612: ☒)."""
    family = symbol_font(font)
    if family is not None:
        return symbol_mark(family, chr(code))
    return chr(code) if 0x20 < code <= 0x10FFFF else ""


def is_symbol_code(ch: str) -> bool:
    """A private-use character where the symbol fonts' codes are moved."""
    return _PRIVATE_BASE <= ord(ch) <= _PRIVATE_BASE + 0xFF


def box_font_of(codes: set[str]) -> str | None:
    """The symbol font in which every one of these private-use codes
    (U+F0xx) is a tick box, when exactly one font is; None when they are
    boxes in both fonts (U+F0A8), in neither, or there are none."""
    if not codes or not all(is_symbol_code(ch) for ch in codes):
        return None
    fitting = [family for family in _TICK_BOX_FONTS
               if all(ord(ch) - _PRIVATE_BASE in SYMBOL_FONTS[family] for ch in codes)]
    return fitting[0] if len(fitting) == 1 else None
