"""`immoval fetch` against a real local HTTP server and a real folder serving ../shared/data."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import replace
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from training import sources
from training.cli import main
from training.communes import COMMUNES_FILE, build_communes, read_communes
from training.communes_geo_api import GEO_API_FILE
from training.fetch.progress import Progress
from training.fetch.run import FETCHED, SKIPPED, Settings, fetch_all

DVF_75_2023 = "geo-dvf/latest/csv/2023/departements/75.csv.gz"
STALL_SECONDS = 3.0
TRICKLE_INTERVAL = 0.1  # one byte per interval: well within the 0.5 s timeout of the tests
TRICKLE_SECONDS = 6.0


class MirrorHandler(SimpleHTTPRequestHandler):
    """Serves the mirror under /plain/; other prefixes misbehave on purpose.

    /truncated/: half of each file, with a matching Content-Length (a short but "complete" reply);
    /cut/: announces the whole file, sends half, closes — the first time only;
    /stall/: announces the file, sends nothing;
    /trickle/: announces the file, sends one byte per TRICKLE_INTERVAL (never times out);
    /flaky/: 503 the first time a path is asked;
    /api/: the JSON page in `api_page`.
    """

    requests: list[str]
    seen: set[str]
    api_page: bytes = b"{}"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.requests.append(self.path)
        mode, _, rest = self.path.lstrip("/").partition("/")
        file = Path(self.directory) / rest
        first_time = self.path not in self.seen
        self.seen.add(self.path)
        if mode == "api":  # a data.gouv.fr dataset page, set by the test
            return self._send(self.api_page)
        if mode == "plain" or not file.is_file():
            self.path = "/" + rest
            return super().do_GET()
        data = file.read_bytes()
        if mode == "flaky" and first_time:
            self.send_error(503, "try again")
        elif mode == "truncated":
            self._send(data[: len(data) // 2])
        elif mode == "cut" and first_time:
            self._send(data[: len(data) // 2], length=len(data))
            self.close_connection = True
        elif mode == "trickle":
            self._trickle(data)
        elif mode == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(STALL_SECONDS)
        else:
            self._send(data)

    def _trickle(self, data: bytes):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        stop = time.monotonic() + TRICKLE_SECONDS
        try:
            for byte in data:
                if time.monotonic() > stop:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(TRICKLE_INTERVAL)
        except OSError:  # the client hung up, as it should
            pass
        self.close_connection = True

    def _send(self, body: bytes, length: int | None = None):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server(shared_data):
    """A real HTTP server on 127.0.0.1 serving the mirror; `.requests` logs every path asked."""
    handler = type("Handler", (MirrorHandler,), {"requests": [], "seen": set()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(shared_data)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.requests = handler.requests
    httpd.seen = handler.seen
    httpd.handler = handler
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def quick_settings(monkeypatch):
    """Small timeouts, one retry, no backoff; no mirror inherited from the environment."""
    monkeypatch.delenv("IMMOVAL_SOURCE", raising=False)
    monkeypatch.setenv("IMMOVAL_FETCH_TIMEOUT", "0.5")
    monkeypatch.setenv("IMMOVAL_FETCH_RETRIES", "1")
    monkeypatch.setenv("IMMOVAL_FETCH_BACKOFF", "0")


def run_fetch(home: Path, *args: str):
    return CliRunner().invoke(main, ["--home", str(home), "fetch", *args])


def manifest_of(home: Path) -> dict:
    return json.loads((home / "raw" / "manifest.json").read_text())["files"]


def test_http_mirror_fills_raw_then_second_run_downloads_nothing(server, shared_data, tmp_path):
    server.requests.clear()
    source = f"{server.base}/plain/"
    result = run_fetch(tmp_path, "--departements", "75", "--years", "2023", "--source", source)
    assert result.exit_code == 0, result.output
    files = manifest_of(tmp_path)
    # Every file the mirror holds for Paris arrived, byte for byte, at the mirror's path.
    for raw_path in (
        DVF_75_2023,
        "ssmsi/delinquance-communes-groupes-2016-2024.csv",
        "cameras/osm-man_made-surveillance-france-2011-03-31.osm",
        "cameras/paris-videoprotection-2019-geocodees.csv",
        "communes/communes-cog2024-population2021.csv",
        "communes/contours-2018/communes-75-paris.geojson.gz",
        "ban/adresses-75.csv.gz",
        "iris/contours-iris-paris-2013.geojson",
    ):
        assert (tmp_path / "raw" / raw_path).read_bytes() == (shared_data / raw_path).read_bytes()
        assert raw_path in files
    # What no mirror holds is reported, not fatal.
    assert "skipped    ssmsi/communes-long.parquet" in result.output
    assert "skipped    cameras/osm-overpass-75.json" in result.output
    assert " 0 failed" in result.output
    downloads = [path for path in server.requests if not path.endswith("/")]
    assert any(path.endswith(DVF_75_2023) for path in downloads)

    server.requests.clear()
    again = run_fetch(tmp_path, "--departements", "75", "--years", "2023", "--source", source)
    assert again.exit_code == 0, again.output
    asked = [path for path in server.requests if Path(path).name in _names(files)]
    assert asked == [], f"second run downloaded {asked}"
    assert "0 fetched" in again.output
    assert manifest_of(tmp_path) == files


def _names(files: dict) -> set[str]:
    return {Path(raw_path).name for raw_path in files}


def test_manifest_records_source_size_sha256_time_and_period(server, shared_data, tmp_path):
    source = f"{server.base}/plain/"
    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf", "--source", source
    )
    assert result.exit_code == 0, result.output
    entry = manifest_of(tmp_path)[DVF_75_2023]
    stored = (tmp_path / "raw" / DVF_75_2023).read_bytes()
    assert entry["sha256"] == hashlib.sha256(stored).hexdigest()
    assert entry["sha256"] == hashlib.sha256((shared_data / DVF_75_2023).read_bytes()).hexdigest()
    assert entry["size"] == len(stored)
    assert entry["source_url"] == f"{source}{DVF_75_2023}"
    assert entry["period"] == "2023"
    assert entry["dates"]["first"].startswith("2023-01")
    assert entry["dates"]["last"].startswith("2023-12")
    assert entry["fetched_at"].endswith("+00:00")
    assert not list((tmp_path / "raw").rglob("*.part"))


def test_folder_mirror_and_default_window(shared_data, tmp_path):
    result = run_fetch(
        tmp_path, "--departements", "75", "--only", "dvf,iris", "--source", str(shared_data)
    )
    assert result.exit_code == 0, result.output
    files = manifest_of(tmp_path)
    # Default years: the window the mirror publishes (2020-2024 in ../shared/data).
    published = sorted(p.name for p in (shared_data / "geo-dvf/latest/csv").iterdir())
    expected = {f"geo-dvf/latest/csv/{year}/departements/75.csv.gz" for year in published}
    assert expected <= set(files)
    assert files[DVF_75_2023]["source_url"] == (shared_data / DVF_75_2023).as_uri()
    again = run_fetch(
        tmp_path, "--departements", "75", "--only", "dvf,iris", "--source", str(shared_data)
    )
    assert "0 fetched" in again.output and again.exit_code == 0


def test_unpublished_year_departement_is_named_and_the_others_still_come(server, tmp_path):
    source = f"{server.base}/plain/"
    result = run_fetch(
        tmp_path,
        "--departements",
        "01,75",
        "--years",
        "2023",
        "--only",
        "dvf,ban",
        "--source",
        source,
    )
    assert result.exit_code == 1
    assert "DVF 2023 département 01" in result.output
    assert "404" in result.output
    assert (tmp_path / "raw" / DVF_75_2023).exists()
    # A BAN file the mirror lacks is skipped, not a failure.
    assert "skipped    ban/adresses-01.csv.gz" in result.output
    assert "1 failed" in result.output


def test_truncated_gzip_never_replaces_a_good_file(server, tmp_path):
    good = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf",
        "--source", f"{server.base}/plain/",
    )  # fmt: skip
    assert good.exit_code == 0, good.output
    before = (tmp_path / "raw" / DVF_75_2023).read_bytes()
    manifest_before = manifest_of(tmp_path)

    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf", "--force",
        "--source", f"{server.base}/truncated/",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "gzip" in result.output and "DVF 2023 département 75" in result.output
    assert (tmp_path / "raw" / DVF_75_2023).read_bytes() == before
    assert manifest_of(tmp_path) == manifest_before
    assert not list((tmp_path / "raw").rglob("*.part"))


def test_stalled_server_times_out_quickly(server, tmp_path):
    started = time.monotonic()
    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf",
        "--source", f"{server.base}/stall/",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "timed out" in result.output
    assert elapsed < STALL_SECONDS, "the timeout did not cut the stalled transfer"
    assert not (tmp_path / "raw" / DVF_75_2023).exists()
    assert not list((tmp_path / "raw").rglob("*.part"))


def test_trickling_server_is_cut_by_the_deadline_and_not_retried(server, tmp_path, monkeypatch):
    monkeypatch.setenv("IMMOVAL_FETCH_DEADLINE", "1")
    server.requests.clear()
    started = time.monotonic()
    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf",
        "--source", f"{server.base}/trickle/",
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "deadline of 1 s" in result.output and "IMMOVAL_FETCH_DEADLINE" in result.output
    # Every byte came within the timeout: only the deadline can have cut it, and soon.
    assert elapsed < 1 + 1.5, f"took {elapsed:.1f} s"
    assert [path for path in server.requests if path.endswith(DVF_75_2023)] == [
        f"/trickle/{DVF_75_2023}"
    ]
    assert not (tmp_path / "raw" / DVF_75_2023).exists()
    assert not list((tmp_path / "raw").rglob("*.part"))


@pytest.mark.parametrize("mode", ["flaky", "cut"])
def test_transient_errors_are_retried(server, shared_data, tmp_path, mode):
    server.requests.clear()
    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf",
        "--source", f"{server.base}/{mode}/",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "raw" / DVF_75_2023).read_bytes() == (shared_data / DVF_75_2023).read_bytes()
    assert [path for path in server.requests if path.endswith(DVF_75_2023)] == [
        f"/{mode}/{DVF_75_2023}"
    ] * 2


def test_unreachable_mirror_says_to_check_immoval_source(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_fetch(
        tmp_path, "--departements", "75", "--years", "2023", "--only", "dvf",
        "--source", f"http://127.0.0.1:{port}/",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "cannot reach the mirror" in result.output and "IMMOVAL_SOURCE" in result.output


def test_immoval_source_environment_and_invocation_without_option_parsing(
    shared_data, tmp_path, monkeypatch
):
    """`immoval up` calls fetch with ctx.invoke: defaults and IMMOVAL_SOURCE must still apply."""
    from training.commands.fetch import fetch

    monkeypatch.setenv("IMMOVAL_SOURCE", str(shared_data))

    @click.group()
    @click.pass_context
    def group(ctx):
        ctx.obj = {"home": str(tmp_path)}

    @group.command()
    @click.pass_context
    def up(ctx):
        ctx.invoke(fetch, departements="75", years="2024", only="dvf")

    result = CliRunner().invoke(group, ["up"])
    assert result.exit_code == 0, result.output
    assert "geo-dvf/latest/csv/2024/departements/75.csv.gz" in manifest_of(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--departements", "75,99"], "Valid codes: 01, 02"),
        (["--departements", "57"], "Alsace-Moselle"),
        (["--departements", "976"], "Mayotte"),
        (["--only", "dvf,weather"], "Valid: dvf, ssmsi"),
        (["--years", "2010-2012"], "DVF covers 2014"),
        (["--source", "/nonexistent/mirror"], "neither an http(s) URL nor an existing folder"),
    ],
)
def test_bad_arguments_are_explained(tmp_path, args, message):
    result = run_fetch(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "raw" / "manifest.json").exists()


def test_official_code_path_resolves_datagouv_and_stores_gzip(server, shared_data, tmp_path):
    """Official mode against a local stand-in publisher: dataset API resolution, gzip storage."""
    newest = f"{server.base}/plain/ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv"
    server.handler.api_page = json.dumps(
        {
            "resources": [
                {"url": f"{server.base}/plain/x/donnee-dep-data.gouv-2022.csv",
                 "last_modified": "2023-02-09T00:00:00"},
                {"url": newest, "last_modified": "2026-01-22T00:00:00"},
                {"url": f"{server.base}/plain/x/donnee-comm-data.gouv.parquet",
                 "last_modified": "2026-06-01T00:00:00"},
            ]
        }
    ).encode()  # fmt: skip
    departmental = next(i for i in sources.ssmsi_items() if i.resolve)
    departmental = replace(departmental, official_url=f"{server.base}/api/dataset/")
    contours = next(i for i in sources.commune_items(["75"]) if i.store_gzip)
    published = "iris/contours-iris-paris-2013.geojson"  # any uncompressed GeoJSON
    contours = replace(contours, official_url=f"{server.base}/plain/{published}")

    raw = tmp_path / "raw"
    settings = Settings(raw_dir=raw, timeout=2, retries=0, backoff=0)
    summary = fetch_all([departmental, contours], settings, Progress(2, bars=False))
    assert [o.status for o in summary.outcomes] == [FETCHED, FETCHED], summary.outcomes

    files = manifest_of(tmp_path)
    latest = "ssmsi/donnee-dep-data.gouv-latest.csv"
    assert files[latest]["source_url"] == newest
    assert (raw / latest).read_bytes() == (
        shared_data / "ssmsi/donnee-dep-data.gouv-2025-geographie2025.csv"
    ).read_bytes()
    stored = (raw / contours.path).read_bytes()
    original = (shared_data / published).read_bytes()
    assert contours.path.endswith(".geojson.gz") and gzip.decompress(stored) == original
    entry = files[contours.path]
    assert entry["published_sha256"] == hashlib.sha256(original).hexdigest()
    assert entry["sha256"] == hashlib.sha256(stored).hexdigest()
    assert entry["size"] == len(stored) and entry["published_size"] == len(original)


GEO_API_ANSWER = [
    {"nom": "Montpellier", "code": "34172", "codesPostaux": ["34070", "34000"],
     "centre": {"type": "Point", "coordinates": [3.8742, 43.6142]}, "surface": 5688.0,
     "population": 302454, "codeDepartement": "34", "codeRegion": "76"},
    {"nom": "Paris 1er Arrondissement", "code": "75101", "codesPostaux": ["75001"],
     "centre": {"type": "Point", "coordinates": [2.336, 48.8626]}, "surface": 183.0,
     "population": 15919, "codeDepartement": "75", "codeRegion": "11"},
    {"nom": "Ajaccio", "code": "2A004", "codesPostaux": ["20000", "20090"],
     "centre": {"type": "Point", "coordinates": [8.6997, 41.9347]}, "surface": 8203.0,
     "population": 73423, "codeDepartement": "2A", "codeRegion": "94"},
]  # fmt: skip


def geo_api_item(server):
    """The catalogue's geo API entry, published by the local stand-in."""
    item = next(i for i in sources.commune_items([]) if i.path == GEO_API_FILE.as_posix())
    query = item.official_url.partition("?")[2]
    return replace(item, official_url=f"{server.base}/api/communes?{query}")


