"""filter() predicates (==, !=, and, or on measurement, field and tags) and range() bounds."""

import itertools
from datetime import datetime, timedelta, timezone

import pytest
import requests
from influxdb_client import Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from rfhelpers import client, rfc3339, utc

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"

MEASUREMENT_FIELDS = {"cpu": ["idle", "usage"], "mem": ["count", "usage"], "disk": ["usage"]}
HOSTS = ["a", "b", "c"]
REGION = {"a": "eu", "b": "us", "c": "eu"}


def _dataset():
    """(measurement, host, region, field, t_seconds, value) for every point."""
    rows = []
    for (m, fields), h, i in itertools.product(MEASUREMENT_FIELDS.items(), HOSTS, range(3)):
        for f in fields:
            v = (len(m) * 100 + HOSTS.index(h) * 10 + i) + (0.5 if f != "count" else 0)
            rows.append((m, h, REGION[h], f, T0 + i * 10, int(v) if f == "count" else v))
    return rows


DATA = _dataset()


def _write(server):
    points = []
    for m, h, r, f, t, v in DATA:
        points.append(Point(m).tag("host", h).tag("region", r).field(f, v).time(t, WritePrecision.S))
    with client(server) as c:
        c.write_api(write_options=SYNCHRONOUS).write(bucket=server.bucket, record=points)


def _query(server, predicate):
    flux = f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => {predicate})'
    with client(server) as c:
        return c.query_api().query(flux, org=server.org)


FILTERS = [
    ('r._measurement == "cpu"', lambda m, h, r, f: m == "cpu"),
    ('r._measurement != "cpu"', lambda m, h, r, f: m != "cpu"),
    ('r["_measurement"] == "disk"', lambda m, h, r, f: m == "disk"),
    ('r.host == "a"', lambda m, h, r, f: h == "a"),
    ('r["host"] != "a"', lambda m, h, r, f: h != "a"),
    ('r._field == "usage"', lambda m, h, r, f: f == "usage"),
    ('r._field != "usage"', lambda m, h, r, f: f != "usage"),
    ('r._measurement == "cpu" and r.host == "b"', lambda m, h, r, f: m == "cpu" and h == "b"),
    ('r._measurement == "mem" or r.region == "us"', lambda m, h, r, f: m == "mem" or r == "us"),
    (
        'r._measurement == "cpu" and r.host == "a" or r._field == "count"',
        lambda m, h, r, f: (m == "cpu" and h == "a") or f == "count",
    ),
    (
        'r._field == "count" or r._measurement == "cpu" and r.host == "a"',
        lambda m, h, r, f: f == "count" or (m == "cpu" and h == "a"),
    ),
    (
        'r.region == "eu" and r._field != "usage" and r._measurement != "mem"',
        lambda m, h, r, f: r == "eu" and f != "usage" and m != "mem",
    ),
    ('r.host == "a" or r.host == "b" or r.host == "c"', lambda m, h, r, f: True),
    ('r.region == "nowhere"', lambda m, h, r, f: False),
    ('r._measurement == "cpu" and r._measurement == "mem"', lambda m, h, r, f: False),
]


@pytest.mark.parametrize("predicate,pyfn", FILTERS, ids=[f[0] for f in FILTERS])
def test_filter(onboarded, predicate, pyfn):
    _write(onboarded)
    tables = _query(onboarded, predicate)
    want = [d for d in DATA if pyfn(*d[:4])]
    # One table per series, in series-key order (measurement, tags, field).
    want_series = sorted({(m, h, r, f) for m, h, r, f, _, _ in want})
    got_series = []
    got_rows = []
    for t in tables:
        keys = {(rec.get_measurement(), rec.values["host"], rec.values["region"], rec.get_field()) for rec in t.records}
        assert len(keys) == 1, keys
        got_series.append(keys.pop())
        for rec in t.records:
            v = rec.get_value()
            assert type(v) is (int if rec.get_field() == "count" else float)
            got_rows.append((rec.get_measurement(), rec.values["host"], rec.values["region"], rec.get_field(),
                             int(rec.get_time().timestamp()), v))
    assert got_series == want_series
    assert sorted(got_rows) == sorted(want)


def test_chained_filters(onboarded):
    _write(onboarded)
    flux = (f'from(bucket: "{onboarded.bucket}") |> {RANGE} '
            '|> filter(fn: (r) => r._measurement == "mem") |> filter(fn: (r) => r.host != "b")')
    with client(onboarded) as c:
        recs = [r for t in c.query_api().query(flux, org=onboarded.org) for r in t.records]
    assert sorted((r.values["host"], r.get_field(), int(r.get_time().timestamp()) - T0) for r in recs) == sorted(
        (h, f, t - T0) for m, h, _, f, t, _ in DATA if m == "mem" and h != "b"
    )


