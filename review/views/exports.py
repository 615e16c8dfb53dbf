"""导出: the public roster (any staff) and the provincial report (admin only); both audited."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from flask import Blueprint, Response, abort, g, render_template

from intake.core.statuses import ApplicationStatus
from review import audit
from review.auth import admin_required, is_admin
from review.exports import WRITERS, Counted, count_rows, report_rows, roster_rows
from review.request_scope import client_address, db, settings

blueprint = Blueprint("exports", __name__)


@blueprint.route("/exports")
def index():
    campaign = settings().campaign
    return render_template(
        "exports.html",
        approved=count_rows(db(), campaign),
        total=count_rows(db(), campaign, statuses=None),
        can_report=is_admin(),
    )


@blueprint.route("/exports/roster.<fmt>")
def roster(fmt: str):
    if fmt not in WRITERS:
        abort(404)
    headers, rows = roster_rows(db(), settings().campaign)
    return _download("roster", headers, rows, fmt, filename="专家名单", ascii_name="roster")


@blueprint.route("/exports/report.xlsx")
@admin_required
def report():
    headers, rows = report_rows(db(), settings().campaign, statuses=[ApplicationStatus.APPROVED], reveal=True)
    return _download("report", headers, rows, "xlsx", filename="专家信息报送表", ascii_name="report")


def _download(what: str, headers: list[str], rows, fmt: str, *, filename: str, ascii_name: str) -> Response:
    write, mimetype = WRITERS[fmt]
    counted = Counted(rows)
    data = write(headers, counted)
    audit.record(db(), "export", username=g.user.username, address=client_address(),
                 details={"what": what, "format": fmt, "rows": counted.count})
    db().commit()
    day = datetime.now(timezone.utc).astimezone(settings().campaign.tz).strftime("%Y-%m-%d")
    response = Response(data, mimetype=mimetype)
    # RFC 6266/5987: browsers take filename*; the ASCII name is for the few that can't.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}-{day}.{fmt}"; '
        f"filename*=UTF-8''{quote(f'{filename}-{day}.{fmt}')}"
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    return response
