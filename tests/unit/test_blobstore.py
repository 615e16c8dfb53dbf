from __future__ import annotations

import hashlib

import pytest

from intake.core.blobstore import BlobStore


def test_blobs_are_stored_by_sha256_and_read_back(tmp_path):
    store = BlobStore(tmp_path)
    data = "张喆的报名表".encode("gb18030")
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert store.put(data) == digest  # idempotent
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_bad_digest_never_becomes_a_path(tmp_path):
    with pytest.raises(ValueError):
        BlobStore(tmp_path).path_for("../../etc/passwd")


def test_blobs_written_behind_are_durable_once_flushed(tmp_path):
    forms = [f"报名表 {number}".encode("gb18030") for number in range(20)]
    with BlobStore(tmp_path).write_behind() as writer:
        digests = [writer.put(form) for form in forms]
        assert writer.put(forms[0]) == digests[0]  # the same bytes again: one blob
        assert writer.get(digests[3]) == forms[3]  # a blob still being written is waited for
        writer.flush()
        stored = BlobStore(tmp_path)
        assert [stored.get(digest) for digest in digests] == forms
    assert digests == [hashlib.sha256(form).hexdigest() for form in forms]
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_blob_that_could_not_be_written_fails_the_flush(tmp_path):
    (tmp_path / "blobs").write_text("a file where the store's folder should be")
    with BlobStore(tmp_path / "blobs").write_behind() as writer:
        writer.put(b"form")
        with pytest.raises(OSError):
            writer.flush()
