"""Which campaigns the signed-in person reads and acts in, and the campaign each request works in.

A city's staff hold a role, reviewer or admin, in their own campaign (``StaffUser.grants``); a
provincial account reads every configured campaign and acts only where it also holds a grant.

- ``g.campaign``: the campaign the queue, dashboard, exports and audit log show, one of those
  the person may read (``g.readable``), kept in the session and switched in the header; the
  first readable one until switched. ``g.role``: their role in it (None: a provincial reader).
- An application (or an attachment, a failed mail, a reply) of a campaign the person may not
  read is a 404: another city's application is not even confirmed to exist. Read, it is shown in
  its own campaign (its required fields, deadline and time zone), whatever ``g.campaign`` is.
- Changing it takes a role in its campaign (``require_role``): a provincial reader without one
  sees it read-only and gets 403 on a POST.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from sqlalchemy import or_, select

from intake.core.config import CampaignSettings, Settings
from intake.core.models import Application, Attachment, Message
from intake.core.staff_models import StaffUser
from intake.core.statuses import StaffRole
from review.auth import PUBLIC_ENDPOINTS, safe_next
from review.request_scope import db, settings

blueprint = Blueprint("campaigns", __name__)

SESSION_KEY = "campaign"
# Without a readable campaign a person may still sign out.
NEEDS_NO_CAMPAIGN = PUBLIC_ENDPOINTS | {"auth.logout"}
# The pages that show the current campaign: a switch made on one stays on it.
CAMPAIGN_PAGES = ("queue.index", "dashboard.index", "exports.index", "audit_log.index")


def readable_campaigns(user: StaffUser, configured: Settings) -> list[CampaignSettings]:
    return [campaign for campaign in configured.campaigns if user.may_read(campaign.name)]


def choose_campaign():
    """Runs after ``auth.load_user``: the campaign this request works in; a person who may read
    none of the configured campaigns gets a page that says so."""
    g.campaign, g.role, g.readable = None, None, []
    user = g.get("user")
    if user is None:
        return None
    g.readable = readable_campaigns(user, settings())
    if not g.readable:
        if request.endpoint in NEEDS_NO_CAMPAIGN:
            return None
        return render_template("no_campaign.html"), 403
    wanted = session.get(SESSION_KEY)
    g.campaign = next((campaign for campaign in g.readable if campaign.name == wanted), g.readable[0])
    g.role = user.role_in(g.campaign.name)
    return None


@blueprint.post("/campaign")
def switch():
    wanted = request.form.get("campaign", "")
    chosen = next((campaign for campaign in g.readable if campaign.name == wanted), None)
    if chosen is None:
        abort(404)
    session[SESSION_KEY] = chosen.name
    return redirect(safe_next(request.form.get("next", "")))


def switch_target() -> str:
    """Where the switcher returns to: the same list in the other campaign, else its queue."""
    return url_for(request.endpoint) if request.endpoint in CAMPAIGN_PAGES else url_for("queue.index")


# ---- who may do what ------------------------------------------------------------------------------

def role_in(campaign_name: str) -> StaffRole | None:
    user = g.get("user")
    return user.role_in(campaign_name) if user is not None else None


def may_act_in(campaign_name: str) -> bool:
    return role_in(campaign_name) is not None


def is_admin_in(campaign_name: str) -> bool:
    return role_in(campaign_name) == StaffRole.ADMIN


def require_role(campaign_name: str, *, admin: bool = False) -> None:
    """403 unless the person holds a role in this campaign (the admin role, when ``admin``)."""
    if not (is_admin_in(campaign_name) if admin else may_act_in(campaign_name)):
        abort(403)


def is_provincial() -> bool:
    user = g.get("user")
    return user is not None and user.provincial


def readable(campaign_name: str | None) -> CampaignSettings | None:
    """The campaign of this name, if it is configured and the person may read it."""
    return next((campaign for campaign in g.get("readable", []) if campaign.name == campaign_name), None)


# ---- the rows a route names by id ------------------------------------------------------------------

def readable_application(app_id: int, *options) -> tuple[Application, CampaignSettings]:
    """The application and its own campaign; 404 if either is missing or not the person's to read."""
    application = db().get(Application, app_id, options=list(options))
    campaign = readable(application.campaign) if application is not None else None
    if campaign is None:
        abort(404)
    return application, campaign


def readable_attachment(attachment_id: int) -> tuple[Attachment, CampaignSettings]:
    """The attachment and the campaign of the mail it came in; 404 as for an application."""
    attachment = db().get(Attachment, attachment_id)
    if attachment is None:
        abort(404)
    campaign = next(filter(None, map(readable, _campaigns_of(attachment))), None)
    if campaign is None:
        abort(404)
    return attachment, campaign


def _campaigns_of(attachment: Attachment) -> list[str]:
    message = db().get(Message, attachment.message_id)
    if message is not None and message.campaign is not None:
        return [message.campaign]
    # Mail stored before messages named their campaign: that of the applications read from it.
    return list(db().scalars(select(Application.campaign).distinct().where(
        or_(Application.message_id == attachment.message_id, Application.attachment_id == attachment.id))))
