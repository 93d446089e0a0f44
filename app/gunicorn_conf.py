"""Gunicorn settings for the Procfile: `gunicorn -c app/gunicorn_conf.py 'app:create_app()'`.

Environment: PORT (default 8000), WEB_CONCURRENCY (workers), IMMOVAL_THREADS,
IMMOVAL_TIMEOUT. The champion bundle is loaded once in the master (`preload_app`)
and shared by the forked workers; each worker then follows the champion pointer by
itself (see app/model_store.py).
"""

from __future__ import annotations

import os
import sys

# One OpenMP thread per worker: the workers already share out the cores, and LightGBM's
# thread start-up costs more than a one-row prediction (measured: 40 ms -> 24 ms per
# estimate on a busy 2-core machine). Set before the app, hence LightGBM, is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

# Estimates are CPU-bound (LightGBM, neighbour search): one process per core, plus
# one so that a core is not idle while a worker waits on the database or geocoder.
# Threads cover the waits on the BAN geocoder without another copy of the model, and
# the more requests a worker holds at once the more homes it values in one call
# (app/coalescing.py): 8 threads gave +23-27 % estimates/s over 4 (benchmarks/api.py,
# single runs; coalescing itself, at 8 threads, +30-40 %).
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", (_cores or 1) + 1))
# gthread, with keep-alive connections spread over the workers (see app/gunicorn_worker.py).
worker_class = "app.gunicorn_worker.BalancedThreadWorker"
threads = int(os.environ.get("IMMOVAL_THREADS", 8))
preload_app = True
timeout = int(os.environ.get("IMMOVAL_TIMEOUT", 30))  # a batch of 1000 takes < 1 s
graceful_timeout = 30  # in-flight requests finish on restart/shutdown
keepalive = 5
backlog = 2048
max_requests = 0  # a worker keeps its model in memory: do not recycle it for nothing
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The runtime control socket is not used, and its default path is shared by every
# gunicorn of the user: two instances on one host (tests, a benchmark) would collide.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("IMMOVAL_LOG_LEVEL", "info")
# No query string and no body: addresses and coordinates stay out of the logs; nor in
# the error log, where gunicorn would echo a malformed request (see app/security_logs.py).
logger_class = "app.security_logs.PrivateLogger"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'


def on_starting(server):
    """In the master, after the app is imported: load the champion before forking.

    Before the port is bound, too: until the model is loaded, clients and health checks
    are refused at once instead of waiting on a socket nobody answers yet.
    """
    from app.geocoding import preload as preload_geocoder
    from app.memory import settle_long_lived
    from app.model_store import preload

    _app_logs_to(server)
    flask_app = server.app.wsgi()
    version = preload(flask_app)
    server.log.info("champion model preloaded: %s", version)
    # The offline address index too, so that no first request pays for loading it.
    if preload_geocoder(flask_app):
        server.log.info("offline address index preloaded")
    # Out of the garbage collector's full passes (they stopped workers for 0.25-0.5 s),
    # here and after each model switch in a worker (see app/memory.py).
    store = flask_app.extensions["immoval.models"]
    store.after_swap = settle_long_lived
    server.log.info("%d objects frozen before the fork", settle_long_lived())


def _app_logs_to(server):
    """The app's log lines (model switches and refusals) go where gunicorn's own go."""
    import logging

    for name in ("app", "model"):
        logger = logging.getLogger(name)
        logger.handlers = list(server.log.error_log.handlers)
        logger.setLevel(server.log.error_log.level)
        logger.propagate = False


# How long a worker's thread may hold the GIL while another asks for it. Python's 5 ms
# default lets one estimate's Python work keep a thread that has a response to send or a
# request to read waiting; at 1 ms every kind of request was answered faster at saturation
# (benchmarks/api.py, same machine, medians of 2 runs against 4: /health 1,070 against
# 840 req/s, plain estimates 286 against 253, explained 122 against 109).
SWITCH_INTERVAL_SECONDS = 0.001


def post_fork(server, worker):
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    server.log.info("worker %s ready", worker.pid)


def worker_exit(server, worker):
    """Write the last usage records of a worker that stops."""
    try:
        flask_app = server.app.wsgi()
        usage = flask_app.extensions.get("immoval.usage")
        if usage is not None:
            usage.flush()
    except Exception:  # never block a shutdown on metering
        server.log.exception("could not flush the usage log")
