"""Single estimates of one worker's threads, valued together.

A worker's threads answer their requests at once, but the estimates are CPU work under
one GIL: valued one by one, each home pays alone the fixed cost of a call (tree queries,
arrays, the booster's set-up). Here a request queues its home and waits for the process's
one valuation slot; whoever holds the slot takes every home queued (the oldest first, at
most `MAX_COALESCED`) and values them in one `Estimator.estimate_each` call. A home's
answer is the one it gets alone (`estimate_each` is exact per home), and when a call fails
its homes are valued again one by one, so that one home's fault fails its own request
only. A request that finds the slot free is valued at once: it never waits for company.

    estimate = get_coalescer().estimate(estimator, prop, explain=True)
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from flask import current_app

from model.estimator import Estimate, Estimator, OutsideCoverage
from model.property import Property

# Homes valued in one call: beyond ≈ 16 the cost per home stops falling (measured on the
# full model: 1.7 ms unexplained alone, 1.1 at 4, 0.6 at 12-16), and a request queued
# behind a full call waits for all of it.
MAX_COALESCED = 16


@dataclass(eq=False)
class _Ticket:
    """One request's home, then its answer."""

    estimator: Estimator
    prop: Property
    explain: bool
    comparables: int
    result: Estimate | OutsideCoverage | None = None
    error: BaseException | None = None
    done: bool = False
    # The tickets valued in the same call (this one included): how many were coalesced.
    valued_with: int = 0

    @property
    def call(self) -> tuple:
        """Tickets with the same call are valued together."""
        return (id(self.estimator), self.explain, self.comparables)


class Coalescer:
    """The valuation slot of one process and the homes queued for it."""

    def __init__(self, max_homes: int = MAX_COALESCED):
        self.max_homes = max_homes
        self._queue: list[_Ticket] = []
        self._queue_lock = threading.Lock()
        self._slot = threading.Lock()

    def estimate(
        self, estimator: Estimator, prop: Property, *, explain: bool = True, comparables: int = 10
    ) -> Estimate:
        """What `estimator.estimate(prop, …)` answers; raises `OutsideCoverage`."""
        ticket = self.value(estimator, prop, explain=explain, comparables=comparables)
        if isinstance(ticket.result, OutsideCoverage):
            raise ticket.result
        return ticket.result

    def value(self, estimator: Estimator, prop: Property, *, explain: bool, comparables: int):
        """The ticket of `prop`, valued (alone or with the homes queued beside it)."""
        ticket = _Ticket(estimator, prop, explain, comparables)
        with self._queue_lock:
            self._queue.append(ticket)
        with self._slot:
            # Another thread may have valued it while this one waited for the slot.
            while not ticket.done:
                with self._queue_lock:
                    taken = self._queue[: self.max_homes]
                    del self._queue[: self.max_homes]
                _value(taken, leader=ticket)
        if ticket.error is not None:
            raise ticket.error
        return ticket


def _value(tickets: list[_Ticket], leader: _Ticket) -> None:
    """Value `tickets`, one call per estimator and options; every ticket ends done (the
    threads waiting for them would otherwise wait for ever)."""
    calls: dict[tuple, list[_Ticket]] = {}
    for ticket in tickets:
        calls.setdefault(ticket.call, []).append(ticket)
    try:
        for group in calls.values():
            _value_group(group)
    except BaseException as exc:  # the process is stopping (errors are kept per ticket)
        for ticket in tickets:
            if not ticket.done:
                ticket.error = exc if ticket is leader else _interrupted(exc)
                ticket.done = True
        raise


def _value_group(group: list[_Ticket]) -> None:
    """One call for the group; when it fails, each home valued alone, so that one home's
    fault fails its own request only, not those queued beside it."""
    first = group[0]
    try:
        results = first.estimator.estimate_each(
            [t.prop for t in group], explain=first.explain, comparables=first.comparables
        )
    except Exception as exc:
        if len(group) == 1:
            first.error, first.done, first.valued_with = exc, True, 1
            return
        for ticket in group:
            _value_group([ticket])
        return
    for ticket, result in zip(group, results, strict=True):
        ticket.result, ticket.done, ticket.valued_with = result, True, len(group)


class CoalescedFailure(RuntimeError):
    """The valuation of this home was interrupted in another thread (its cause chained)."""


def _interrupted(exc: BaseException) -> CoalescedFailure:
    failure = CoalescedFailure(f"the valuation of the homes queued together stopped: {exc!r}")
    failure.__cause__ = exc
    return failure


def get_coalescer() -> Coalescer:
    """The current app's coalescer, one per process (a forked worker starts its own: a
    lock copied by the fork would be in the state another process left it)."""
    pid, coalescer = current_app.extensions.get("immoval.coalescer", (None, None))
    if pid != os.getpid():
        # Two first requests racing here may each make one: each is valued by its own
        # coalescer's slot, and the last one made serves the rest.
        coalescer = Coalescer()
        current_app.extensions["immoval.coalescer"] = (os.getpid(), coalescer)
    return coalescer
