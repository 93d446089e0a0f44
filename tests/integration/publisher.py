"""A real HTTP server on 127.0.0.1 standing in for an official publisher (insee.fr, the
Géoplateforme), and a fetch of catalogue items from it with quick settings."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from training.fetch.progress import Progress
from training.fetch.run import Settings, fetch_all


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def publishing(site: Path):
    """Serve the files of `site` (a query string is ignored: `/wfs?…` serves `site/wfs`);
    the server has `.base` (its URL) and `.site`."""
    site.mkdir(parents=True, exist_ok=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.base, httpd.site = f"http://127.0.0.1:{httpd.server_address[1]}", site
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def fetch(items, raw: Path, **options):
    """`fetch_all` of `items` into `raw`, no retry, 2 s timeout (options: more settings)."""
    settings = Settings(raw_dir=raw, timeout=2, retries=0, backoff=0, **options)
    return fetch_all(items, settings, Progress(len(items), bars=False))
