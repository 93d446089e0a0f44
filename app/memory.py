"""What a served process has loaded, kept out of Python's cyclic garbage collector.

A full collection walks every tracked object. With a model and the address index loaded
(≈ 290,000 objects) it stopped a gunicorn worker for 240-520 ms, several times a minute
under load, and every request in flight in that worker waited (benchmarks/api.py with
gc callbacks: six such pauses in 75 s over 3 workers). Frozen objects are skipped by the
collector, and a frozen page is not written by it: the master's model stays shared by the
forked workers. Frozen objects are still freed by reference counting; only their
reference cycles wait for the next `settle_long_lived`, which first collects them.
"""

from __future__ import annotations

import gc


def settle_long_lived() -> int:
    """Collect what earlier calls froze and is now garbage (an old model's cycles), then
    freeze everything alive; how many objects are frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
