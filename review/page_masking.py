"""What a served page image hides: the ID numbers and phone numbers the parser located on it.

Every reading of an attachment (an application read from it, and each of its
versions; two applicants' forms in one file are two applications) says where
its ID number, mobile and office phone were read (``field_sources``). A page
image is sent with a filled rectangle over each of those boxes on it, drawn
with Pillow before it leaves the server, except the one field that a member of
staff has just revealed through the audited reveal action (``granted_reveal``).

A number the parser did not locate is not hidden, and the detail page says so
on every page it may be on (``PagePlan.note``): a page never claims a masking
that did not happen. A number counts as on the form when a reading has it, or
when the campaign requires it (it is there even if it could not be read).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.core.masking import ID_NUMBER_KEYS, PHONE_KEYS
from intake.core.models import Application, ApplicationVersion, AuditEntry
from parsers.schema import FormSchema
from review.source_boxes import PagePlace, place_on_page

SENSITIVE_KEYS = ID_NUMBER_KEYS | PHONE_KEYS
MASK_COLOUR = (47, 53, 66)
# An OCR box hugs the glyphs and a photo's box is the smallest upright one around a slanted
# line: widen it (a fraction of the page's width) so no stroke shows at its edges.
MASK_MARGIN = 0.003
# How long after a reveal the page images that person asks for show that number in full.
REVEAL_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class Reading:
    application_id: int
    fields: dict[str, Any]
    field_sources: dict[str, Any]


@dataclass(frozen=True)
class Reveal:
    """One application's field that its reveal (an audit entry) lets this person see in full."""

    application_id: int
    key: str


def readings_of(session: Session, attachment_id: int) -> list[Reading]:
    """Every reading of this attachment: applications and versions whose form it is."""
    rows = [
        *session.execute(select(Application.id, Application.fields, Application.field_sources)
                         .where(Application.attachment_id == attachment_id)).all(),
        *session.execute(select(ApplicationVersion.application_id, ApplicationVersion.fields,
                                ApplicationVersion.field_sources)
                         .where(ApplicationVersion.attachment_id == attachment_id)).all(),
    ]
    return [Reading(app_id, fields or {}, sources or {}) for app_id, fields, sources in rows]


def granted_reveal(session: Session, entry_id: int | None, *, attachment_id: int, username: str,
                   may_see_id_number: bool, now: datetime) -> Reveal | None:
    """The reveal an audit entry grants on this attachment's pages, or None: it must be this
    person's own recent reveal, of an application read from this attachment, of a number
    their role may still see in full."""
    entry = session.get(AuditEntry, entry_id) if entry_id else None
    if entry is None or entry.action != "reveal" or entry.username != username or entry.application_id is None:
        return None
    if entry.at < now - REVEAL_LIFETIME:
        return None
    key = (entry.details or {}).get("field")
    if key not in SENSITIVE_KEYS or (key in ID_NUMBER_KEYS and not may_see_id_number):
        return None
    if entry.application_id not in {reading.application_id for reading in readings_of(session, attachment_id)}:
        return None
    return Reveal(entry.application_id, key)


@dataclass
class PagePlan:
    """What one page image hides, what it shows because it was revealed, and what it may show unlocated."""

    page: int
    hidden: list[tuple[str, PagePlace]] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)
    unlocated: set[str] = field(default_factory=set)

    @property
    def places(self) -> list[PagePlace]:
        return [place for _key, place in self.hidden]

    def note(self, schema: FormSchema) -> str:
        """A quiet caption for the page, in Chinese; empty when the page holds none of these numbers."""
        def labels(keys: Iterable[str]) -> str:
            wanted = set(keys)
            return "、".join(schema.label_for(key) for key in schema.keys if key in wanted)

        hidden = {key for key, _place in self.hidden}
        parts = []
        if hidden:
            parts.append(f"已遮盖{labels(hidden)}")
        if self.shown:
            parts.append(f"{labels(self.shown)}已按查看请求显示（已记入审计日志）")
        if self.unlocated:
            parts.append(f"此页未能定位{labels(self.unlocated)}，原图未遮盖")
        return "；".join(parts)


def plan_page(readings: Sequence[Reading], page: int, page_sizes: Sequence[tuple[float, float]], *,
              required: Iterable[str], reveal: Reveal | None = None) -> PagePlan:
    """Which numbers page ``page`` hides. ``page_sizes``: every shown page's size in the boxes'
    units (a box on a page of unknown size cannot be placed, so it counts as not located)."""
    required = set(required) & SENSITIVE_KEYS
    plan = PagePlan(page)
    for reading in readings:
        for key in sorted(SENSITIVE_KEYS):
            place = place_on_page(reading.field_sources.get(key), page_sizes, margin=MASK_MARGIN)
            if place is None:
                if key in required or reading.fields.get(key) not in (None, "", []):
                    plan.unlocated.add(key)
            elif place.page != page:
                continue
            elif reveal is not None and (reading.application_id, key) == (reveal.application_id, reveal.key):
                plan.shown.add(key)
            elif (key, place) not in plan.hidden:
                plan.hidden.append((key, place))
    return plan


def draw_masks(page: Image.Image, places: Sequence[PagePlace]) -> Image.Image:
    """A copy of the page image with each place filled in ``MASK_COLOUR``, rounded outwards."""
    masked = page.convert("RGB")
    draw = ImageDraw.Draw(masked)
    width, height = masked.size
    for place in places:
        box = (math.floor(place.x0 * width), math.floor(place.y0 * height),
               min(width, math.ceil(place.x1 * width)) - 1, min(height, math.ceil(place.y1 * height)) - 1)
        draw.rectangle(box, fill=MASK_COLOUR)
    return masked
