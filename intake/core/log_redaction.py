"""What a log line may carry: no ID or phone number, no whole e-mail address, no secret.

Logs leave the database's protection (a terminal, a journal, a ticket), so
every line intake writes goes through one formatter that redacts the whole
formatted record — message, arguments and traceback alike, since an
exception's text can quote a parsed field or a database URL. Entry points
call ``install``; secrets are added as they are resolved (``add_secret``).
"""
from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from intake.core.masking import redact_text

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "[已隐藏]"
# Shorter strings would hide ordinary words; no real password is this short.
MIN_SECRET_CHARS = 4

_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# scheme://user:password@host — an unparsable database URL is quoted whole in its error.
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(@)", re.IGNORECASE)
_secrets: set[str] = set()


def add_secret(value: str | None) -> None:
    """Never log this value (a password, an authorization code, a session key)."""
    if value and len(value) >= MIN_SECRET_CHARS:
        _secrets.add(value)


def redact_log_text(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URL_PASSWORD.sub(rf"\1{HIDDEN}\2", text)
    text = _EMAIL.sub(lambda match: f"{match.group(1)}***@{match.group(2)}", text)
    return redact_text(text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_log_text(super().format(record))


def redacting_handler(stream: TextIO) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    handler._intake_redacting = True  # type: ignore[attr-defined]  # so install() replaces, not stacks
    return handler


def install(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Log to ``stream`` (stderr) through the redacting formatter, replacing
    one installed before (the command line may run several times in a process)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_intake_redacting", False):
            root.removeHandler(handler)
    root.addHandler(redacting_handler(stream or sys.stderr))
    root.setLevel(level)
