"""The BAN search API client against a real HTTP server on 127.0.0.1, and its fallbacks."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from app.geocoding import Geocoder, Location, parse_ban_feature

RIVOLI = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [2.35995, 48.855602]},
    "properties": {
        "label": "12 Rue de Rivoli 75004 Paris",
        "score": 0.97,
        "type": "housenumber",
        "citycode": "75104",
        "postcode": "75004",
    },
}


class FakeBan(BaseHTTPRequestHandler):
    """Answers like api-adresse.data.gouv.fr/search/ with what the test sets."""

    mode = "ok"
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802
        query = parse_qs(urlparse(self.path).query)
        FakeBan.seen.append(query)
        if FakeBan.mode == "slow":
            time.sleep(0.6)
        if FakeBan.mode == "error":
            self.send_response(503)
            self.end_headers()
            return
        body = (
            b"not json"
            if FakeBan.mode == "garbage"
            else json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [] if FakeBan.mode == "empty" else [RIVOLI],
                }
            ).encode()
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def ban_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeBan)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    FakeBan.mode, FakeBan.seen = "ok", []
    yield f"http://127.0.0.1:{server.server_address[1]}/search/"
    server.shutdown()
    server.server_close()


class StubIndex:
    """Stands for the offline index: records that it was asked."""

    def __init__(self):
        self.asked = []

    def search(self, query, limit=1, *, prefix=False):
        self.asked.append(query)
        return [
            Location(
                48.86, 2.34, "municipality", "commune-centroid", "75001 Paris", "75101", "75001"
            )
        ]


def geocoder(url, timeout=0.2):
    g = Geocoder(url, timeout, None)
    g._index = StubIndex()
    return g


def test_api_answer_is_used(ban_url):
    g = geocoder(ban_url)
    found = g.geocode("12 rue de Rivoli Paris")
    assert found == Location(
        48.855602,
        2.35995,
        "housenumber",
        "ban-api",
        "12 Rue de Rivoli 75004 Paris",
        "75104",
        "75004",
    )
    assert FakeBan.seen[0]["q"] == ["12 rue de Rivoli Paris"]
    assert FakeBan.seen[0]["autocomplete"] == ["0"]
    assert g.index.asked == []


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
def test_api_failure_falls_back_offline_and_rests_the_api(ban_url, mode):
    FakeBan.mode = mode
    g = geocoder(ban_url)
    started = time.perf_counter()
    found = g.geocode("12 rue de Rivoli Paris")
    assert found.source == "commune-centroid"
    assert time.perf_counter() - started < 0.55  # the short timeout, not the server's delay
    # The next request does not wait for the API again.
    g.geocode("12 rue de Rivoli Paris")
    assert len(FakeBan.seen) == 1
    assert len(g.index.asked) == 2


def test_no_result_from_api_tries_offline(ban_url):
    FakeBan.mode = "empty"
    g = geocoder(ban_url)
    assert g.geocode("75001 Paris").source == "commune-centroid"


def test_empty_url_means_offline_only():
    g = geocoder("")
    assert g.geocode("75001 Paris").source == "commune-centroid"
    assert g.geocode("   ") is None


def test_suggest_uses_autocomplete(ban_url):
    g = geocoder(ban_url)
    assert [s.label for s in g.suggest("12 rue de riv")] == ["12 Rue de Rivoli 75004 Paris"]
    assert FakeBan.seen[0]["autocomplete"] == ["1"]
    assert g.suggest("12") == []


def test_low_score_and_malformed_features_are_ignored():
    weak = json.loads(json.dumps(RIVOLI))
    weak["properties"]["score"] = 0.2
    assert parse_ban_feature(weak) is None
    assert parse_ban_feature({"geometry": None}) is None
    street = json.loads(json.dumps(RIVOLI))
    street["properties"]["type"] = "street"
    assert parse_ban_feature(street).precision == "street"


def test_addresses_are_not_logged(ban_url, caplog):
    # At INFO, the level served in production (urllib3 writes URLs at DEBUG).
    g = geocoder(ban_url)
    with caplog.at_level("INFO"):
        g.geocode("12 rue de Rivoli Paris")
        FakeBan.mode = "error"
        g.ban.down_until = 0
        g.geocode("12 rue de Rivoli Paris")
    assert caplog.records
    assert all("Rivoli" not in r.getMessage() for r in caplog.records)
