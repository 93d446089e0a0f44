"""Progress of a fetch: tqdm bars on a terminal, one plain line per file otherwise."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from contextlib import contextmanager

from tqdm import tqdm


def human_size(size: int) -> str:
    """1234567 -> '1.2 MB'."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


class Progress:
    """Reports each file as it is fetched; bars only when stderr is a terminal."""

    def __init__(
        self, total: int, bars: bool | None = None, echo: Callable[[str], None] | None = None
    ):
        self.total = total
        # The command passes click.echo; flushed lines keep their order with stderr's.
        self.echo = echo or functools.partial(print, flush=True)
        self.index = 0
        self.bars = sys.stderr.isatty() if bars is None else bars
        self.overall = tqdm(
            total=total, unit="file", desc="immoval fetch", disable=not self.bars, position=0
        )

    @contextmanager
    def file(self, title: str, size: int | None):
        """A byte counter for one download; yields a function taking each chunk's size."""
        bar = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=title[:40],
            leave=False,
            disable=not self.bars,
            position=1,
        )
        try:
            yield bar.update
        finally:
            bar.close()

    def done(self, outcome) -> None:
        """One line per file: its status, path and size or reason."""
        self.index += 1
        width = len(str(self.total))
        name = outcome.raw_path or outcome.item.path or outcome.item.raw_path_official or "-"
        detail = outcome.message or (human_size(outcome.size) if outcome.size else "")
        line = f"[{self.index:>{width}}/{self.total}] {outcome.status:<10} {name}"
        if detail:
            line += f"  - {detail}" if outcome.status != "failed" else f"\n    {detail}"
        self.say(line)
        self.overall.update(1)

    def say(self, line: str) -> None:
        """Print a line without breaking the bars."""
        if self.bars:
            tqdm.write(line)
        else:
            self.echo(line)

    def close(self) -> None:
        """Remove the bars."""
        self.overall.close()
