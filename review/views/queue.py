"""The queue (home page)."""
from __future__ import annotations

from flask import Blueprint, render_template

blueprint = Blueprint("queue", __name__)


@blueprint.route("/")
def index():
    return render_template("base.html")
