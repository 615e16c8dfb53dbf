"""(to be written)"""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("detail", __name__)
