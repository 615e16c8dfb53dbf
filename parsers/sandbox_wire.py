"""What crosses between the worker, the parse template and its children (``parsers.sandbox``).

* The template tells the worker, on its control socket, that it forked a
  child or that a child has exited: ``TEMPLATE_MESSAGE``, plain numbers.
* The worker sends a child its call's arguments, and the child sends back
  one outcome, each as one frame (a length, then a pickle) on the child's
  own socket.

An outcome comes from a process that read an applicant's file, so the
worker reads it as plain values and the parsers' own classes only
(``read_outcome``): a child a hostile file took over cannot make the worker
run anything by naming it in a pickle.
"""
from __future__ import annotations

import io
import pickle
import socket
import struct
from typing import Any

# What the template tells the worker: (STARTED, ticket, pid) or (ENDED,
# ticket, exit code), as fixed-size numbers the worker reads without unpickling.
TEMPLATE_MESSAGE = struct.Struct("!Bqq")
STARTED, ENDED = 1, 2
_FRAME_HEADER = struct.Struct("!Q")


def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_FRAME_HEADER.pack(len(payload)))
    sock.sendall(payload)


def receive_frame(sock: socket.socket, max_bytes: int | None = None) -> bytes | None:
    """One frame; None if the other end closed (or exceeded ``max_bytes``) before it was whole."""
    header = _receive_exactly(sock, _FRAME_HEADER.size)
    if header is None:
        return None
    (size,) = _FRAME_HEADER.unpack(header)
    if max_bytes is not None and size > max_bytes:
        return None
    return _receive_exactly(sock, size)


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    buffer = bytearray(size)
    view, got = memoryview(buffer), 0
    while got < size:
        received = sock.recv_into(view[got:])
        if not received:
            return None
        got += received
    return bytes(buffer)


# What an outcome may be built of: plain values and the parsers' own classes.
_PLAIN_BUILTINS = frozenset({"dict", "list", "tuple", "set", "frozenset", "str", "bytes", "bytearray", "int",
                             "float", "complex", "bool", "range", "slice"})
_VALUE_MODULES = frozenset({"datetime", "decimal", "collections"})


class _OutcomeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # The module is judged before it is imported: importing one can itself run code.
        if module == "builtins":
            allowed = name in _PLAIN_BUILTINS
        else:
            allowed = module in _VALUE_MODULES or module.split(".")[0] == "parsers"
        found = super().find_class(module, name) if allowed else None
        if not (isinstance(found, type) or module == "builtins" and allowed):
            raise pickle.UnpicklingError(f"{module}.{name} is not a value a parse returns")
        return found


def read_outcome(frame: bytes) -> Any:
    """A child's outcome; raises (``pickle.UnpicklingError`` or another
    error) when the frame is not one, or names anything else."""
    return _OutcomeUnpickler(io.BytesIO(frame)).load()
