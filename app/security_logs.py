"""No address in the logs: what a client sent stays out of gunicorn's error log.

Gunicorn writes a malformed request's line or header into its log ("Invalid request from
ip=…: Invalid HTTP request line: 'GET /?address=12 rue …'"), and a failing request's URI
with its query string. `PrivateLogger` (gunicorn's `logger_class`) filters every line of
its error log, and so of the app's loggers that share its handlers (gunicorn_conf.py):
the client's text after the kind of error is dropped, and query strings are cut.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

# "Invalid request from ip=1.2.3.4: Invalid HTTP request line: 'GET /…'": keep the kind.
_INVALID = re.compile(r"^(Invalid request from ip=\S*: [^:'\"]*?)\s*(?::|'|\").*$", re.DOTALL)
# A path's query string (addresses, coordinates), wherever a URI shows.
_QUERY = re.compile(r"(/[^\s?'\"]*)\?[^\s'\"]*")


def scrub(text: str) -> str:
    """The line without what the client sent: no request text, no query string."""
    text = _INVALID.sub(r"\1 (content not logged)", text)
    return _QUERY.sub(r"\1?…", text)


class Scrub(logging.Filter):
    """Rewrite each record's message with `scrub` before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class PrivateLogger(Logger):
    """Gunicorn's logger, each error-log handler filtered by `Scrub` (after every reopen)."""

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            if not any(isinstance(f, Scrub) for f in handler.filters):
                handler.addFilter(Scrub())
