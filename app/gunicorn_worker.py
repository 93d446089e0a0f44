"""The gunicorn worker of the Procfile: gthread, with keep-alive connections that spread
over the workers.

A keep-alive connection stays with the worker that accepted it. A client that opens its
connections at once (an agent's pool, a proxy's upstream pool, wrk) is often accepted
by a single worker, whose GIL then caps the whole service at one core while the other
workers idle: 50 connections on one of 3 workers gave 120–140 estimates/s instead of
≈ 230 (`benchmarks/api.py`). So a worker whose threads are all busy, with as many
requests again waiting behind them, answers "Connection: close": the client reconnects,
and a worker with a free thread (its main loop is not waiting for the GIL) is the
likelier to accept. Not sooner: each close costs a reconnection, and closing as soon as
one request waited cost ≈ 6 % of the explained estimates' throughput.
"""

from __future__ import annotations

from gunicorn.workers.gthread import ThreadWorker


class BalancedThreadWorker(ThreadWorker):
    """`ThreadWorker` that keeps no connection alive while a thread's worth of requests
    or more queue in it."""

    # gthread closes a response's connection when `len(keepalived_conns) >=
    # max_keepalived` (its keep-alive capacity); that capacity reads as 0 while busy.
    @property
    def max_keepalived(self) -> int:
        return 0 if self.queued_requests() >= self.cfg.threads else self._max_keepalived

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:
        self._max_keepalived = value

    def queued_requests(self) -> int:
        """Requests of this worker beyond its threads (read without a lock: a hint)."""
        idle = len(self.keepalived_conns) + len(self.pending_conns)
        return self.nr_conns - idle - self.cfg.threads
