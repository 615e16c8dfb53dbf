"""The app's pages, one blueprint per screen."""
from __future__ import annotations

from review.views import audit_log, dashboard, decisions, detail, exports, queue

BLUEPRINTS = (queue.blueprint, detail.blueprint, decisions.blueprint, dashboard.blueprint, exports.blueprint,
              audit_log.blueprint)