def test_official_communes_come_from_the_geo_api_and_feed_the_reference(server, tmp_path):
    server.handler.api_page = json.dumps(GEO_API_ANSWER).encode()
    server.requests.clear()
    raw = tmp_path / "raw"
    items = [i for i in sources.commune_items([]) if i.path == COMMUNES_FILE.as_posix()]
    items.append(geo_api_item(server))
    settings = Settings(raw_dir=raw, timeout=2, retries=0, backoff=0)
    summary = fetch_all(items, settings, Progress(2, bars=False))
    # Official mode: the COG CSV has no official download; the geo API stands in.
    assert [o.status for o in summary.outcomes] == [SKIPPED, FETCHED], summary.outcomes
    assert server.requests == [f"/api/communes?{items[1].official_url.partition('?')[2]}"]

    entry = manifest_of(tmp_path)[GEO_API_FILE.as_posix()]
    assert entry["records"] == 3 and entry["source_url"] == items[1].official_url
    assert json.loads((raw / GEO_API_FILE).read_text()) == GEO_API_ANSWER

    communes = build_communes(read_communes(raw)).set_index("code_commune")
    assert sorted(communes.index) == ["2A004", "34172", "75056", "75101"]
    assert communes.loc["34172", "area_km2"] == 56.88
    assert communes.loc["34172", "postcode"] == "34000"
    assert communes.loc["75101", "code_commune_stats"] == "75056"


