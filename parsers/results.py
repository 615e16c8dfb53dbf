"""Plain values the parsers hand to the rest of intake."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FormResult:
    """One application form found in one file.

    ``fields`` maps canonical keys (see ``form_schema.yaml``) to normalised
    values; a key is absent when the form did not give it. ``needs_review``
    lists keys whose value staff must check (low confidence, failed check).
    """

    fields: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    needs_review: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    method: str = ""  # how it was read: "docx", "pdf-text", ...
    # Where each field was read ({"page": n, "box": [x0, top, x1, bottom]},
    # page 1-based): PDF points (typed or scanned pages), or an image's
    # pixels as sent, upright by its EXIF orientation; only for formats
    # with pages (PDF, scans, photos). See ``parsers.text.rows.SourceBox``.
    source: dict[str, dict] = field(default_factory=dict)

    def to_json(self, filename: str) -> dict[str, Any]:
        return {
            "file": filename,
            "fields": self.fields,
            "confidence": self.confidence,
            "needs_review": self.needs_review,
            "warnings": self.warnings,
            "source": self.source,
        }
