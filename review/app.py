"""The staff review web app: ``create_app(settings, session_factory)``.

Stands on ``intake.core`` (settings, sessions, models, statuses, masking) and
``notifier`` (the replies a decision sends); it never imports the worker.
Every page is behind a login, every state-changing request carries a CSRF
token (Flask-WTF), and every response carries a strict Content-Security-Policy:
scripts and styles come only from the app itself, never from a CDN.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from intake.core.config import ConfigError, Settings
from intake.core.labels import field_label, reason_label, status_label
from review import auth, campaign_access
from review.request_scope import close_session
from review.views import BLUEPRINTS, health

PROVINCE_TITLE = "中小企业志愿服务专家报名"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def create_app(settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    """A Flask app bound to these settings and this database; nothing global."""
    app = Flask(__name__)
    app.extensions["intake"] = {"settings": settings, "session_factory": session_factory}
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="intake_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # forms only; nothing is uploaded
        JSON_AS_ASCII=False,
    )
    CSRFProtect(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(campaign_access.blueprint)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_blueprint(health.blueprint)  # /healthz and /metrics, for machines (no sign-in)
    app.before_request(auth.load_user)
    app.before_request(campaign_access.choose_campaign)
    app.teardown_appcontext(close_session)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.context_processor(lambda: _campaign_context(settings))
    # One table of Chinese names for every status, reason and field (intake.core.labels).
    app.jinja_env.globals.update(status_label=status_label, reason_label=reason_label, field_label=field_label)
    for code, message in ((403, "没有权限执行此操作。"), (404, "页面不存在。")):
        app.register_error_handler(code, _error_page(code, message))
    return app


def _campaign_context(settings: Settings) -> dict:
    # Before sign-in (or with no campaign to read) a one-centre deployment still shows its title.
    current = g.get("campaign")
    if current is not None:
        title = current.title
    else:
        title = settings.campaigns[0].title if len(settings.campaigns) == 1 else PROVINCE_TITLE
    return {"campaign_title": title, "switch_target": campaign_access.switch_target}


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_error(error):
    return render_template("error.html", code=400, message="页面已过期或请求无效（CSRF 校验失败），请刷新后重试。"), 400


def _error_page(code: int, message: str):
    def handler(_error):
        return render_template("error.html", code=code, message=message), code
    return handler


def _secret_key(settings: Settings) -> str:
    if settings.web.secret_key_env:
        value = os.environ.get(settings.web.secret_key_env)
        if not value:
            raise ConfigError(f"web.secret_key_env: 环境变量 {settings.web.secret_key_env} 未设置。")
        return value
    path = Path(settings.storage.path) / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process wrote it first
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()