def test_geo_api_error_answer_is_refused_and_keeps_the_good_file(server, tmp_path):
    raw = tmp_path / "raw"
    item = geo_api_item(server)
    settings = Settings(raw_dir=raw, timeout=2, retries=0, backoff=0, force=True)
    server.handler.api_page = json.dumps(GEO_API_ANSWER).encode()
    assert fetch_all([item], settings, Progress(1, bars=False)).outcomes[0].status == FETCHED
    good = (raw / GEO_API_FILE).read_bytes()

    server.handler.api_page = json.dumps({"code": 400, "message": "Requête mal formée"}).encode()
    (outcome,) = fetch_all([item], settings, Progress(1, bars=False)).outcomes
    assert outcome.status == "failed" and "not a list of records" in outcome.message
    assert (raw / GEO_API_FILE).read_bytes() == good
    assert not list(raw.rglob("*.part"))


def test_fetch_command_does_not_import_the_heavy_steps():
    # The CLI imports a command's module only when it runs: fetching needs no geopandas.
    code = (
        "import sys\n"
        "from training.cli import main\n"
        "try:\n"
        "    main(['fetch', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('geopandas', 'lightgbm', 'sklearn', 'pandas', 'training.prepare')\n"
        "print('heavy:', ','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "heavy: "


def test_help_lists_the_pipeline_and_the_app_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    pipeline = "up fetch prepare addresses train models promote predict".split()
    for name in [*pipeline, "apikeys", "usage", "serve"]:
        assert f"  {name} " in result.output
    assert main.get_command(click.Context(main), "nonexistent") is None


def test_a_partial_departement_of_the_real_mirror_is_fetched_with_its_gaps_named(
    shared_data, tmp_path
):
    # The mirror holds Eure-et-Loir from 2021 only: what it holds comes, the gap is named.
    result = run_fetch(
        tmp_path, "--departements", "28", "--only", "dvf", "--source", str(shared_data)
    )
    assert result.exit_code == 0, result.output
    assert "Eure-et-Loir (28): 2020" in result.output
    assert (tmp_path / "raw" / "geo-dvf/latest/csv/2024/departements/28.csv.gz").exists()


def test_all_against_a_mirror_takes_what_it_holds_and_lists_the_rest(shared_data, tmp_path):
    result = run_fetch(
        tmp_path, "--departements", "all", "--years", "2024", "--only", "dvf",
        "--source", str(shared_data),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    held = sorted(p.name for p in (tmp_path / "raw/geo-dvf/latest/csv/2024/departements").iterdir())
    assert held == ["28.csv.gz", "34.csv.gz", "59.csv.gz", "75.csv.gz", "76.csv.gz"]
    assert "Not in the mirror at all (92 départements): Ain (01)" in result.output
