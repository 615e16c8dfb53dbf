"""The review queue's query: staff filter, search and page through a campaign's applications.

A real (SQLite) database built by the migrations, with applications written
the way the worker writes them (``sync_columns`` fills the searchable columns).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from intake.core.db import make_engine, make_session_factory
from intake.core.migrate import upgrade_database
from intake.core.models import Application, Message
from intake.core.statuses import ApplicationStatus
from review.queue_query import QueueFilter, decode_cursor, next_application_id, queue_page, status_counts

CAMPAIGN = "zj-2020"
START = datetime(2020, 9, 1, 1, 0, tzinfo=timezone.utc)
COUNTIES = ["赤坎区", "霞山区", "坡头区"]


@pytest.fixture
def session(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        yield session
    engine.dispose()


def add_application(session, number: int, *, campaign: str = CAMPAIGN, received: datetime | None = None,
                    status=ApplicationStatus.PENDING_REVIEW, needs_review=(), warnings=(), late=False, version=1,
                    **fields) -> Application:
    message = Message(raw_sha256=f"{number:064x}", size=1, body_sha256="0" * 64,
                      received_at=received or START + timedelta(minutes=number))
    session.add(message)
    session.flush()
    values = {"name": f"申请人{number:03d}", "employer": f"湛江第{number}公司", "county": COUNTIES[number % 3],
              "mobile": f"138{number:08d}", "id_number": f"44080219800101{number:04d}",
              "email": f"person{number}@example.com", "expertise": ["财税"] if number % 2 else ["法律", "会计"]}
    values.update(fields)
    application = Application(campaign=campaign, reference=f"ZJZJ-2020-{number:04d}" if campaign == CAMPAIGN else None,
                              status=status, fields=values, needs_review=list(needs_review), warnings=list(warnings),
                              is_late=late, version=version, message_id=message.id, received_at=message.received_at)
    application.sync_columns()
    session.add(application)
    session.flush()
    return application


def names(page) -> list[str]:
    return [row.name for row in page.rows]


def test_filters_pick_the_applications_staff_ask_for(session):
    for number in range(12):
        add_application(session, number,
                        status=ApplicationStatus.INCOMPLETE if number < 3 else ApplicationStatus.PENDING_REVIEW,
                        needs_review=["mobile"] if number in (4, 5) else (), late=number == 6,
                        warnings=["身份证号码校验位不正确"] if number == 7 else (), version=2 if number == 8 else 1)
    add_application(session, 99, campaign="another-campaign")
    session.commit()

    def shown(**args) -> list[str]:
        return sorted(names(queue_page(session, CAMPAIGN, QueueFilter.from_args(args))))

    assert len(shown()) == 12  # the other campaign's application never appears
    assert shown(status="incomplete") == ["申请人000", "申请人001", "申请人002"]
    assert shown(needs_review="1") == ["申请人004", "申请人005"]
    assert shown(late="1") == ["申请人006"]
    assert shown(warnings="1") == ["申请人007"]
    assert shown(revised="1") == ["申请人008"]
    assert shown(county="霞山区") == ["申请人001", "申请人004", "申请人007", "申请人010"]
    assert shown(expertise="法律") == [f"申请人{n:03d}" for n in range(0, 12, 2)]
    assert shown(expertise="法律", county="赤坎区", status="pending_review") == ["申请人006"]
    assert shown(status="nonsense", sort="drop table") == shown()  # unknown values are ignored, not errors


def test_search_by_name_employer_reference_email_and_last_digits(session):
    for number in range(10):
        add_application(session, number)
    add_application(session, 10, name="张%三", mobile="13912345678", id_number="44080219780512123X")
    session.commit()

    def found(q: str) -> list[str]:
        return sorted(names(queue_page(session, CAMPAIGN, QueueFilter.from_args({"q": q}))))

    assert found("申请人003") == ["申请人003"]
    assert found("第7公司") == ["申请人007"]
    assert found("ZJZJ-2020-0005") == ["申请人005"]
    assert found("PERSON9@EXAMPLE") == ["申请人009"]
    assert found("5678") == ["张%三"]  # the end of a mobile number
    assert found("2123x") == ["张%三"]  # the end of an ID number, X included
    assert found("0002") == ["申请人002"]  # ID ends in 0002; the reference holds it too
    assert found("1234") == []  # digits in the middle of a number do not match
    assert found("%") == ["张%三"]  # wildcards are searched for literally


@pytest.mark.parametrize("sort", ["-received", "received", "name", "reference"])
def test_keyset_pages_cover_the_queue_without_gaps_or_overlap(session, sort):
    same_minute = START + timedelta(days=1)
    for number in range(120):
        # Ties on the sort key (ten applications per minute, some with one name) must not lose rows.
        add_application(session, number, received=same_minute + timedelta(minutes=number // 10),
                        name=f"申请人{number // 3:03d}")
    session.commit()
    flt = QueueFilter.from_args({"sort": sort})
    pages, cursor = [], None
    while True:
        page = queue_page(session, CAMPAIGN, QueueFilter.from_args({"sort": sort, **({"after": cursor} if cursor else {})}),
                          page_size=50)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(page.rows) for page in pages] == [50, 50, 20]
    ids = [row.id for page in pages for row in page.rows]
    assert len(ids) == len(set(ids)) == 120
    everything = queue_page(session, CAMPAIGN, flt, page_size=500)
    assert ids == [row.id for row in everything.rows]  # the same order as one long page
    assert pages[0].prev_cursor is None and pages[1].prev_cursor and pages[2].prev_cursor
    # Going back from the third page gives the second page again, in the same order.
    back = queue_page(session, CAMPAIGN, QueueFilter.from_args({"sort": sort, "before": pages[2].prev_cursor}),
                      page_size=50)
    assert [row.id for row in back.rows] == [row.id for row in pages[1].rows]
    assert back.next_cursor and back.prev_cursor


def test_received_sort_is_newest_first_by_default(session):
    for number in range(5):
        add_application(session, number)
    session.commit()
    page = queue_page(session, CAMPAIGN, QueueFilter())
    assert names(page) == ["申请人004", "申请人003", "申请人002", "申请人001", "申请人000"]
    assert names(queue_page(session, CAMPAIGN, QueueFilter(sort="received")))[0] == "申请人000"


def test_a_damaged_or_foreign_cursor_starts_at_the_first_page(session):
    for number in range(3):
        add_application(session, number)
    session.commit()
    first = queue_page(session, CAMPAIGN, QueueFilter(sort="name"), page_size=2)
    assert decode_cursor("received", first.next_cursor) is None  # a name cursor means nothing to another sort
    for cursor in ("!!!", "bm90IGEgY3Vyc29y", first.next_cursor):
        page = queue_page(session, CAMPAIGN, QueueFilter.from_args({"after": cursor}), page_size=2)
        assert names(page) == ["申请人002", "申请人001"]


def test_next_application_follows_the_filtered_sorted_queue(session):
    apps = [add_application(session, number, needs_review=["mobile"] if number % 2 else ()) for number in range(7)]
    session.commit()
    queue = urlencode({"needs_review": "1", "sort": "received"})
    assert next_application_id(session, CAMPAIGN, queue, apps[1].id) == apps[3].id
    # The application just approved no longer matches the filter; its place in the queue still counts.
    apps[3].status, apps[3].needs_review = ApplicationStatus.APPROVED, []
    apps[3].sync_columns()
    session.commit()
    assert next_application_id(session, CAMPAIGN, queue, apps[3].id) == apps[5].id
    assert next_application_id(session, CAMPAIGN, queue, apps[5].id) is None  # the end of the queue
    assert next_application_id(session, CAMPAIGN, "", apps[2].id) == apps[1].id  # default: newest first


def test_counts_per_status_cover_the_whole_campaign(session):
    add_application(session, 1, status=ApplicationStatus.APPROVED)
    add_application(session, 2, status=ApplicationStatus.APPROVED)
    add_application(session, 3, status=ApplicationStatus.INCOMPLETE)
    add_application(session, 4, campaign="another-campaign")
    session.commit()
    assert status_counts(session, CAMPAIGN) == {
        ApplicationStatus.INCOMPLETE: 1, ApplicationStatus.PENDING_REVIEW: 0,
        ApplicationStatus.APPROVED: 2, ApplicationStatus.REJECTED: 0}


def test_filter_links_keep_the_filter_and_drop_the_cursor():
    flt = QueueFilter.from_args({"status": "approved", "q": "张", "late": "1", "after": "abc", "sort": "name"})
    assert flt.args() == {"status": "approved", "late": "1", "q": "张", "sort": "name"}
    assert flt.args(status=None, after="xyz") == {"late": "1", "q": "张", "sort": "name", "after": "xyz"}
    assert QueueFilter.from_query_string(flt.query_string()) == QueueFilter.from_args(flt.args())
