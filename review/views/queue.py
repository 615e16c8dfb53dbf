"""The queue (home page): the current campaign's applications, filtered, searched, sorted, a keyset page at a time."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, render_template, request

from intake.core.masking import mask_phone
from parsers.schema import load_schema
from review.queue_query import SORT_LABELS, STATUS_LABELS, QueueFilter, queue_page
from review.request_scope import db, figures_cache

blueprint = Blueprint("queue", __name__)

STATUS_BADGES = {"incomplete": "warn", "pending_review": "", "approved": "ok", "rejected": "bad"}


@blueprint.route("/")
def index():
    campaign = g.campaign
    flt = QueueFilter.from_args(request.args)
    page = queue_page(db(), campaign.name, flt, with_counts=False)
    page.counts = figures_cache().get(db(), campaign).counts.by_status  # refreshed every minute, and by decisions
    schema = load_schema()
    return render_template(
        "queue.html", page=page, flt=flt, status_labels=STATUS_LABELS, status_badges=STATUS_BADGES,
        sort_labels=SORT_LABELS, counties=campaign.counties,
        expertise_options=schema.spec_for("expertise").options, queue_args=flt.query_string(),
        local_time=lambda value: local_time(value, campaign.tz), mask_phone=mask_phone,
    )


def local_time(value: datetime | None, tz) -> str:
    """Campaign-local minutes ("2020-09-14 09:05"): staff read times as the deadline is set."""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""
