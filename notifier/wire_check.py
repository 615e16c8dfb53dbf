"""The last check on a composed reply: its bytes read back as a recipient would read them.

A reply is built from hostile text (a subject, a display name, message ids
from the applicant's mail). Whatever the interpreter's patch level
(CVE-2024-6923: unpatched CPython decodes an encoded word again while it
folds a header, writing any CR/LF inside it onto the wire), a reply leaves
only as bytes this check has read back and found to be exactly ours.
"""
from __future__ import annotations

import re
from email import policy
from email.errors import MessageError
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesHeaderParser

ENCODED_WORD_OPENER = "=?"
# Every header a reply carries, in order; the wire check refuses anything else.
REPLY_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Auto-Submitted", "X-Auto-Response-Suppress", "X-Intake-Outbox",
    "Content-Type", "Content-Transfer-Encoding", "MIME-Version",
)
_WIRE_HEADER_LINE = re.compile(rb"^(?:[\x21-\x39\x3b-\x7e]+:|[ \t])[\x20-\x7e\t]*$")


class HeaderClasses(HeaderRegistry):
    """The stdlib's header factory, which makes a class per header built (two
    dozen a reply), with each class made once: it depends only on the name's entry."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        specific = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(specific)
        if made is None:
            made = self._made.setdefault(specific, super().__getitem__(name))
        return made


# policy.SMTP and policy.default, only quicker to build headers with.
REPLY_POLICY = policy.SMTP.clone(header_factory=HeaderClasses())
_READ_BACK_POLICY = policy.default.clone(header_factory=HeaderClasses())


def checked_wire(message: EmailMessage, to_address: str) -> bytes:
    """Serialise the reply and read it back as a recipient would: its bytes,
    or ValueError unless it is exactly ours.

    The last line of defence, whatever the interpreter: printable ASCII header
    lines only, the expected headers only and once each, one To address (the
    checked one), and no header that still holds an encoded word once decoded.
    Only the header section is read back: the body cannot add a header to it.
    """
    try:
        wire = message.as_bytes(policy=policy.SMTP)
    except MessageError as exc:  # e.g. HeaderWriteError on interpreters with the CVE-2024-6923 fix
        raise ValueError(f"reply headers cannot be written safely: {exc}") from None
    head, separator, _body = wire.partition(b"\r\n\r\n")
    if not separator or any(not _WIRE_HEADER_LINE.match(line) for line in head.split(b"\r\n")):
        raise ValueError("reply headers are not clean single lines")
    headers = BytesHeaderParser(policy=_READ_BACK_POLICY).parsebytes(head + separator).items()
    names = [name.lower() for name, _value in headers]
    if len(names) != len(set(names)) or not set(names) <= {name.lower() for name in REPLY_HEADERS}:
        raise ValueError("reply has unexpected or repeated headers")
    decoded = dict(zip(names, (value for _name, value in headers)))
    to, sender = decoded.get("to"), decoded.get("from")
    if to is None or sender is None or [address.addr_spec for address in to.addresses] != [to_address] \
            or len(sender.addresses) != 1:
        raise ValueError("reply must have exactly one To address, the checked one")
    for name, value in headers:
        if "\r" in value or "\n" in value or ENCODED_WORD_OPENER in value:
            raise ValueError(f"reply header {name} holds a line break or an encoded word once decoded")
    return wire