def test_range_absolute_stop_is_exclusive(onboarded):
    base = T0 * 10**9
    offsets = [-1, 0, 1, 5 * 10**9, 10 * 10**9 - 1, 10 * 10**9, 10 * 10**9 + 1]
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket,
            record=[f"rng v={i}i {base + off}" for i, off in enumerate(offsets)],
            write_precision=WritePrecision.NS,
        )
        flux = (f'from(bucket: "{onboarded.bucket}") '
                '|> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T00:00:10Z) '
                '|> filter(fn: (r) => r._measurement == "rng")')
        rows = [r for r in c.query_api().query_csv(flux, org=onboarded.org) if r[:2] == ["", ""]]
        tables = c.query_api().query(flux, org=onboarded.org)
    assert [(r[3], r[4], r[5], r[6]) for r in rows] == [
        ("2024-01-01T00:00:00Z", "2024-01-01T00:00:10Z", rfc3339(base + off), str(i))
        for i, off in enumerate(offsets) if 0 <= off < 10 * 10**9
    ]
    recs = [r for t in tables for r in t.records]
    assert [r.get_value() for r in recs] == [1, 2, 3, 4]
    assert all(r.get_start() == utc(2024, 1, 1) and r.get_stop() == utc(2024, 1, 1, 0, 0, 10) for r in recs)


def test_range_rfc3339_with_fraction_and_offset(onboarded):
    base = T0 * 10**9
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket,
            record=[f"frac v={i}i {base + i * 250_000_000}" for i in range(8)],
        )
        # 2024-01-01T01:00:00.5+01:00 == 2024-01-01T00:00:00.5Z
        flux = (f'from(bucket: "{onboarded.bucket}") '
                '|> range(start: 2024-01-01T01:00:00.5+01:00, stop: 2024-01-01T00:00:01.25Z) '
                '|> filter(fn: (r) => r._measurement == "frac")')
        rows = [r for r in c.query_api().query_csv(flux, org=onboarded.org) if r[:2] == ["", ""]]
    assert [(r[3], r[4], r[5], r[6]) for r in rows] == [
        ("2024-01-01T00:00:00.5Z", "2024-01-01T00:00:01.25Z", rfc3339(base + i * 250_000_000), str(i))
        for i in (2, 3, 4)
    ]


def test_range_relative(onboarded):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    offsets = {"m130": -130, "m59": -59, "m1": -1, "p60": 60}  # minutes from now
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket,
            record=[Point("rel").tag("k", k).field("v", float(m)).time(now + timedelta(minutes=m), WritePrecision.S)
                    for k, m in offsets.items()],
        )
        q = c.query_api()
        before = datetime.now(timezone.utc)
        last_hour = [r for t in q.query(
            f'from(bucket: "{onboarded.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "rel")',
            org=onboarded.org) for r in t.records]
        after = datetime.now(timezone.utc)
        window = [r for t in q.query(
            f'from(bucket: "{onboarded.bucket}") |> range(start: -3h, stop: -30m) '
            '|> filter(fn: (r) => r._measurement == "rel")', org=onboarded.org) for r in t.records]
        future = [r for t in q.query(
            f'from(bucket: "{onboarded.bucket}") |> range(start: -1m, stop: 2h) '
            '|> filter(fn: (r) => r._measurement == "rel")', org=onboarded.org) for r in t.records]
    assert sorted(r.values["k"] for r in last_hour) == ["m1", "m59"]
    for r in last_hour:
        assert r.get_time() == now + timedelta(minutes=offsets[r.values["k"]])
        # _stop is the query's now, _start is now - 1h.
        assert before - timedelta(seconds=1) <= r.get_stop() <= after + timedelta(seconds=1)
        assert r.get_stop() - r.get_start() == timedelta(hours=1)
    assert sorted(r.values["k"] for r in window) == ["m130", "m59"]
    assert sorted(r.values["k"] for r in future) == ["p60"]


def test_range_relative_to_json_now(onboarded):
    """JSON body with an explicit "now" (plain HTTP: the client does not send one)."""
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket,
            record=[f"jn v={i}i {T0 + i * 600}" for i in range(6)],  # every 10 minutes
            write_precision=WritePrecision.S,
        )
    r = requests.post(
        onboarded.url + "/api/v2/query",
        params={"org": onboarded.org},
        headers={"Authorization": f"Token {onboarded.token}", "Accept": "application/csv"},
        json={
            "query": f'from(bucket: "{onboarded.bucket}") |> range(start: -30m) |> filter(fn: (r) => r._measurement == "jn")',
            "now": "2024-01-01T00:50:00Z",
            "dialect": {"annotations": []},
        },
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.text == (
        ",result,table,_start,_stop,_time,_value,_field,_measurement\r\n"
        ",_result,0,2024-01-01T00:20:00Z,2024-01-01T00:50:00Z,2024-01-01T00:20:00Z,2,v,jn\r\n"
        ",_result,0,2024-01-01T00:20:00Z,2024-01-01T00:50:00Z,2024-01-01T00:30:00Z,3,v,jn\r\n"
        ",_result,0,2024-01-01T00:20:00Z,2024-01-01T00:50:00Z,2024-01-01T00:40:00Z,4,v,jn\r\n"
        "\r\n"
    )
