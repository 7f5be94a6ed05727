"""One reading of a model server's ``/metrics`` (Prometheus' text format), summed per served
version and route: the counters a dashboard turns into rates between two readings.

Read with prometheus_client's own parser; nothing is kept between readings (the lab polls
and keeps the history it draws)."""

from __future__ import annotations

import time
import urllib.request
from collections import defaultdict
from typing import Any

PREFIX = "mlmom_"


def scrape(url: str, timeout: float = 2.0) -> dict[str, Any]:
    """The counters of the server at ``url``: per (version, route) requests, errors and the
    latency histogram's cumulative buckets; shadow answers agreeing or not; errors before
    routing; requests in flight. Raises OSError when the server does not answer."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=timeout) as answer:
        text = answer.read().decode("utf-8")
    return {"at": time.time(), **read_metrics(text)}


def read_metrics(text: str) -> dict[str, Any]:
    """:func:`scrape`'s reading of an exposition text."""
    from prometheus_client.parser import text_string_to_metric_families

    routes: dict[tuple[str, str], dict[str, Any]] = defaultdict(_route)
    shadow: dict[str, dict[str, float]] = defaultdict(lambda: {"agree": 0.0, "disagree": 0.0})
    unrouted_errors, in_flight = 0.0, 0.0
    for family in text_string_to_metric_families(text):
        for name, labels, value, *_ in family.samples:
            if not name.startswith(PREFIX):
                continue
            key = (labels.get("version", ""), labels.get("route", ""))
            if name == "mlmom_requests_total":
                routes[key]["requests"] += value
            elif name == "mlmom_request_errors_total":
                if key == ("", ""):
                    unrouted_errors += value
                else:
                    routes[key]["errors"] += value
            elif name == "mlmom_request_duration_seconds_bucket":
                buckets = routes[key]["buckets"]
                buckets[labels["le"]] = buckets.get(labels["le"], 0.0) + value
            elif name == "mlmom_shadow_predictions_total":
                shadow[key[0]][labels.get("result", "agree")] += value
            elif name == "mlmom_requests_in_flight":
                in_flight += value
    return {
        "routes": [
            {"version": v, "route": r, **_sorted_buckets(counts)}
            for (v, r), counts in sorted(routes.items())
        ],
        "shadow": [{"version": v, **counts} for v, counts in sorted(shadow.items())],
        "unrouted_errors": unrouted_errors,
        "in_flight": in_flight,
    }


def _route() -> dict[str, Any]:
    return {"requests": 0.0, "errors": 0.0, "buckets": {}}


def _sorted_buckets(counts: dict[str, Any]) -> dict[str, Any]:
    """The buckets as ``[[upper bound, cumulative count], ...]``, +Inf last (as null: JSON
    has no infinity)."""
    bounds = sorted(counts["buckets"].items(), key=lambda kv: float(kv[0]))
    return {
        **counts,
        "buckets": [[None if le == "+Inf" else float(le), n] for le, n in bounds],
    }
