"""(to be written)"""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("decisions", __name__)
