"""Which numbers a page image hides, what its caption says, and who may see one uncovered.

Two colleagues' forms arrive in one scanned PDF: the first page holds both ID
numbers and mobiles, the second page none. The served page hides every one
the parser located; a number it did not locate is not hidden, and the page
says so rather than claim otherwise. A reveal uncovers one field of one
application, for the person who made it, for a while.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, Attachment, AuditEntry, Message
from intake.core.statuses import ApplicationStatus, AttachmentStatus
from parsers.schema import load_schema
from review.page_masking import (MASK_COLOUR, REVEAL_LIFETIME, Reading, Reveal, draw_masks, granted_reveal,
                                 plan_page)
from review.source_boxes import PagePlace

A4 = [(595.0, 842.0), (595.0, 842.0)]
REQUIRED = ["name", "id_number", "mobile"]
NOW = datetime(2020, 9, 20, 2, 0, tzinfo=timezone.utc)


def reading(application_id: int, top: float, **sources) -> Reading:
    fields = {"name": "张三", "id_number": "440802197702259413", "mobile": "13531027006"}
    boxes = {"id_number": {"page": 1, "box": [142, top, 547, top + 21]},
             "mobile": {"page": 1, "box": [392, top - 42, 547, top - 21]}}
    boxes.update(sources)
    return Reading(application_id, fields, {key: box for key, box in boxes.items() if box is not None})


def test_every_located_number_on_a_page_is_hidden_and_the_caption_says_so():
    readings = [reading(1, 240), reading(2, 600)]
    first = plan_page(readings, 1, A4, required=REQUIRED)
    assert sorted(key for key, _ in first.hidden) == ["id_number", "id_number", "mobile", "mobile"]
    assert first.note(load_schema()) == "已遮盖身份证号码、手机号码"
    second = plan_page(readings, 2, A4, required=REQUIRED)
    assert second.hidden == [] and second.note(load_schema()) == ""  # nothing of theirs is on page 2


def test_a_number_not_located_is_not_hidden_and_every_page_says_so():
    readings = [reading(1, 240, id_number=None)]
    for page in (1, 2):
        plan = plan_page(readings, page, A4, required=REQUIRED)
        assert "id_number" not in {key for key, _ in plan.hidden}
        assert "此页未能定位身份证号码，原图未遮盖" in plan.note(load_schema())


def test_a_required_number_that_was_not_even_read_may_still_be_on_the_page():
    blank = Reading(1, {"name": "张三"}, {})
    assert plan_page([blank], 1, A4, required=REQUIRED).unlocated == {"id_number", "mobile"}
    # An office phone left blank and not required: nothing to hide, nothing to say.
    assert "office_phone" not in plan_page([blank], 1, A4, required=REQUIRED).unlocated


def test_a_box_on_a_page_of_unknown_size_counts_as_not_located():
    plan = plan_page([reading(1, 240)], 1, [], required=REQUIRED)
    assert plan.hidden == [] and plan.unlocated == {"id_number", "mobile"}


def test_a_reveal_uncovers_one_field_of_one_application_only():
    readings = [reading(1, 240), reading(2, 600)]
    plan = plan_page(readings, 1, A4, required=REQUIRED, reveal=Reveal(1, "mobile"))
    assert sorted(key for key, _ in plan.hidden) == ["id_number", "id_number", "mobile"]  # the colleague's stays
    assert plan.note(load_schema()) == "已遮盖身份证号码、手机号码；手机号码已按查看请求显示（已记入审计日志）"
    alone = plan_page([reading(1, 240)], 1, A4, required=REQUIRED, reveal=Reveal(1, "mobile"))
    assert alone.note(load_schema()) == "已遮盖身份证号码；手机号码已按查看请求显示（已记入审计日志）"


def test_the_mask_fills_its_place_rounded_outwards_and_nothing_else():
    page = Image.new("RGB", (200, 100), "white")
    masked = draw_masks(page, [PagePlace(1, 0.1025, 0.2, 0.5, 0.405)])
    assert masked.getpixel((20, 20)) == MASK_COLOUR and masked.getpixel((99, 40)) == MASK_COLOUR
    assert masked.getpixel((19, 20)) == (255, 255, 255) and masked.getpixel((100, 20)) == (255, 255, 255)
    assert masked.getpixel((50, 19)) == (255, 255, 255) and masked.getpixel((50, 41)) == (255, 255, 255)
    assert page.getpixel((50, 30)) == (255, 255, 255)  # the cached plain page is left as it was


# ---- who may see a number uncovered --------------------------------------------------

@pytest.fixture
def stored(tmp_path):
    """One scanned form (attachment) read as one application, and a stray attachment."""
    url = f"sqlite:///{tmp_path / 'masking.sqlite3'}"
    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        message = Message(raw_sha256="a" * 64, size=1, body_sha256="0" * 64, received_at=NOW)
        for name in ("扫描件.pdf", "其他.pdf"):
            message.attachments.append(Attachment(filename=name, content_type="application/pdf", sha256="b" * 64,
                                                  size=1, origin="mail", kind="pdf", status=AttachmentStatus.PARSED))
        session.add(message)
        session.flush()
        scan, other = message.attachments
        application = Application(campaign="zj-2020", status=ApplicationStatus.PENDING_REVIEW, message_id=message.id,
                                  attachment_id=scan.id, fields=reading(0, 240).fields,
                                  field_sources=reading(0, 240).field_sources)
        application.sync_columns()
        session.add(application)
        session.flush()
        yield session, application.id, scan.id, other.id
    engine.dispose()


def reveal_entry(session, application_id: int, key: str, *, by: str = "lihua", at: datetime = NOW,
                 action: str = "reveal") -> int:
    entry = AuditEntry(username=by, action=action, application_id=application_id, details={"field": key}, at=at)
    session.add(entry)
    session.flush()
    return entry.id


def test_a_fresh_reveal_by_the_same_person_uncovers_that_field_on_that_attachment(stored):
    session, app_id, scan, other = stored
    entry = reveal_entry(session, app_id, "mobile")
    assert granted_reveal(session, entry, attachment_id=scan, username="lihua", may_see_id_number=False,
                          now=NOW + timedelta(minutes=1)) == Reveal(app_id, "mobile")
    refused = [
        dict(attachment_id=scan, username="chenjing", may_see_id_number=True, now=NOW),  # someone else
        dict(attachment_id=other, username="lihua", may_see_id_number=False, now=NOW),  # another file
        dict(attachment_id=scan, username="lihua", may_see_id_number=False, now=NOW + REVEAL_LIFETIME * 2),  # stale
    ]
    for ask in refused:
        assert granted_reveal(session, entry, **ask) is None, ask
    assert granted_reveal(session, None, attachment_id=scan, username="lihua", may_see_id_number=True, now=NOW) is None


def test_the_id_number_stays_hidden_from_a_role_that_may_not_see_it(stored):
    session, app_id, scan, _other = stored
    entry = reveal_entry(session, app_id, "id_number", by="chenjing")
    ask = dict(attachment_id=scan, username="chenjing", now=NOW)
    assert granted_reveal(session, entry, may_see_id_number=True, **ask) == Reveal(app_id, "id_number")
    assert granted_reveal(session, entry, may_see_id_number=False, **ask) is None  # no longer admin
    correction = reveal_entry(session, app_id, "mobile", by="chenjing", action="correct")
    assert granted_reveal(session, correction, may_see_id_number=True, **ask) is None  # not a reveal
