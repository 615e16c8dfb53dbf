"""Errors raised by ``parsers.parse``.

    ParseError
     ├── CorruptFile        the bytes are not a valid file of the claimed type
     ├── EncryptedFile      password-protected; the applicant must resend
     ├── TooLarge           over a size, entry-count or expansion-ratio cap
     ├── UnsupportedFormat  a type intake does not read (yet)
     └── ParseTimeout       the isolated parse ran out of time

No exception from docx, pdfminer, zipfile or lxml escapes this package: they
are translated at the boundary. ``reason`` is a stable machine key; ``str()``
is a message staff can act on (Simplified Chinese).
"""
from __future__ import annotations


class ParseError(Exception):
    reason = "failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CorruptFile(ParseError):
    reason = "corrupt"


class EncryptedFile(ParseError):
    reason = "encrypted"


class TooLarge(ParseError):
    reason = "too_large"


class UnsupportedFormat(ParseError):
    reason = "unsupported"


class ParseTimeout(ParseError):
    reason = "timeout"
