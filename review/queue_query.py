"""The review queue as a query: filters from the URL, one keyset page, the neighbours of a row.

Pages are keyset pages on (sort key, id), never OFFSET: page 2,000 costs what
page 1 costs, because each page starts with an index range at its cursor.
The list query selects only the columns the queue shows (no JSON blobs), so
100,000 applications stay fast on SQLite and PostgreSQL alike. The indexes it
leans on: (campaign, received_at, id) and (campaign, status, received_at, id)
for the default sorts, (campaign, county) / (campaign, mobile) for filters.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from intake.core.labels import APPLICATION_STATUS_LABELS
from intake.core.models import TAIL_MARK, Application, ApplicationSearch
from intake.core.statuses import ApplicationStatus

PAGE_SIZE = 50
SEARCH_CANDIDATES = 2000  # at most this many matches are collected by id (see _search)
# The one table of status names (intake.core.labels); kept under this name for review's views and templates.
STATUS_LABELS = APPLICATION_STATUS_LABELS
SORT_LABELS = {"-received": "收到时间（新→旧）", "received": "收到时间（旧→新）", "name": "姓名", "reference": "编号"}
FLAGS = ("needs_review", "late", "warnings", "revised")
# Digits alone (an ID may end in X): the end of a mobile or ID number, as staff read it off a call.
_TAIL_DIGITS = re.compile(r"\d{4,17}[Xx]?")
_LIKE_ESCAPE = "!"

# The columns the queue shows; nothing else leaves the database for a list.
_EMPTY_JSON = ("[]", "null")
LIST_COLUMNS = (
    Application.id, Application.reference, Application.name, Application.employer, Application.county,
    Application.status, Application.received_at, Application.is_late, Application.review_count,
    Application.version, Application.mobile,
    func.coalesce(cast(Application.warnings, Text), "[]").not_in(_EMPTY_JSON).label("has_warnings"),
)


@dataclass(frozen=True)
class QueueFilter:
    status: ApplicationStatus | None = None
    county: str | None = None
    expertise: str | None = None
    needs_review: bool = False
    late: bool = False
    warnings: bool = False
    revised: bool = False
    q: str = ""
    sort: str = "-received"
    after: str | None = None
    before: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "QueueFilter":
        """From request args (or a parsed query string); anything unknown is ignored, never an error."""
        def text(name: str, limit: int) -> str | None:
            value = (args.get(name) or "").strip()
            return value[:limit] or None

        status = args.get("status")
        sort = args.get("sort") or "-received"
        return cls(
            status=ApplicationStatus(status) if status in {s.value for s in ApplicationStatus} else None,
            county=text("county", 40), expertise=text("expertise", 40),
            **{flag: args.get(flag) == "1" for flag in FLAGS},
            q=text("q", 100) or "", sort=sort if sort in SORT_LABELS else "-received",
            after=text("after", 400), before=text("before", 400),
        )

    @classmethod
    def from_query_string(cls, query: str) -> "QueueFilter":
        return cls.from_args(dict(parse_qsl(query or "", keep_blank_values=False)))

    def args(self, **changes: Any) -> dict[str, str]:
        """URL parameters of this filter (cursors left out unless changed in), for links."""
        current = replace(self, **{"after": None, "before": None, **changes})
        out: dict[str, str] = {}
        if current.status:
            out["status"] = ApplicationStatus(current.status).value
        for name in ("county", "expertise"):
            if getattr(current, name):
                out[name] = getattr(current, name)
        out.update({flag: "1" for flag in FLAGS if getattr(current, flag)})
        if current.q:
            out["q"] = current.q
        if current.sort != "-received":
            out["sort"] = current.sort
        for name in ("after", "before"):
            if getattr(current, name):
                out[name] = getattr(current, name)
        return out

    def query_string(self) -> str:
        return urlencode(self.args())

    @property
    def filtered(self) -> bool:
        return bool(self.args(sort="-received"))


@dataclass
class QueuePage:
    rows: list[Any]
    next_cursor: str | None = None
    prev_cursor: str | None = None
    counts: dict[ApplicationStatus, int] = field(default_factory=dict)


# ---- sort keys and cursors --------------------------------------------------------

def _sort_column(sort: str):
    if sort in ("received", "-received"):
        return Application.received_at
    if sort == "name":
        return func.coalesce(Application.name, "")  # incomplete forms may have no name yet
    return func.coalesce(Application.reference, "")


def _key_of(sort: str, value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "" if value is None else str(value)


def _key_value(sort: str, text: str) -> Any:
    return datetime.fromisoformat(text) if sort in ("received", "-received") else text


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    raw = f"{sort}|{_key_of(sort, value)}|{row_id}".encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(sort: str, cursor: str | None) -> tuple[Any, int] | None:
    """(sort value, id), or None for a missing, foreign or damaged cursor (the first page then)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        cursor_sort, rest = raw.split("|", 1)
        value, _, row_id = rest.rpartition("|")
        if cursor_sort != sort:
            return None
        return _key_value(sort, value), int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _row_key(sort: str, row: Any) -> Any:
    if sort in ("received", "-received"):
        return row.received_at
    return (row.name if sort == "name" else row.reference) or ""


# ---- filters ----------------------------------------------------------------------

def _like_escape(text: str) -> str:
    return text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "!%").replace("_", "!_")


