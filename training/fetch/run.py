"""Fetch catalogue items into raw/: atomic, verified, idempotent, recorded in the manifest."""

from __future__ import annotations

import fcntl
import fnmatch
import gzip
import hashlib
import os
import shutil
import tempfile
import time
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import requests

from training import settings as defaults
from training.errors import PipelineError
from training.fetch import transport
from training.fetch.manifest import (
    is_current,
    read_manifest,
    sha256_of,
    shared_mode,
    write_manifest,
)
from training.fetch.progress import Progress
from training.fetch.verify import CHUNK, VerificationError, verify
from training.sources import DVF_LISTING, DVF_LISTING_URL, Item, fallback_dvf_years

FETCHED, CURRENT, SKIPPED, FAILED = "fetched", "up to date", "skipped", "failed"
# A DVF file a mirror lacks: a failure only when its département then has no sales at all.
MISSING = "missing"


@dataclass(frozen=True)
class Settings:
    """Where to fetch from and how patiently."""

    raw_dir: Path
    # A mirror (folder or http(s) URL laid out like ../shared/data); None: official sources.
    source: str | None = None
    force: bool = False
    timeout: float = defaults.FETCH_TIMEOUT
    retries: int = defaults.FETCH_RETRIES
    backoff: float = defaults.FETCH_BACKOFF
    # Seconds one file may take, retries included (None: no limit): cuts a trickling server.
    deadline: float | None = defaults.FETCH_DEADLINE


@dataclass(frozen=True)
class Outcome:
    """What happened to one item."""

    item: Item
    status: str
    message: str = ""
    raw_path: str | None = None
    size: int = 0


