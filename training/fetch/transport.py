"""Reading bytes from where a file is published: an http(s) URL or a local folder."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.request import url2pathname

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

CHUNK = 1 << 16
USER_AGENT = "immoval-fetch/0.1 (+https://github.com/immoval)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


class NotFound(Exception):
    """The source does not publish this file (HTTP 404/410, or absent from a folder)."""


class Unreachable(Exception):
    """The host cannot be reached at all (DNS, refused connection, no route)."""


class TransferError(Exception):
    """The transfer started but failed (timeout, cut connection, server error)."""


class ServerError(TransferError):
    """The server answered with an error status (after the session's own retries)."""


class DeadlineExceeded(TransferError):
    """The file took longer than its overall deadline (a server trickling bytes)."""


@dataclass(frozen=True)
class Deadline:
    """The moment by which one file must be complete, retries included."""

    seconds: float | None  # None: no deadline
    at: float = float("inf")  # on the time.monotonic() clock

    @classmethod
    def start(cls, seconds: float | None) -> Deadline:
        """A deadline `seconds` from now (none when `seconds` is None)."""
        return cls(seconds, time.monotonic() + seconds if seconds is not None else float("inf"))

    def remaining(self) -> float:
        """Seconds left (infinite without a deadline)."""
        return self.at - time.monotonic()

    def check(self) -> None:
        """Raise DeadlineExceeded once the deadline has passed."""
        if self.remaining() <= 0:
            raise DeadlineExceeded(
                f"not complete within the deadline of {self.seconds:g} s per file "
                "(IMMOVAL_FETCH_DEADLINE): the server sends too slowly"
            )


NO_DEADLINE = Deadline(None)


@dataclass(frozen=True)
class Transfer:
    """What the server said about a download."""

    url: str
    expected_size: int | None
    chunks: Iterator[bytes]


class _Retry(Retry):
    """urllib3's Retry, except that an unknown host name fails at once (offline machines)."""

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if isinstance(error, NameResolutionError) and "Temporary failure" not in str(error):
            raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def make_session(retries: int, backoff: float) -> requests.Session:
    """A session retrying connections and transient statuses with exponential backoff."""
    retry = _Retry(
        total=None,
        connect=retries,
        read=0,  # a stalled body is retried by the caller, from the start
        status=retries,
        other=0,
        redirect=10,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def is_url(location: str) -> bool:
    """True for http(s) locations, False for folders and file:// URLs."""
    return urlparse(location).scheme in ("http", "https")


def local_path(location: str) -> Path:
    """The folder or file a non-http location names (plain path or file:// URL)."""
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    return Path(location)


def join(base: str, relative: str) -> str:
    """`relative` inside a mirror `base` (URL or folder)."""
    if is_url(base):
        return urljoin(base.rstrip("/") + "/", relative)
    return str(local_path(base) / relative)


def host_of(location: str) -> str:
    """The host of a URL (the folder itself for local mirrors)."""
    return urlparse(location).netloc if is_url(location) else location


def open_transfer(
    location: str, session: requests.Session, timeout: float, deadline: Deadline = NO_DEADLINE
) -> Transfer:
    """Start reading `location`; raises NotFound, Unreachable or TransferError."""
    deadline.check()
    if not is_url(location):
        path = local_path(location)
        if not path.is_file():
            raise NotFound(f"{path} does not exist")
        return Transfer(path.resolve().as_uri(), path.stat().st_size, _read_file(path, deadline))
    # The answer's head must come within the deadline too.
    wait = max(0.001, min(timeout, deadline.remaining()))
    try:
        response = session.get(location, stream=True, timeout=(wait, wait))
    except requests.exceptions.ConnectionError as error:
        if isinstance(error, requests.exceptions.ConnectTimeout) or _refused(error):
            raise Unreachable(_reason(error)) from None
        if "timed out" in str(error).lower():
            raise TransferError(f"timed out after {timeout:g} s waiting for the server") from None
        raise TransferError(_reason(error)) from None
    except requests.exceptions.Timeout as error:
        raise TransferError(f"timed out after {timeout:g} s waiting for the server") from error
    except requests.exceptions.RequestException as error:
        raise TransferError(_reason(error)) from None
    if response.status_code in (404, 410):
        response.close()
        raise NotFound(f"HTTP {response.status_code} at {location}")
    if response.status_code != 200:
        response.close()
        raise ServerError(f"HTTP {response.status_code} {response.reason} at {location}")
    # Content-Length counts encoded bytes; it only measures the file when nothing re-encodes it.
    length = response.headers.get("Content-Length")
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    expected = int(length) if length and length.isdigit() and not encoded else None
    return Transfer(response.url, expected, _read_response(response, timeout, deadline))


def _read_file(path: Path, deadline: Deadline) -> Iterator[bytes]:
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            deadline.check()
            yield chunk


def _read_response(
    response: requests.Response, timeout: float, deadline: Deadline
) -> Iterator[bytes]:
    # read1 returns whatever has arrived: a trickle yields often and meets the deadline check,
    # where a full-sized read would wait (each byte resetting the timeout) for 64 kB.
    raw = response.raw
    try:
        while True:
            deadline.check()
            chunk = raw.read1(CHUNK, decode_content=True)
            if not chunk:
                return
            yield chunk
    except ReadTimeoutError:
        raise TransferError(f"timed out after {timeout:g} s without data") from None
    except (ProtocolError, OSError) as error:
        raise TransferError(f"connection cut: {_reason(error)}") from None
    except HTTPError as error:  # e.g. a body that does not decode as announced
        raise TransferError(_reason(error)) from None
    finally:
        response.close()


def _refused(error: Exception) -> bool:
    # requests wraps urllib3's MaxRetryError, whose `reason` says what went wrong.
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _reason(error: Exception) -> str:
    # urllib3 wraps the useful part ("[Errno 111] Connection refused") deep in its message.
    text = str(error)
    match = re.search(r"\[Errno -?\d+\] [^'\")]+", text)
    return match.group(0) if match else text


def list_years(location: str, session: requests.Session, timeout: float) -> list[int]:
    """The years a geo-DVF listing (folder, or http index page) offers."""
    if not is_url(location):
        folder = local_path(location)
        if not folder.is_dir():
            raise NotFound(f"{folder} does not exist")
        names = [child.name for child in folder.iterdir() if child.is_dir()]
    else:
        try:
            response = session.get(location, timeout=(timeout, timeout))
        except requests.exceptions.RequestException as error:
            raise Unreachable(_reason(error)) from None
        if response.status_code != 200:
            raise NotFound(f"HTTP {response.status_code} at {location}")
        names = re.findall(r'href="(?:[^"]*/)?(\d{4})/?"', response.text)
    return sorted({int(name) for name in names if re.fullmatch(r"\d{4}", name)})


def resolve_datagouv(location: str, pattern: str, session, timeout: float) -> str:
    """The URL of the newest resource of a data.gouv.fr dataset whose URL matches `pattern`."""
    try:
        response = session.get(location, timeout=(timeout, timeout))
    except requests.exceptions.RequestException as error:
        if _refused(error):
            raise Unreachable(_reason(error)) from None
        raise TransferError(_reason(error)) from None
    if response.status_code in (404, 410):
        raise NotFound(f"HTTP {response.status_code} at {location}")
    if response.status_code != 200:
        raise TransferError(f"HTTP {response.status_code} at {location}")
    try:
        resources = response.json()["resources"]
    except (ValueError, KeyError, TypeError):
        raise TransferError(f"{location} did not answer a data.gouv.fr dataset") from None
    matching = [r for r in resources if re.search(pattern, str(r.get("url", "")))]
    if not matching:
        raise NotFound(f"no resource matching {pattern} in {location}")
    newest = max(matching, key=lambda r: str(r.get("last_modified") or r.get("created_at") or ""))
    return newest["url"]