def _conditions(session: Session, campaign: str, flt: QueueFilter) -> list[Any]:
    conditions: list[Any] = [Application.campaign == campaign]
    if flt.status:
        conditions.append(Application.status == flt.status)
    if flt.county:
        conditions.append(Application.county == flt.county)
    if flt.expertise:
        # Ticked options are a JSON list inside `fields`; matching the quoted
        # option in the JSON text (as stored, \u-escaped, or raw) is portable
        # across SQLite and PostgreSQL. The default sort's index bounds the scan.
        text = cast(Application.fields, Text)
        conditions.append(or_(*(text.like(f"%{_like_escape(json.dumps(flt.expertise, ensure_ascii=ascii))}%",
                                          escape=_LIKE_ESCAPE) for ascii in (True, False))))
    if flt.needs_review:
        conditions.append(Application.review_count > 0)
    if flt.late:
        conditions.append(Application.is_late.is_(True))
    if flt.warnings:
        conditions.append(func.coalesce(cast(Application.warnings, Text), "[]").not_in(_EMPTY_JSON))
    if flt.revised:
        conditions.append(Application.version > 1)
    if flt.q:
        conditions.append(_search(session, campaign, flt.q))
    return conditions


def _search(session: Session, campaign: str, q: str):
    """The search as a condition on the narrow search table (``ApplicationSearch``).

    Digits alone (an ID may end in X) are the end of a reference, a mobile or an
    ID number, as staff read them off a call; anything else is a substring of a
    name, an employer or an e-mail. A rare match (one person) is collected as
    ids first, so the page is picked from those few; a common one ("有限公司")
    stays a subquery that the sort-order scan fills a page from quickly.
    """
    needle = _like_escape(q.strip().lower())
    pattern = f"%{needle}{TAIL_MARK}%" if _TAIL_DIGITS.fullmatch(q.strip()) else f"%{needle}%"
    matching = select(ApplicationSearch.application_id).where(
        ApplicationSearch.campaign == campaign, ApplicationSearch.text.like(pattern, escape=_LIKE_ESCAPE))
    found = session.scalars(matching.limit(SEARCH_CANDIDATES + 1)).all()
    if len(found) <= SEARCH_CANDIDATES:
        return Application.id.in_(sorted(found))
    return Application.id.in_(matching)


def _beyond(sort: str, value: Any, row_id: int, forward: bool):
    """Rows strictly after (forward) or before (value, id) in the sort order.

    Written as ``key >= v AND (key > v OR id > i)``: the first half is an index
    range the planner can start at, the second removes the ties already shown.
    """
    column = _sort_column(sort)
    ascending = (sort != "-received") == forward
    if ascending:
        return and_(column >= value, or_(column > value, Application.id > row_id))
    return and_(column <= value, or_(column < value, Application.id < row_id))


def _ordering(sort: str, forward: bool) -> list[Any]:
    column = _sort_column(sort)
    ascending = (sort != "-received") == forward
    return [column.asc(), Application.id.asc()] if ascending else [column.desc(), Application.id.desc()]


# ---- the page ----------------------------------------------------------------------

def queue_page(session: Session, campaign: str, flt: QueueFilter, *, page_size: int = PAGE_SIZE,
               with_counts: bool = True) -> QueuePage:
    backward = decode_cursor(flt.sort, flt.before)
    forward = None if backward else decode_cursor(flt.sort, flt.after)
    cursor = backward or forward
    query = select(*LIST_COLUMNS).where(*_conditions(session, campaign, flt))
    if cursor is not None:
        query = query.where(_beyond(flt.sort, cursor[0], cursor[1], forward=backward is None))
    query = query.order_by(*_ordering(flt.sort, forward=backward is None)).limit(page_size + 1)
    rows = list(session.execute(query).all())
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backward:
        rows.reverse()
    page = QueuePage(rows=rows)
    if rows:
        first, last = rows[0], rows[-1]
        # Going back, there is always a next page (the one we came from); going on, a previous one.
        if (more and not backward) or backward:
            page.next_cursor = encode_cursor(flt.sort, _row_key(flt.sort, last), last.id)
        if (more and backward) or forward:
            page.prev_cursor = encode_cursor(flt.sort, _row_key(flt.sort, first), first.id)
    if with_counts:
        page.counts = status_counts(session, campaign)
    return page


def status_counts(session: Session, campaign: str) -> dict[ApplicationStatus, int]:
    """Applications per status in the whole campaign: how much work is left, at a glance.

    Deliberately not narrowed by the other filters: a count by (campaign, status)
    is answered from the status index, while counting under a search or a JSON
    filter would scan every row on each page view.
    """
    query = (select(Application.status, func.count()).where(Application.campaign == campaign)
             .group_by(Application.status))
    counts = {status: 0 for status in ApplicationStatus}
    counts.update({status: number for status, number in session.execute(query).all()})
    return counts


def neighbour_id(session: Session, campaign: str, queue_args: str, app_id: int, *, forward: bool = True) -> int | None:
    """The application next to ``app_id`` in the queue these args describe, or None at its end.

    The position is the row's own sort key, so it works even when the row itself
    no longer matches the filter (just approved while the queue shows 待审核).
    """
    flt = QueueFilter.from_query_string(queue_args)
    row = session.execute(select(Application.received_at, Application.name, Application.reference)
                          .where(Application.id == app_id)).first()
    if row is None:
        return None
    query = (select(Application.id).where(*_conditions(session, campaign, flt),
                                          _beyond(flt.sort, _row_key(flt.sort, row), app_id, forward))
             .order_by(*_ordering(flt.sort, forward)).limit(1))
    return session.scalar(query)


def next_application_id(session: Session, campaign: str, queue_args: str, after_id: int) -> int | None:
    """The application after ``after_id`` in that filtered, sorted queue (for "approve and next")."""
    return neighbour_id(session, campaign, queue_args, after_id, forward=True)
