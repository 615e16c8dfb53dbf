"""概览: counts by status and county, approved experts against each county's target, failures to retry.

All of the current campaign; a retry takes its admin role, and a failed mail or reply of a
campaign the person may not read is a 404 like another city's application.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from sqlalchemy import update

from intake.core.labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from intake.core.models import Message, OutboxMail
from intake.core.statuses import MessageStatus, OutboxStatus
from review import audit
from review.campaign_access import is_admin_in, readable, require_role
from review.dashboard_figures import CountyFigures
from review.request_scope import client_address, db, figures_cache

blueprint = Blueprint("dashboard", __name__)

@blueprint.route("/dashboard")
def index():
    campaign = g.campaign
    figures = figures_cache().get(db(), campaign)
    return render_template(
        "dashboard.html", counts=figures.counts, status_labels=STATUS_LABELS, chart=bar_chart(figures.counts.counties),
        messages_failed=figures.messages_failed, messages=figures.messages, replies_failed=figures.replies_failed,
        replies=figures.replies, can_retry=is_admin_in(campaign.name), tz=campaign.tz,
        per_workstation=campaign.experts_per_workstation,
    )


@blueprint.route("/messages/<int:message_id>/retry", methods=["POST"])
def retry_message(message_id: int):
    _require_admin_of(db().get(Message, message_id))
    # Back to `stored`: the worker's next poll processes it like a newly fetched message.
    changed = db().execute(
        update(Message).where(Message.id == message_id, Message.status == MessageStatus.FAILED)
        .values(status=MessageStatus.STORED).execution_options(synchronize_session=False)
    ).rowcount
    return _after_retry(changed, "message", message_id, f"邮件 #{message_id} 将在下一次收信时重新处理。")


@blueprint.route("/outbox/<int:outbox_id>/retry", methods=["POST"])
def retry_reply(outbox_id: int):
    _require_admin_of(db().get(OutboxMail, outbox_id))
    changed = db().execute(
        update(OutboxMail).where(OutboxMail.id == outbox_id, OutboxMail.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=datetime.now(timezone.utc))
        .execution_options(synchronize_session=False)
    ).rowcount
    return _after_retry(changed, "reply", outbox_id, f"回复 #{outbox_id} 将在下一次发信时重新发送。")


def _require_admin_of(row: Message | OutboxMail | None) -> None:
    """404 for a row of a campaign the person may not read (or of none), 403 unless its admin."""
    campaign = readable(row.campaign) if row is not None else None
    if campaign is None:
        abort(404)
    require_role(campaign.name, admin=True)


def _after_retry(changed: int, what: str, row_id: int, done: str):
    if changed:
        audit.record(db(), "retry", username=g.user.username, address=client_address(),
                     details={"what": what, "id": row_id})
        db().commit()
        figures_cache().clear()
        flash(done, "info")
    else:
        db().rollback()
        flash("该项已不是失败状态（可能已被他人重试），无需再试。", "warning")
    return redirect(url_for("dashboard.index"))


# ---- the bar chart: inline SVG drawn by the server (the CSP allows no chart script) --------------

LABEL_WIDTH, BAR_WIDTH, VALUE_WIDTH, ROW_HEIGHT = 150, 380, 110, 26


@dataclass(frozen=True)
class Bar:
    county: str
    y: int
    target_width: float
    approved_width: float
    value: str
    met: bool
    has_target: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_x: int
    bar_x: int
    value_x: int
    row_height: int


def bar_chart(counties: list[CountyFigures]) -> Chart:
    scale_max = max([1, *(c.target for c in counties), *(c.approved for c in counties)])
    bars = []
    for index, county in enumerate(c for c in counties if c.target or c.approved):
        value = f"{county.approved} / {county.target}" if county.target else f"{county.approved}（无目标）"
        bars.append(Bar(county.county, index * ROW_HEIGHT, round(BAR_WIDTH * county.target / scale_max, 1),
                        round(BAR_WIDTH * county.approved / scale_max, 1), value, county.met, county.target > 0))
    return Chart(bars, LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, max(len(bars), 1) * ROW_HEIGHT,
                 LABEL_WIDTH - 8, LABEL_WIDTH, LABEL_WIDTH + BAR_WIDTH + 8, ROW_HEIGHT)
