"""The accuracy bench's scoring: what counts as right, missing and silently wrong."""
from __future__ import annotations

from bench.parse_accuracy import score_item, summarise, verdict
from devtools.samples.corpus import CorpusItem


def _item(expected, review_keys=()):
    return CorpusItem("scan_jpg/00-table4", "scan_jpg", "scan.jpg", b"x", None, expected, 2, "table4", list(review_keys))


def _ok(fields, needs_review=()):
    return {"status": "ok", "results": [{"fields": fields, "needs_review": list(needs_review)}], "message": "",
            "seconds": 4.0}


def test_wrong_values_are_silent_only_when_not_flagged():
    expected = {"name": "张喆", "mobile": "13309897541", "email": "a@b.cn", "county": "赤坎区"}
    got = {"name": "张喆", "mobile": "13309897547", "email": "a@b.com", "degree": "博士"}
    score = score_item(_item(expected), _ok(got, needs_review=["email"]))
    assert (score["right"], score["wrong"], score["missing"], score["flagged"]) == (1, 2, 1, 1)
    assert score["silent_wrong"] == 1 and score["spurious"] == 1  # the mobile, and a degree never written
    summary = summarise([score])
    assert summary["accuracy_pct"] == 25.0 and summary["silent_wrong_pct"] == 50.0
    assert summary["seconds_per_page_median"] == 2.0
    assert verdict("scan_jpg", summary)[1] is False


def test_handwriting_must_come_back_missing_or_flagged():
    expected = {"name": "张喆", "mobile": "13309897541", "email": "a@b.cn"}
    score = score_item(_item(expected, expected), _ok({"name": "张喆", "mobile": "1"}, needs_review=["mobile"]))
    assert (score["review_safe"], score["review_fields"]) == (2, 3)  # the confident name is not safe


def test_non_forms_and_unsupported_files():
    assert score_item(_item(None), _ok({}) | {"results": []})["nonform_correct"] is True
    unsupported = {"status": "unsupported", "results": [], "message": "images", "seconds": 0.01}
    assert score_item(_item(None), unsupported)["nonform_correct"] is False
    score = score_item(_item({"name": "张喆"}), unsupported)
    assert score["missing"] == 1 and score["silent_wrong"] == 0
    summary = summarise([score])
    assert summary["accuracy_pct"] == 0.0 and summary["seconds_per_page_median"] is None
    assert verdict("scan_jpg", summary)[1] is False
