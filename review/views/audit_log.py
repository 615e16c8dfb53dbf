"""审计日志 (to be written)."""
from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("audit_log", __name__)


@blueprint.route("/audit")
def index():
    return render_template("base.html")
