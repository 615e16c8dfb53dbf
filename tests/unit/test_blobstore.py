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
