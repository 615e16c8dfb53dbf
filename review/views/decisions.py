"""Corrections, decisions (one or in bulk) and possible duplicates: every POST that changes an application.

Each view checks the ``row_version`` its page was built from, commits once,
and on a conflict writes nothing and says so. After a POST the browser is
sent back (Post/Redirect/Get) with the queue's filters kept in ``queue``.
Each takes a role in the application's own campaign (``review.campaign_access``):
another city's application is a 404, a provincial reader's POST a 403.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from intake.core.config import CampaignSettings
from intake.core.labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from intake.core.models import Application
from notifier.staff_notices import notice_address
from review.campaign_access import may_act_in, readable_application, require_role
from review.corrections import CONFLICT_MESSAGE, Conflict, UnknownField, confirm_field, correct_field, \
    next_field_to_review
from review.decisions import ACTION_NAMES, BULK_ACTIONS, MAX_BULK, DecisionRefused, bulk_decide, decide, refusal
from review.duplicates import compare, keep_apart, last_keep_apart, merge, possible_duplicates, shared_facts
from review.queue_query import next_application_id
from review.request_scope import client_address, db, figures_cache, settings

blueprint = Blueprint("decisions", __name__)


@blueprint.after_request
def _counts_follow_decisions(response):
    # The queue's and the dashboard's counts are cached for a minute; a decision must show at once.
    if request.method == "POST":
        figures_cache().clear()
    return response

MAX_QUEUE_ARGS = 30  # query parameters carried back to the queue
MAX_LISTED = 20  # refusals listed one by one in a bulk summary


@blueprint.post("/applications/<int:app_id>/fields")
def correct(app_id: int):
    def save(application, campaign, key):
        return correct_field(
            db(), application, key, request.form.get("value", ""), username=g.user.username,
            expected_version=_int(request.form.get("row_version")), address=client_address(),
            required_fields=campaign.required_fields,
        )
    return _change_field(app_id, save)


@blueprint.post("/applications/<int:app_id>/confirm")
def confirm(app_id: int):
    def save(application, _campaign, key):
        return confirm_field(db(), application, key, username=g.user.username,
                             expected_version=_int(request.form.get("row_version")), address=client_address())
    return _change_field(app_id, save)


def _change_field(app_id: int, save):
    """Correct or confirm one field, commit, and go on to the next field that needs a look;
    a stale page or an unknown field changes nothing and says so."""
    (application, campaign), queue = _application_to_change(app_id), _queue_args()
    key = request.form.get("field", "")
    try:
        verdict = save(application, campaign, key)
        db().commit()
    except UnknownField as exc:
        db().rollback()
        flash(str(exc), "error")
        return _back(app_id, queue)
    except (Conflict, StaleDataError):
        db().rollback()
        flash(CONFLICT_MESSAGE, "error")
        return _back(app_id, queue, f"field-{key}")
    if not verdict.ok:
        flash(f"已保存“{verdict.label}”，但未通过校验：{verdict.text}（已标记为待核对；如确认无误，请点“确认”）。",
              "warning")
        return _back(app_id, queue, f"field-{key}")
    flash(f"已确认“{verdict.label}”。" if request.endpoint == "decisions.confirm"
          else f"已保存“{verdict.label}”：{verdict.text}。")
    following = next_field_to_review(application, key)
    return _back(app_id, queue, f"field-{following}" if following else "decision")


# Named apart from the service function ``decide``; the endpoint keeps the spec's name.
@blueprint.post("/applications/<int:app_id>/decide", endpoint="decide")
def decide_one(app_id: int):
    (application, campaign), queue = _application_to_change(app_id), _queue_args()
    action = request.form.get("action", "")
    # A button may override the form's hidden next=1 through its formaction (?next=0).
    go_next = request.args.get("next", request.form.get("next")) == "1"
    notify = action == "request_info" or request.form.get("notify") == "1"
    try:
        result = decide(
            db(), application, action, username=g.user.username, address=client_address(),
            expected_version=_int(request.form.get("row_version")), settings=settings(),
            reason=request.form.get("reason"), reason_text=request.form.get("reason_text"),
            fields=request.form.getlist("fields"), note=request.form.get("note"), notify=notify,
        )
        db().commit()
    except (Conflict, StaleDataError):
        db().rollback()
        flash(CONFLICT_MESSAGE, "error")
        return _back(app_id, queue, "decision")
    except DecisionRefused as exc:
        db().rollback()
        flash(str(exc), "error")
        return _back(app_id, queue, "decision")
    flash(f"{ACTION_NAMES[action]}：{result.reference} {result.name}" + _email_note(result, notify))
    if go_next and action in BULK_ACTIONS:
        following = next_application_id(db(), campaign.name, queue, app_id)
        if following is None:
            flash("队列已审完。")
            return redirect(_queue_url(queue))
        return redirect(url_for("detail.show", app_id=following, queue=queue or None))
    return _back(app_id, queue, "decision")



@blueprint.post("/applications/bulk")
def bulk():
    campaign = g.campaign  # the queue's: the one the boxes were ticked in
    require_role(campaign.name)
    queue = _queue_args()
    ids = _ids(request.form.getlist("ids"))
    action = request.form.get("action", "")
    reason, reason_text = request.form.get("reason") or "", request.form.get("reason_text") or ""
    if not ids:
        flash("请先在列表中勾选要处理的申请。", "warning")
        return redirect(_queue_url(queue))
    if action not in BULK_ACTIONS:
        flash("请选择批量操作：通过或不通过。", "warning")
        return redirect(_queue_url(queue))
    if len(ids) > MAX_BULK:
        flash(f"一次最多处理 {MAX_BULK} 份申请，请缩小选择范围。", "warning")
        return redirect(_queue_url(queue))
    if request.form.get("confirmed") != "1":
        applications = db().scalars(select(Application).where(
            Application.id.in_(ids), Application.campaign == campaign.name).order_by(Application.id))
        rows = [{"application": app,
                 "refusal": refusal(app, action, settings=settings(), reason=reason, reason_text=reason_text),
                 "address": notice_address(app)} for app in applications]
        return render_template("decisions/bulk_confirm.html", rows=rows, action=action,
                               action_name=ACTION_NAMES[action], reason=reason, reason_text=reason_text,
                               notify=request.form.get("notify") == "1", queue_args=queue,
                               status_labels=STATUS_LABELS)
    versions = {app_id: version for app_id in ids
                if (version := _int(request.form.get(f"version-{app_id}"))) is not None}
    notify = request.form.get("notify") == "1"
    try:
        results = bulk_decide(db(), ids, action, username=g.user.username, address=client_address(),
                              settings=settings(), campaign=campaign.name, expected_versions=versions, reason=reason,
                              reason_text=reason_text, notify=notify)
        db().commit()
    except StaleDataError:
        db().rollback()
        flash(CONFLICT_MESSAGE + "（本次批量操作未保存）", "error")
        return redirect(_queue_url(queue))
    except DecisionRefused as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(_queue_url(queue))
    _flash_bulk_summary(results, action, notify)
    return redirect(_queue_url(queue))


@blueprint.get("/applications/<int:app_id>/duplicates")
def duplicates(app_id: int):
    (application, campaign), queue = readable_application(app_id), _queue_args()
    pairs = [{"other": other, "shared": shared_facts(application, other), "rows": compare([application, other]),
              "kept_apart": last_keep_apart(db(), application, other)}
             for other in possible_duplicates(db(), application)]
    return render_template("decisions/duplicates.html", application=application, pairs=pairs, queue_args=queue,
                           status_labels=STATUS_LABELS, app_campaign=campaign, may_act=may_act_in(campaign.name))


@blueprint.post("/applications/<int:app_id>/merge", endpoint="merge")
def merge_pair(app_id: int):
    (application, _campaign), queue = _application_to_change(app_id), _queue_args()
    other, _ = _application_to_change(_int(request.form.get("other")) or 0)
    keep_this = request.form.get("keep") == "this"
    kept, dropped = (application, other) if keep_this else (other, application)
    versions = {application.id: _int(request.form.get("row_version")),
                other.id: _int(request.form.get("other_row_version"))}
    try:
        merge(db(), kept, dropped, username=g.user.username, address=client_address(),
              kept_version=versions[kept.id], dropped_version=versions[dropped.id])
        db().commit()
    except (Conflict, StaleDataError):
        db().rollback()
        flash(CONFLICT_MESSAGE, "error")
        return redirect(url_for("decisions.duplicates", app_id=app_id, queue=queue or None))
    except DecisionRefused as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(url_for("decisions.duplicates", app_id=app_id, queue=queue or None))
    flash(f"已合并：保留 {kept.reference}，{dropped.reference} 标为重复（不通过，可重新审核恢复）。")
    return redirect(url_for("decisions.duplicates", app_id=app_id, queue=queue or None))



@blueprint.post("/applications/<int:app_id>/keep-apart", endpoint="keep_apart")
def keep_pair_apart(app_id: int):
    (application, _campaign), queue = _application_to_change(app_id), _queue_args()
    other, _ = _application_to_change(_int(request.form.get("other")) or 0)
    try:
        keep_apart(db(), application, other, username=g.user.username, address=client_address(),
                   note=request.form.get("note"))
        db().commit()
    except DecisionRefused as exc:
        db().rollback()
        flash(str(exc), "error")
        return redirect(url_for("decisions.duplicates", app_id=app_id, queue=queue or None))
    flash(f"已记录：{application.reference} 与 {other.reference} 是不同的申请人。")
    return redirect(url_for("decisions.duplicates", app_id=app_id, queue=queue or None))




@blueprint.app_template_filter("decision_time")
def decision_time(value, tz=None) -> str:
    """A stored UTC time as staff read it: in ``tz`` (the application's campaign's time zone),
    else the current campaign's, to the minute."""
    return value.astimezone(tz or g.campaign.tz).strftime("%Y-%m-%d %H:%M") if value else ""


