"""Two pages for machines, not staff: ``/healthz`` and ``/metrics``.

- ``/healthz``: 200 ``{"status": "ok", "database": "ok"}`` when the database
  answers a query on our schema; 503 with the reason in Chinese otherwise
  (for a load balancer, a container's health check or a service manager).
- ``/metrics``: the Prometheus text format (``intake.core.metrics``),
  counted from the database at each scrape, so it covers every worker.

Neither needs a sign-in and neither shows anything about a person. The
figures are still not for the public, so ``/metrics`` answers only a
scraper on this machine: a request from any address but loopback, or one
that a reverse proxy passed on (it names the original client in a
``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP`` header), is refused with 403.
"""
from __future__ import annotations

import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request
from prometheus_client.registry import CollectorRegistry
from sqlalchemy.exc import SQLAlchemyError

from intake.core.metrics import CONTENT_TYPE_LATEST, metrics_registry, metrics_text
from intake.core.operations import database_answers
from notifier.send_limits import HOLD_NOTE
from review.request_scope import db, settings

blueprint = Blueprint("health", __name__)

REGISTRY_KEY = "intake.metrics_registry"
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


@blueprint.route("/healthz")
def healthz():
    try:
        database_answers(db())
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", database=f"数据库无法访问（{type(exc).__name__}），请检查数据库服务与配置。"), 503
    return jsonify(status="ok", database="ok")


@blueprint.route("/metrics")
def metrics():
    if not _from_this_machine():
        abort(403)
    return Response(metrics_text(_registry()), mimetype=CONTENT_TYPE_LATEST)


def _from_this_machine() -> bool:
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _registry() -> CollectorRegistry:
    """One per app (two apps in one process must not share figures), built on first scrape."""
    extensions = current_app.extensions
    if REGISTRY_KEY not in extensions:
        extensions[REGISTRY_KEY] = metrics_registry(
            extensions["intake"]["session_factory"], campaigns=[c.name for c in settings().campaigns], held_note=HOLD_NOTE)
    return extensions[REGISTRY_KEY]
