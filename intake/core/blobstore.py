"""Content-addressed file storage: raw mail and attachments, by sha256.

A blob is written to a temporary file, fsynced, renamed into place and the
directory fsynced, so a crash leaves either the whole file or nothing: a
blob's name never points at bytes that are not on the disk.

``put`` returns once its blob is durable. A writer that stores many blobs
before one commit (a fetch batch, the attachments of the messages one
transaction records) uses ``write_behind``: each blob goes to disk in a
background thread as soon as it is handed over, and ``flush`` returns once
every blob so far is durable, so the caller flushes right before the commit
that records them. fsync waits on the disk, not the CPU, and several at
once cost about what one does.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

# Blobs being made durable at once by one write-behind writer.
WRITE_BEHIND_THREADS = 8


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data``; its sha256 hex digest, once the blob is durable."""
        digest = hashlib.sha256(data).hexdigest()
        self._store(digest, data)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def write_behind(self) -> WriteBehind:
        """A writer whose ``put`` returns at once; close it (``with``) when done."""
        return WriteBehind(self)

    def _store(self, digest: str, data: bytes) -> None:
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return
        new_folders = [folder for folder in (target.parent.parent, target.parent) if not folder.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        # A new folder's own name lives in its parent: durable too, or the blob's path could vanish.
        for folder in (target.parent, *(folder.parent for folder in reversed(new_folders))):
            _fsync_dir(folder)


class WriteBehind(BlobStore):
    """The same store, its blobs written in background threads: ``put``
    returns the digest at once, ``flush`` returns when every blob put so far
    is durable (or raises the first failure). ``get`` of a blob still being
    written waits for it."""

    def __init__(self, store: BlobStore) -> None:
        super().__init__(store.root)
        self._threads = ThreadPoolExecutor(max_workers=WRITE_BEHIND_THREADS, thread_name_prefix="blob-writer")
        self._writing: dict[str, Future[None]] = {}

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._writing:
            self._writing[digest] = self._threads.submit(self._store, digest, data)
        return digest

    def flush(self) -> None:
        """Every blob put so far durable; the first error any of them met, raised."""
        writing, self._writing = self._writing, {}
        errors = [future.exception() for future in writing.values()]
        for error in errors:
            if error is not None:
                raise error

    def get(self, sha256: str) -> bytes:
        writing = self._writing.get(sha256)
        if writing is not None:
            writing.result()
        return super().get(sha256)

    def exists(self, sha256: str) -> bool:
        return sha256 in self._writing or super().exists(sha256)

    def close(self) -> None:
        """Waits for the blobs still being written (a crash is what may leave them half done)."""
        self._threads.shutdown(wait=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
