"""导出 (to be written)."""
from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("exports", __name__)


@blueprint.route("/exports")
def index():
    return render_template("base.html")
