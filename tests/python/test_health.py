"""/ping, /health, /ready and /api/v2 through the official client."""

import warnings
from datetime import datetime, timezone

import requests
from influxdb_client import InfluxDBClient


def test_ping_version_build(base_url):
    with InfluxDBClient(url=base_url, token="unused", timeout=10_000) as c:
        assert c.ping() is True
        assert c.version() == "v2.7.12"
        assert c.build() == "OSS"


def test_ping_raw_headers(base_url):
    for method in ("GET", "HEAD"):
        r = requests.request(method, base_url + "/ping", timeout=10)
        assert r.status_code == 204
        assert r.content == b""
        assert r.headers["X-Influxdb-Version"] == "v2.7.12"
        assert r.headers["X-Influxdb-Build"] == "OSS"


def test_health(base_url):
    with InfluxDBClient(url=base_url, token="unused", timeout=10_000) as c:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            h = c.health()
        assert h.name == "influxdb"
        assert h.status == "pass"
        assert h.version == "v2.7.12"
        assert h.message == "ready for queries and writes"
        assert h.checks == []


def test_ready(base_url):
    before = datetime.now(timezone.utc)
    with InfluxDBClient(url=base_url, token="unused", timeout=10_000) as c:
        ready = c.ready()
    assert ready.status == "ready"
    assert isinstance(ready.started, datetime)
    assert ready.started.tzinfo is not None
    assert ready.started <= before
    assert (before - ready.started).total_seconds() < 120
    assert isinstance(ready.up, str) and ready.up.endswith("s")


def test_api_v2_routes(base_url):
    r = requests.get(base_url + "/api/v2", timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["write"] == "/api/v2/write"
    assert body["setup"] == "/api/v2/setup"
    assert body["query"]["self"] == "/api/v2/query"
    assert body["system"]["health"] == "/health"
