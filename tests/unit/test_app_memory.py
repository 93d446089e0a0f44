"""A served process's long-lived objects are kept out of the garbage collector's passes,
and what was frozen and then dropped (an old model's cycles) is freed at the next settle."""

from __future__ import annotations

import gc
import weakref

from app.memory import settle_long_lived


class _Model:
    """Stands for a loaded bundle: structures that refer to each other."""

    def __init__(self):
        self.tables = {"index": self, "rows": list(range(1000))}


def test_a_model_frozen_then_dropped_is_freed_at_the_next_settle():
    model = _Model()
    freed = []
    weakref.finalize(model, freed.append, "old model")
    try:
        assert settle_long_lived() > 0
        assert not any(o is model for o in gc.get_objects())  # out of every generation
        del model  # a switch: the old model is no longer referenced but for its own cycle
        gc.collect()
        assert freed == []  # a frozen cycle is not collected by the collector's passes ...
        settle_long_lived()
        assert freed == ["old model"]  # ... but by the next settle, which unfreezes first
    finally:
        gc.unfreeze()


def test_objects_created_after_a_settle_are_collected_as_usual():
    try:
        settle_long_lived()
        model = _Model()
        freed = []
        weakref.finalize(model, freed.append, "request garbage")
        del model
        gc.collect()
        assert freed == ["request garbage"]
    finally:
        gc.unfreeze()
