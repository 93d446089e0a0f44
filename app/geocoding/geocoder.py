"""The geocoder the site and the API use: the BAN API when reachable, else the offline index.

Addresses are never logged: only the precision and source of an answer are.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from app.geocoding.ban import BanClient
from app.geocoding.location import Location
from app.geocoding.offline import OfflineIndex

log = logging.getLogger(__name__)


class Geocoder:
    """The BAN API when configured and reachable, else the offline index."""

    def __init__(
        self, url: str | None, timeout: float, reference: Path | Callable[[], Path | None] | None
    ):
        self.ban = BanClient(url, timeout)
        # A folder, or a function finding it (the champion may be promoted after start-up).
        self._reference = reference
        self._index: OfflineIndex | None = None
        self._lock = threading.Lock()

    @property
    def index(self) -> OfflineIndex | None:
        """The offline index, loaded on first use."""
        if self._index is None:
            with self._lock:
                reference = self._reference() if callable(self._reference) else self._reference
                if (
                    self._index is None
                    and reference is not None
                    and (Path(reference) / "communes.parquet").exists()
                ):
                    self._index = OfflineIndex.load(Path(reference))
        return self._index

    def geocode(self, query: str) -> Location | None:
        """The most likely location of an address, or None."""
        if not query or not query.strip():
            return None
        found = self.ban.search(query, 1, autocomplete=False)
        if not found and self.index is not None:
            found = self.index.search(query, 1)
        result = found[0] if found else None
        log.info(
            "geocoded: precision=%s source=%s",
            result and result.precision,
            result and result.source,
        )
        return result

    def suggest(self, query: str, limit: int = 5) -> list[Location]:
        """Completions of a partly typed address, for the form."""
        if not query or len(query.strip()) < 3:
            return []
        found = self.ban.search(query, limit, autocomplete=True)
        if not found and self.index is not None:
            found = self.index.search(query, limit, prefix=True)
        return found or []
