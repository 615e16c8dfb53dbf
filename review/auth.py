"""Signing in and out, and the signed-in user of each request (what they may do in which
campaign: ``review.campaign_access``).

The session cookie holds the user's id and the account's ``session_version``;
disabling an account or changing its password bumps that number, so every
session it had stops at its next request. Failed logins are throttled per
account and per address, counted from the audit log.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from intake.core.models import AuditEntry
from intake.core.staff_models import StaffUser
from review import audit
from review.accounts import authenticate
from review.request_scope import client_address, db, settings

blueprint = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "health.healthz", "health.metrics"}  # metrics: loopback only (views/health)
ADDRESS_ATTEMPTS_FACTOR = 4  # an office behind one address has several people


def load_user():
    """Runs before every request: who is signed in; anyone else goes to the login page."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = db().get(StaffUser, user_id)
        if user is not None and user.active and user.session_version == session.get("session_version"):
            g.user = user
        else:
            session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target))
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    address = client_address()
    if _too_many_failures(username, address):
        audit.record(db(), "login_failed", username=username or "?", address=address, details={"throttled": True})
        db().commit()
        flash(f"登录失败次数过多，请 {settings().web.login_window_minutes:g} 分钟后再试。", "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 429
    user = authenticate(db(), username, password)
    if user is None:
        audit.record(db(), "login_failed", username=username or "?", address=address)
        db().commit()
        flash("用户名或密码不正确。", "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    session.clear()
    session.permanent = True
    session["user_id"], session["session_version"] = user.id, user.session_version
    user.last_login_at = datetime.now(timezone.utc)
    audit.record(db(), "login", username=user.username, address=address)
    db().commit()
    return redirect(safe_next(request.form.get("next", "")))


@blueprint.route("/logout", methods=["POST"])
def logout():
    audit.record(db(), "logout", username=g.user.username, address=client_address())
    db().commit()
    session.clear()
    return redirect(url_for("auth.login"))


def _too_many_failures(username: str, address: str) -> bool:
    web = settings().web
    since = datetime.now(timezone.utc) - timedelta(minutes=web.login_window_minutes)

    def failures(*condition) -> int:
        return db().scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "login_failed", AuditEntry.at >= since, *condition)) or 0

    return (failures(AuditEntry.username == username) >= web.login_attempts
            or failures(AuditEntry.address == address) >= web.login_attempts * ADDRESS_ATTEMPTS_FACTOR)


def safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to another host."""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return url_for("queue.index")
