"""概览 (to be written)."""
from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/dashboard")
def index():
    return render_template("base.html")
