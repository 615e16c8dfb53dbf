"""导出: the current campaign's public roster (anyone who reads it) and provincial report (its
admin), and the provincial report across every city (a provincial account); all audited."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from flask import Blueprint, Response, abort, g, render_template

from intake.core.statuses import ApplicationStatus
from review import audit
from review.campaign_access import is_admin_in, is_provincial, require_role
from review.exports import WRITERS, Counted, count_rows, province_report_rows, report_rows, roster_rows
from review.request_scope import client_address, db, settings

blueprint = Blueprint("exports", __name__)

PROVINCE = "全省"  # the audit entry's campaign for the report across cities


@blueprint.route("/exports")
def index():
    campaign = g.campaign
    return render_template(
        "exports.html",
        approved=count_rows(db(), campaign),
        total=count_rows(db(), campaign, statuses=None),
        can_report=is_admin_in(campaign.name),
        can_province_report=is_provincial(),
        province_approved=sum(count_rows(db(), each) for each in settings().campaigns) if is_provincial() else 0,
        campaign_count=len(settings().campaigns),
    )


@blueprint.route("/exports/roster.<fmt>")
def roster(fmt: str):
    if fmt not in WRITERS:
        abort(404)
    headers, rows = roster_rows(db(), g.campaign)
    return _download("roster", headers, rows, fmt, filename="专家名单", ascii_name="roster")


@blueprint.route("/exports/report.xlsx")
def report():
    require_role(g.campaign.name, admin=True)
    headers, rows = report_rows(db(), g.campaign, statuses=[ApplicationStatus.APPROVED], reveal=True)
    return _download("report", headers, rows, "xlsx", filename="专家信息报送表", ascii_name="report")


@blueprint.route("/exports/province-report.xlsx")
def province_report():
    if not is_provincial():
        abort(403)
    headers, rows = province_report_rows(db(), settings().campaigns, statuses=[ApplicationStatus.APPROVED])
    return _download("province_report", headers, rows, "xlsx", filename="全省专家信息报送表",
                     ascii_name="province-report", campaign=PROVINCE)


def _download(what: str, headers: list[str], rows, fmt: str, *, filename: str, ascii_name: str,
              campaign: str | None = None) -> Response:
    write, mimetype = WRITERS[fmt]
    counted = Counted(rows)
    data = write(headers, counted)
    audit.record(db(), "export", username=g.user.username, address=client_address(),
                 details={"what": what, "format": fmt, "rows": counted.count, "campaign": campaign or g.campaign.name})
    db().commit()
    day = datetime.now(timezone.utc).astimezone(g.campaign.tz).strftime("%Y-%m-%d")
    response = Response(data, mimetype=mimetype)
    # RFC 6266/5987: browsers take filename*; the ASCII name is for the few that can't.
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}-{day}.{fmt}"; '
        f"filename*=UTF-8''{quote(f'{filename}-{day}.{fmt}')}"
    )
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a cache
    return response
