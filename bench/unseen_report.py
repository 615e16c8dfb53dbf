"""The report of ``bench.parse_accuracy --family unseen``: per format and per
layout family, each line beside the issue's target, and the files not read
perfectly with their field-level diff (expected vs got).

Scores and summaries come from ``bench.parse_accuracy`` (``score_item``,
``summarise``); this module only judges and prints them.
"""
from __future__ import annotations

import sys

# The targets, for forms nobody here has seen (the held-out set is what counts).
UNSEEN_ACCURACY_TARGETS = {"docx": 99.5, "doc": 99.5, "wps": 99.5, "text_pdf": 99.5, "scan_pdf": 98,
                           "scan_jpg": 98, "photo_jpg": 95}
UNSEEN_SILENT_OVERALL = 0.2  # % at most, all files together
UNSEEN_SILENT_EACH = 0.5  # % at most, in every format and every layout family
UNSEEN_OCR_RATIO = 1.5  # the OCR path per page, at most this many single-threaded full-page passes


def _fmt(value, digits: int = 1, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.{digits}f}{suffix}"


def unseen_verdict(group: str, summary: dict, is_format: bool) -> tuple[str, bool]:
    """The issue's target for a line of the unseen family's table."""
    texts, checks = [], []
    if group == "non_form":
        texts.append("[] 100%")
        checks.append(summary["nonform_correct_pct"] == 100)
    elif is_format and group in UNSEEN_ACCURACY_TARGETS:
        texts.append(f"right ≥{UNSEEN_ACCURACY_TARGETS[group]:g}%")
        checks.append((summary["accuracy_pct"] or 0) >= UNSEEN_ACCURACY_TARGETS[group])
    if summary["fields"]:
        limit = UNSEEN_SILENT_EACH if group != "overall" else UNSEEN_SILENT_OVERALL
        texts.append(f"silent ≤{limit:g}%")
        checks.append((summary["silent_wrong_pct"] or 0) <= limit)
    if summary["forms_expected"]:
        texts.append("every form")
        checks.append(summary["forms_matched"] == summary["forms_expected"] and not summary["extra_forms"])
    if group == "overall":
        texts.append("none from non-forms")
        checks.append(summary["forms_from_nonforms"] == 0)
    return ", ".join(texts), all(checks)


def print_unseen_table(title: str, by_format: dict, by_family: dict, overall: dict, out=sys.stdout) -> None:
    header = (f"{'':<12}{'files':>6}{'fields':>7}{'right%':>8}{'miss%':>7}{'review%':>8}{'SILENT%':>8}"
              f"{'forms':>9}{'extra':>6}{'s/page':>8}  {'target':<48}{'met':<5}notes")
    print(f"\n{title}", file=out)
    for heading, groups, is_format in (("format", by_format, True), ("layout", by_family, False),
                                       ("all files", {"overall": overall}, False)):
        print(f"{heading:<12}" + header[12:], file=out)
        print("-" * len(header), file=out)
        for group, s in groups.items():
            target, met = unseen_verdict(group, s, is_format)
            right = s["nonform_correct_pct"] if group == "non_form" else s["accuracy_pct"]
            forms = f"{s['forms_matched']}/{s['forms_expected']}" if s["forms_expected"] else "—"
            notes = ", ".join(f"{n} {k}" for k, n in s["statuses"].items() if k != "ok")
            if s["forms_from_nonforms"]:
                notes = f"{s['forms_from_nonforms']} form(s) from non-forms" + (f", {notes}" if notes else "")
            print(f"{group:<12}{s['files']:>6}{s['fields']:>7}{_fmt(right):>8}{_fmt(s['missing_pct']):>7}"
                  f"{_fmt(s['review_pct']):>8}{_fmt(s['silent_wrong_pct']):>8}{forms:>9}{s['extra_forms']:>6}"
                  f"{_fmt(s['seconds_per_page_median'], 2):>8}  {target:<48}{'yes' if met else 'NO':<5}{notes}", file=out)
        print(file=out)


def list_failures(scores: list[dict], limit: int, out=sys.stdout) -> None:
    """The worst files first (silent wrong, then fields not right, then forms
    not found), each with its field-level diff: expected vs got."""
    def silent(s):
        return sum(1 for d in s.get("details", {}).values() if d["got"] not in (None, "", []) and not d["flagged"])

    def badness(s):
        lost_forms = s.get("forms_expected", 0) - min(s["forms_found"], s.get("forms_expected", 0))
        return (silent(s) + s["forms_found"] * ("nonform_correct" in s), len(s.get("details", {})), lost_forms)

    failing = [s for s in scores if any(badness(s)) or s.get("extra_forms")]
    print(f"\n{len(failing)} files not read perfectly; the worst {min(limit, len(failing))}:", file=out)
    for s in sorted(failing, key=badness, reverse=True)[:limit]:
        status = s["status"] + (f" ({s['message'][:80]})" if s["message"] else "")
        print(f"{s['name']}  [{s.get('filename', '')}]  {status}, forms {s['forms_found']}/{s['forms_expected']}"
              + (f"\n    {s['note']}" if s.get("note") else ""), file=out)
        for key, d in s.get("details", {}).items():
            verdict = "flagged" if d["flagged"] else "missing" if d["got"] in (None, "", []) else "SILENT"
            print(f"    {key:<24}{verdict:<8} want {d['want']!r}\n{'':<36}got  {d['got']!r}", file=out)


def silent_examples(scores: list[dict], limit: int = 8) -> list[str]:
    """A few values that came out wrong and were not flagged, one line each."""
    lines = []
    for s in scores:
        for key, d in s.get("details", {}).items():
            if d["got"] is not None and not d["flagged"]:
                lines.append(f"  {s['name']}: {key} = {d['got']!r}, expected {d['want']!r}")
    return lines[:limit]


def report_unseen(scores: list[dict], by_format: dict, overall: dict, summarise, draw: str, engine: str) -> dict:
    """Print the unseen family's table (per format, per layout family, all
    files); returns the per-family summaries."""
    families = sorted({s["layout"] for s in scores if s["layout"]})
    by_family = {family: summarise([s for s in scores if s["layout"] == family]) for family in families}
    print_unseen_table(f"parse accuracy on forms nobody here has seen — {draw} draw — OCR engine: {engine}",
                       by_format, by_family, overall)
    return by_family
