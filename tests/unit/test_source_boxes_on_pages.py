"""Where a field was read becomes a place on the page image, in fractions of the page, so it scales.

The parser keeps boxes in the original's own units (PDF points, a photo's
upright pixels); the detail page draws them as percentages of the page. A box
it cannot place honestly is no place at all: the field then says "无来源框".
"""
from __future__ import annotations

import pytest

from intake.core.models import Application
from parsers.schema import load_schema
from review.detail_data import field_views
from review.source_boxes import PagePlace, place_on_page, places_of_fields

A4_POINTS = (595.0, 842.0)


def test_a_box_in_pdf_points_becomes_percentages_of_its_page():
    place = place_on_page({"page": 1, "box": [142.6, 240.0, 547.6, 261.0]}, [A4_POINTS])
    assert place == PagePlace(1, pytest.approx(142.6 / 595), pytest.approx(240 / 842),
                              pytest.approx(547.6 / 595), pytest.approx(261 / 842))
    assert (place.left, place.top, place.width, place.height) == ("23.966%", "28.504%", "68.067%", "2.494%")


def test_a_photo_box_in_pixels_lands_on_the_page_it_names():
    sizes = [A4_POINTS, (2036.0, 2669.0)]
    place = place_on_page({"page": 2, "box": [615.7, 809.1, 1638.2, 861.8]}, sizes)
    assert place.page == 2 and place.x0 == pytest.approx(615.7 / 2036) and place.y1 == pytest.approx(861.8 / 2669)


def test_a_margin_widens_the_box_by_the_same_distance_across_and_down():
    place = place_on_page({"page": 1, "box": [100, 100, 200, 120]}, [(1000.0, 2000.0)], margin=0.01)
    assert (place.x0, place.x1) == (pytest.approx(0.09), pytest.approx(0.21))  # 10 units each side
    assert (place.y0, place.y1) == (pytest.approx(0.045), pytest.approx(0.065))  # 10 units each side


@pytest.mark.parametrize("source", [
    None, "1,2,3,4", {"page": 1}, {"page": 0, "box": [1, 2, 3, 4]}, {"page": 3, "box": [1, 2, 3, 4]},
    {"page": True, "box": [1, 2, 3, 4]}, {"page": 1, "box": [1, 2, 3]}, {"page": 1, "box": ["1", 2, 3, 4]},
    {"page": 1, "box": [700, 900, 800, 950]},  # wholly off the page
    {"page": 1, "box": [300, 300, 200, 310]},  # inside out
])
def test_what_cannot_be_placed_honestly_is_no_place(source):
    assert place_on_page(source, [A4_POINTS, A4_POINTS]) is None


def test_a_box_running_off_the_page_is_cut_at_its_edge():
    place = place_on_page({"page": 1, "box": [500, -5, 640, 20]}, [A4_POINTS])
    assert (place.y0, place.x1) == (0.0, 1.0)


def test_each_field_on_the_detail_page_carries_its_place_or_none():
    application = Application(fields={"name": "张三", "mobile": "13812345678", "employer": "湛江某公司"},
                              field_sources={"name": {"page": 1, "box": [142.6, 80, 297.6, 101]},
                                             "mobile": {"page": 1, "box": [392.6, 198, 547.6, 219]},
                                             "employer": {"page": 9, "box": [1, 2, 3, 4]}},
                              confidence={}, needs_review=[], missing_fields=[], confirmed_fields=[], warnings=[])
    places = places_of_fields(application.field_sources, [A4_POINTS])
    views = {view.key: view for view in field_views(application, load_schema(), [], places=places)}
    assert views["name"].box.page == 1 and views["mobile"].box is not None
    assert views["mobile"].masked  # the place is shown, the number still is not
    assert views["employer"].box is None and views["gender"].box is None
