"""Who may call the API and how often, and the usage log of every call."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Flask, current_app, g, request

from app import db
from app.apikeys import KeyCache, KeyStoreUnavailable
from app.errors import error_response
from app.ratelimit import InFlight, RateLimiter, get_limiter, prune, too_many_requests
from app.usage import Outcome, UsageLog, UsageRecord

RATE_WINDOWS_KEPT_SECONDS = 86_400  # windows older than a day are deleted hourly

# Endpoints anyone may call: load balancers and API clients discovering the spec.
PUBLIC_ENDPOINTS = frozenset({"api.health", "api.openapi"})


def init_app(app: Flask) -> None:
    """The database, the key cache and the usage log of this app (settings: settings.py)."""
    db.init_app(app)
    database = app.extensions["immoval.db"]
    app.extensions["immoval.limiter"] = RateLimiter(database)
    app.extensions["immoval.in_flight"] = InFlight(int(app.config["API_KEY_CONCURRENCY"]))
    app.extensions["immoval.keys"] = KeyCache(float(app.config["API_KEY_CACHE_SECONDS"]))
    app.extensions["immoval.usage"] = UsageLog(
        database,
        float(app.config["USAGE_FLUSH_SECONDS"]),
        housekeeping=lambda: prune(database, older_than=RATE_WINDOWS_KEPT_SECONDS),
    )


def usage_log() -> UsageLog:
    return current_app.extensions["immoval.usage"]


def authenticate():
    """Before each API request: check the key and count it against its limit."""
    g.started = time.perf_counter()
    g.api_key = None
    g.rate = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    try:
        record = current_app.extensions["immoval.keys"].lookup(db.get_db(), key.strip())
    except KeyStoreUnavailable as exc:
        response, status = error_response(503, f"{exc}: retry in 5 s", retry_after=5)
        response.headers["Retry-After"] = "5"
        return response, status
    if record is None:
        return _unauthorized("unknown API key")
    if record.revoked:
        return _unauthorized("this API key has been revoked")
    g.api_key = record
    in_flight = current_app.extensions["immoval.in_flight"]
    if not in_flight.enter(f"key:{record.id}"):
        message = (
            f"too many requests at once for this key (at most {in_flight.limit} per server "
            "process): wait for an answer before sending more"
        )
        return too_many_requests(1, message)
    g.in_flight = f"key:{record.id}"
    return charge(1)


def release(_exc=None) -> None:
    """After each API request, whatever happened: give back its in-flight place."""
    bucket = g.pop("in_flight", None)
    if bucket is not None:
        current_app.extensions["immoval.in_flight"].leave(bucket)


def charge(cost: int):
    """Count `cost` more requests against the key's limit; a 429 answer when they do not fit.

    Every request costs 1 before its body is read; a batch then costs its other items.
    """
    record = g.api_key
    limit = record.rate_limit or int(current_app.config["API_RATE_LIMIT"])
    window = int(current_app.config["API_RATE_WINDOW"])
    if cost <= 0:
        return None
    g.rate = get_limiter().hit(f"key:{record.id}", limit, window, cost=cost)
    if g.rate.allowed:
        return None
    if cost + 1 > limit and request.endpoint == "api.create_estimate_batch":
        message = (
            f"a batch costs its number of items: {cost + 1} is more than this key's limit of "
            f"{limit} per {window} s; send at most {limit} items per batch"
        )
        return too_many_requests(g.rate.retry_after, message)
    return too_many_requests(g.rate.retry_after)


def _unauthorized(message: str):
    response, status = error_response(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="immoval"'
    return response, status


def outcome() -> Outcome:
    """The current request's outcome, noted by the views for its usage record."""
    if "outcome" not in g:
        g.outcome = Outcome()
    return g.outcome


def meter(response):
    """After each API request: rate headers, the model version, one usage record."""
    rate = g.get("rate")
    if rate is not None:
        response.headers["X-RateLimit-Limit"] = str(rate.limit)
        response.headers["X-RateLimit-Remaining"] = str(rate.remaining)
        response.headers["X-RateLimit-Reset"] = str(rate.reset_after)
    version = g.get("model_version")
    if version:
        response.headers["X-Model-Version"] = version
    if request.endpoint not in PUBLIC_ENDPOINTS and "started" in g:
        key = g.get("api_key")
        usage_log().record(
            UsageRecord(
                at=datetime.now(UTC),
                key_id=key.id if key else None,
                endpoint=request.url_rule.rule if request.url_rule else "unknown",
                method=request.method,
                status=response.status_code,
                latency_ms=(time.perf_counter() - g.started) * 1000,
                model_version=version,
                item_count=g.get("items", 1),
                **outcome().columns(response.status_code),
            )
        )
    return response
