"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from influxdb_client import InfluxDBClient
from influxdb_client.rest import ApiException


def client(server, **kwargs) -> InfluxDBClient:
    """An InfluxDBClient for an onboarded ``Server`` (30 s timeout)."""
    kwargs.setdefault("timeout", 30_000)
    return InfluxDBClient(url=server.url, token=server.token, org=server.org, **kwargs)


def api_error(exc: ApiException) -> dict:
    """The JSON error body of an ApiException."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode()
    return json.loads(body)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def rfc3339(ns: int) -> str:
    """RFC3339Nano like Go's time.Format(time.RFC3339Nano): trailing zeros trimmed."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def flux_records(tables):
    return [rec for t in tables for rec in t.records]