@blueprint.app_context_processor
def decision_context() -> dict:
    # The bulk controls are included by the queue page, which need not pass the reasons itself.
    return {"rejection_reasons": settings().web.rejection_reasons}


def _flash_bulk_summary(results, action: str, notify: bool) -> None:
    done = [r for r in results if r.ok]
    emailed = sum(1 for r in done if r.emailed)
    summary = f"批量{ACTION_NAMES[action]}：完成 {len(done)} 份"
    if notify:
        summary += f"，已发邮件 {emailed} 封"
        unmailed = len(done) - emailed
        if unmailed:
            summary += f"（{unmailed} 份没有可用邮箱，未发）"
    flash(summary + "。")
    failed = [r for r in results if not r.ok]
    if failed:
        listed = "；".join(f"{r.reference or r.application_id} {r.name}：{r.message}" for r in failed[:MAX_LISTED])
        more = f"；另有 {len(failed) - MAX_LISTED} 份" if len(failed) > MAX_LISTED else ""
        flash(f"{len(failed)} 份未处理——{listed}{more}", "error")


def _email_note(result, notify: bool) -> str:
    if result.emailed:
        return "（已发邮件通知申请人）"
    if notify and result.email_problem:
        return f"（{result.email_problem}）"
    return ""


def _application_to_change(app_id: int) -> tuple[Application, CampaignSettings]:
    """404 unless the person may read it, then 403 unless they hold a role in its campaign."""
    application, campaign = readable_application(app_id)
    require_role(campaign.name)
    return application, campaign


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(number for value in values if (number := _int(value)) is not None))


def _queue_args() -> str:
    """The queue's query string, re-encoded (only name=value pairs survive) so it is safe to send back."""
    raw = request.values.get("queue", "")
    return urlencode(parse_qsl(raw, keep_blank_values=False)[:MAX_QUEUE_ARGS])


def _queue_url(queue: str) -> str:
    return url_for("queue.index") + (f"?{queue}" if queue else "")


def _back(app_id: int, queue: str, anchor: str | None = None):
    return redirect(url_for("detail.show", app_id=app_id, queue=queue or None, _anchor=anchor))
