"""Where a field was read, as a place on its page image: fractions of the page, so it scales.

The worker keeps the parser's boxes (``Application.field_sources``) in the
original's own units, PDF points or an image's pixels; a box divided by its
page's size in the same units (``review.pages.PagePreviews.page_sizes``) is a
place on that page's image at whatever scale the image was rendered. A stored
box that is malformed, on a page not shown, or outside its page is no place at
all: the detail page then says "无来源框" rather than outline the wrong spot.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class PagePlace:
    """A box on a 1-based page: its corners as fractions (0..1) of the page's width and height."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def corners(self) -> tuple[int, float, float, float, float]:
        return (self.page, self.x0, self.y0, self.x1, self.y1)

    # As the overlay's SVG attributes want them, percentages of the page.
    @property
    def left(self) -> str:
        return _percent(self.x0)

    @property
    def top(self) -> str:
        return _percent(self.y0)

    @property
    def width(self) -> str:
        return _percent(self.x1 - self.x0)

    @property
    def height(self) -> str:
        return _percent(self.y1 - self.y0)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.3f}%"


def _clamped(page: int, x0: float, y0: float, x1: float, y1: float) -> PagePlace | None:
    x0, y0, x1, y1 = max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0)
    if x1 <= x0 or y1 <= y0:
        return None
    return PagePlace(page, x0, y0, x1, y1)


def place_on_page(source: Any, page_sizes: Sequence[tuple[float, float]], *, margin: float = 0.0) -> PagePlace | None:
    """One stored source (``{"page": n, "box": [x0, top, x1, bottom]}``) as a place on its page,
    or None when it is not a box on one of the pages shown. ``margin`` widens the box on every
    side by that fraction of the page's width (the same distance across and down), within the page."""
    if not isinstance(source, dict):
        return None
    page, box = source.get("page"), source.get("box")
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= len(page_sizes):
        return None
    if not isinstance(box, (list, tuple)) or len(box) != 4 \
            or not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in box):
        return None
    width, height = page_sizes[page - 1]
    if width <= 0 or height <= 0:
        return None
    x0, top, x1, bottom = box
    pad = margin * width
    return _clamped(page, (x0 - pad) / width, (top - pad) / height, (x1 + pad) / width, (bottom + pad) / height)


def places_of_fields(field_sources: dict[str, Any] | None,
                     page_sizes: Sequence[tuple[float, float]]) -> dict[str, PagePlace]:
    """Every field's place on the pages shown, for the fields that have one."""
    places = {}
    for key, source in (field_sources or {}).items():
        place = place_on_page(source, page_sizes)
        if place is not None:
            places[key] = place
    return places