@dataclass
class Summary:
    """Every outcome of a run."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many items ended with `status`."""
        return sum(outcome.status == status for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        """The items that could not be fetched."""
        return [outcome for outcome in self.outcomes if outcome.status == FAILED]

    @property
    def missing(self) -> list[Outcome]:
        """The DVF files the mirror does not hold."""
        return [outcome for outcome in self.outcomes if outcome.status == MISSING]

    def absent_departements(self) -> list[str]:
        """Départements asked for whose DVF files are all missing from the mirror."""
        held = {
            o.item.departement
            for o in self.outcomes
            if o.item.group == "dvf" and o.status in (FETCHED, CURRENT)
        }
        asked = dict.fromkeys(o.item.departement for o in self.missing)
        return [dep for dep in asked if dep not in held]

    def require_each_departement(self) -> None:
        """A département asked for by name without a single DVF file fails its files."""
        absent = set(self.absent_departements())
        self.outcomes = [
            replace(o, status=FAILED) if o.status == MISSING and o.item.departement in absent else o
            for o in self.outcomes
        ]


class FetchFailed(PipelineError):
    """One item could not be fetched; the message says which and why."""


def plan(item: Item, source: str | None) -> tuple[str | None, str | None, str]:
    """(location, path under raw/, reason to skip) for an item from this source."""
    if source is None:
        if item.official_url is None:
            return None, None, "mirror only: no official download (see docs/SOURCES.md)"
        return item.official_url, item.raw_path_official, ""
    if item.path is None:
        return (
            None,
            None,
            "not in mirror: official source only" + (f"; {item.note}" if item.note else ""),
        )
    return transport.join(source, item.path), item.path, ""


def default_years(settings: Settings, session, this_year: int) -> tuple[list[int], str]:
    """The DVF years the source offers (its rolling window), and a warning if it had to guess."""
    listing = (
        DVF_LISTING_URL if settings.source is None else transport.join(settings.source, DVF_LISTING)
    )
    try:
        years = transport.list_years(listing, session, settings.timeout)
    except (transport.NotFound, transport.Unreachable, transport.TransferError) as error:
        years, problem = [], str(error)
    else:
        problem = "no year folder found"
    if years:
        return years, ""
    guess = fallback_dvf_years(this_year)
    return (
        guess,
        f"could not list DVF years at {listing} ({problem}); trying {guess[0]}-{guess[-1]}",
    )


@contextmanager
def fetch_lock(raw_dir: Path):
    """Only one `immoval fetch` writes into a raw/ folder at a time."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    with open(raw_dir / ".fetch.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchFailed(f"another immoval fetch is writing into {raw_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fetch_all(
    items: list[Item],
    settings: Settings,
    progress: Progress,
    session: requests.Session | None = None,
) -> Summary:
    """Fetch every item, carrying on past failures; the manifest is updated after each file."""
    session = session or transport.make_session(settings.retries, settings.backoff)
    summary = Summary()
    with fetch_lock(settings.raw_dir):
        try:
            manifest = read_manifest(settings.raw_dir)
        except ValueError as error:
            raise FetchFailed(str(error)) from None
        dead_hosts: dict[str, str] = {}
        for item in items:
            outcome = fetch_one(item, settings, manifest, dead_hosts, session, progress)
            summary.outcomes.append(outcome)
            progress.done(outcome)
    return summary


def fetch_one(item, settings, manifest, dead_hosts, session, progress) -> Outcome:
    """Fetch one item unless it is already here and intact."""
    location, raw_path, skip_reason = plan(item, settings.source)
    if location is None:
        return Outcome(item, SKIPPED, skip_reason)
    if not settings.force and is_current(settings.raw_dir, raw_path, manifest.get(raw_path)):
        return Outcome(item, CURRENT, raw_path=raw_path, size=manifest[raw_path]["size"])
    host = transport.host_of(location)
    if host in dead_hosts:
        return Outcome(item, FAILED, dead_hosts[host], raw_path)
    try:
        entry = download(item, location, settings, raw_path, session, progress)
    except transport.NotFound as error:
        if settings.source is not None and not item.required:
            note = f"; {item.note}" if item.note else ""
            return Outcome(item, SKIPPED, f"not in mirror{note}", raw_path)
        if settings.source is not None:
            return Outcome(item, MISSING, f"not published by the mirror ({error})", raw_path)
        return Outcome(item, FAILED, f"not published by its publisher ({error})", raw_path)
    except transport.Unreachable as error:
        dead_hosts[host] = unreachable_message(host, str(error), settings.source)
        return Outcome(item, FAILED, dead_hosts[host], raw_path)
    except (transport.TransferError, VerificationError, OSError) as error:
        return Outcome(item, FAILED, f"{error} (from {location})", raw_path)
    manifest[raw_path] = entry
    write_manifest(settings.raw_dir, manifest)
    return Outcome(item, FETCHED, raw_path=raw_path, size=entry["size"])


def unreachable_message(host: str, reason: str, source: str | None) -> str:
    """Why nothing comes from `host`, and what to do about it."""
    if source is None:
        return (
            f"cannot reach {host} ({reason}). Without internet, point IMMOVAL_SOURCE "
            "(or --source) at a local mirror laid out like ../shared/data, "
            "e.g. IMMOVAL_SOURCE=../shared/data"
        )
    return f"cannot reach the mirror at {host} ({reason}): check IMMOVAL_SOURCE (or --source)"


def download(item, location, settings, raw_path, session, progress) -> dict:
    """Download to a temporary file beside the target, verify it, then rename it into place."""
    target = settings.raw_dir / raw_path
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.part"):
        stale.unlink(missing_ok=True)  # left by a killed run
    if item.resolve and settings.source is None:
        location = transport.resolve_datagouv(location, item.resolve, session, settings.timeout)
    store_gzip = item.store_gzip and settings.source is None
    member = item.archive_member if settings.source is None else None
    # What lands under raw/ is then not the published file: its own digest is recorded.
    transformed = store_gzip or member is not None
    deadline = transport.Deadline.start(settings.deadline)
    attempt = 0
    while True:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        temporary = Path(temporary)
        try:
            with os.fdopen(handle, "wb") as sink:
                url, published = _transfer(
                    location, sink, store_gzip and not member, settings, session, progress,
                    item, deadline,
                )  # fmt: skip
            if member:
                temporary = unpack_member(temporary, member, store_gzip)
            facts = verify(temporary, item.check)
            size, sha256 = (
                (temporary.stat().st_size, sha256_of(temporary)) if transformed else published
            )
            temporary.chmod(shared_mode())  # mkstemp makes 0600; raw files are shared
            os.replace(temporary, target)
        except transport.TransferError as error:
            temporary.unlink(missing_ok=True)
            # Server errors were already retried by the session; a cut or stalled body was not.
            final = (transport.ServerError, transport.DeadlineExceeded)
            if isinstance(error, final) or attempt >= settings.retries:
                raise
            time.sleep(max(0.0, min(settings.backoff * 2**attempt, deadline.remaining())))
            attempt += 1
            continue
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        break
    entry = {
        "source_url": url,
        "size": size,
        "sha256": sha256,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "period": item.period,
        "group": item.group,
        "title": item.title,
        "licence": item.licence,
        **facts,
    }
    if transformed:
        compressed = "gzip-compressed" if store_gzip else "as it is"
        entry["stored"] = (
            f"member {member} of the published zip archive, {compressed}"
            if member
            else "gzip-compressed copy of the published file"
        )
        entry["published_size"], entry["published_sha256"] = published
    if member:
        entry["archive_member"] = member
    return entry


def unpack_member(archive: Path, member: str, store_gzip: bool) -> Path:
    """Replace the downloaded `archive` by its `member` (gzip-compressed if asked), in a
    temporary file beside it; the archive is removed either way."""
    handle, unpacked = tempfile.mkstemp(dir=archive.parent, prefix=archive.name, suffix=".part")
    unpacked = Path(unpacked)
    try:
        # The sink first: it owns `handle`, closed even when the archive cannot be opened.
        with os.fdopen(handle, "wb") as sink, zipfile.ZipFile(archive) as bundle:
            source = bundle.open(archive_entry(bundle.namelist(), member))
            writer = (
                gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, filename="") if store_gzip else sink
            )
            with source:
                shutil.copyfileobj(source, writer, CHUNK)
            if store_gzip:
                writer.close()
            sink.flush()
            os.fsync(sink.fileno())
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        unpacked.unlink(missing_ok=True)
        raise VerificationError(f"corrupt or truncated zip archive: {error}") from None
    except BaseException:
        unpacked.unlink(missing_ok=True)
        raise
    finally:
        archive.unlink(missing_ok=True)
    return unpacked


def archive_entry(names: list[str], member: str) -> str:
    """The one entry of an archive that `member` names: its exact name, else the entry
    whose file name (in any folder) matches it as a case-insensitive pattern such as
    `BASE_TD_FILO*IRIS*.csv` (INSEE's member names vary by vintage)."""
    if member in names:
        return member
    pattern = member.lower()
    found = [n for n in names if fnmatch.fnmatchcase(n.rsplit("/", 1)[-1].lower(), pattern)]
    if len(found) == 1:
        return found[0]
    held = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    what = f"{len(found)} entries matching" if found else "no"
    raise VerificationError(f"the zip archive holds {what} {member} (it holds: {held})")


def _transfer(location, sink, store_gzip, settings, session, progress, item, deadline):
    """Copy one transfer into `sink`; return (url, (published size, published sha256))."""
    transfer = transport.open_transfer(location, session, settings.timeout, deadline)
    digest, received = hashlib.sha256(), 0
    writer = gzip.GzipFile(fileobj=sink, mode="wb", mtime=0, filename="") if store_gzip else sink
    with progress.file(item.title, transfer.expected_size) as advance:
        for chunk in transfer.chunks:
            writer.write(chunk)
            digest.update(chunk)
            received += len(chunk)
            advance(len(chunk))
    if store_gzip:
        writer.close()
    sink.flush()
    os.fsync(sink.fileno())
    if transfer.expected_size is not None and received != transfer.expected_size:
        raise transport.TransferError(
            f"incomplete transfer: {received} of {transfer.expected_size} bytes"
        )
    return transfer.url, (received, digest.hexdigest())
