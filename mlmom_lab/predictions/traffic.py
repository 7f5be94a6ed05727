"""Live traffic of a deployment, read from the prediction log: what the Deployments panel shows.

The log holds every request with its time and latency, whichever worker (or host) served it,
so one query gives the rate and latency percentiles of the last minute per version and route,
where scraping ``/metrics`` would need two samples and every worker's port.
"""

from __future__ import annotations

import time
from typing import Any


def recent_traffic(uri: str, seconds: float = 60.0, now: float | None = None) -> dict[str, Any]:
    """Requests per second and latency (p50, p90, p99 in ms) over the last ``seconds``,
    overall and per (version, route), plus the errors logged in that span."""
    import numpy as np
    import sqlalchemy as sa

    from .database import engine, tables

    now = time.time() if now is None else now
    since = now - seconds
    log = tables()
    with engine(uri).connect() as conn:
        rows = conn.execute(
            sa.select(
                log["predictions"].c.version,
                log["predictions"].c.route,
                log["predictions"].c.latency_ms,
            ).where(log["predictions"].c.ts >= since)
        ).all()
        errors = conn.execute(
            sa.select(sa.func.count()).select_from(log["errors"]).where(log["errors"].c.ts >= since)
        ).scalar_one()
    groups: dict[tuple[str, str], list[float]] = {}
    for version, route, latency in rows:
        groups.setdefault((version, route), []).append(latency)

    def summary(latencies: list[float]) -> dict[str, Any]:
        ms = np.percentile(latencies, [50, 90, 99]).round(3).tolist() if latencies else [None] * 3
        return {
            "requests": len(latencies),
            "per_second": round(len(latencies) / seconds, 3),
            "p50_ms": ms[0],
            "p90_ms": ms[1],
            "p99_ms": ms[2],
        }

    return {
        "seconds": seconds,
        "errors": errors,
        **summary([r[2] for r in rows]),
        "routes": [
            {"version": v, "route": r, **summary(lat)} for (v, r), lat in sorted(groups.items())
        ],
    }
