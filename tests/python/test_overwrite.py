"""Same series + timestamp written twice: fields merge, the last write wins per field."""

from influxdb_client import Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from rfhelpers import client

T = 1_704_067_200  # 2024-01-01T00:00:00Z
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T01:00:00Z)"


def _rows(c, server, measurement):
    flux = f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "{measurement}")'
    return sorted(
        (tuple(sorted((k, v) for k, v in r.values.items() if not k.startswith("_") and k not in ("result", "table"))),
         r.get_field(), int(r.get_time().timestamp()) - T, r.get_value())
        for t in c.query_api().query(flux, org=server.org) for r in t.records
    )


def test_overwrite_merges_fields_last_write_wins(onboarded):
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        b = onboarded.bucket
        w.write(bucket=b, record=Point("ow").tag("t", "a").field("f", 1.0).field("g", 2).field("s", "old")
                .time(T, WritePrecision.S))
        w.write(bucket=b, record=Point("ow").tag("t", "a").field("f", 3.5).field("h", "x").field("s", "new")
                .time(T, WritePrecision.S))
        # A different timestamp is a different point.
        w.write(bucket=b, record=Point("ow").tag("t", "a").field("f", 9.0).time(T + 1, WritePrecision.S))
        rows = _rows(c, onboarded, "ow")
    tags = (("t", "a"),)
    assert rows == [
        (tags, "f", 0, 3.5),
        (tags, "f", 1, 9.0),
        (tags, "g", 0, 2),
        (tags, "h", 0, "x"),
        (tags, "s", 0, "new"),
    ]


def test_overwrite_within_one_request(onboarded):
    body = "\n".join([
        f"dup,t=b f=1,b=true {T}",
        f"dup,t=b f=2 {T}",
        f"dup,t=b b=false,i=7i {T}",
        f"dup,t=b i=8i {T}",
    ])
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record=body,
                                                     write_precision=WritePrecision.S)
        rows = _rows(c, onboarded, "dup")
    tags = (("t", "b"),)
    assert rows == [(tags, "b", 0, False), (tags, "f", 0, 2.0), (tags, "i", 0, 8)]


def test_overwrite_string_field(onboarded):
    """A string field written twice at the same timestamp keeps the last value only."""
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=f"str s=\"old\" {T}", write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, record=f"str s=\"new\" {T}", write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, record=f"str2 s=\"one\" {T}\nstr2 s=\"two\" {T}",
                write_precision=WritePrecision.S)
        assert _rows(c, onboarded, "str") == [((), "s", 0, "new")]
        assert _rows(c, onboarded, "str2") == [((), "s", 0, "two")]


def test_overwrite_tag_order_is_same_series(onboarded):
    """Tag order in the line does not matter: the series key is sorted."""
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=f"ord,z=1,a=2 v=1i {T}", write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, record=f"ord,a=2,z=1 v=5i {T}", write_precision=WritePrecision.S)
        rows = _rows(c, onboarded, "ord")
    assert rows == [((("a", "2"), ("z", "1")), "v", 0, 5)]


def test_overwrite_across_precisions(onboarded):
    """The same instant written with s, ms, us and ns precision is one point."""
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=f"pr v=1i {T}", write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, record=f"pr v=2i {T * 1000}", write_precision=WritePrecision.MS)
        w.write(bucket=onboarded.bucket, record=f"pr v=3i {T * 10**6}", write_precision=WritePrecision.US)
        w.write(bucket=onboarded.bucket, record=f"pr v=4i {T * 10**9}", write_precision=WritePrecision.NS)
        rows = _rows(c, onboarded, "pr")
    assert rows == [((), "v", 0, 4)]


def test_out_of_order_writes_and_duplicates(onboarded):
    """Timestamps written out of order come back sorted; duplicates keep the last write."""
    order = [5, 1, 3, 1, 4, 2, 5, 0, 3]  # 1, 3 and 5 written twice
    body = "\n".join(
        f'ooo f={n}.5,i={n}i,u={n}u,b={"true" if n % 2 else "false"},s="v{n}-{k}" {T + t}'
        for k, (n, t) in enumerate(zip(range(100, 100 + len(order)), order))
    )
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        for line in body.splitlines():  # one request per line
            w.write(bucket=onboarded.bucket, record=line, write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, record=body.replace("ooo ", "ooo2 "), write_precision=WritePrecision.S)
        for m in ("ooo", "ooo2"):
            rows = _rows(c, onboarded, m)
            last = {}
            for k, (n, t) in enumerate(zip(range(100, 100 + len(order)), order)):
                last[t] = (n, k)
            want = []
            for t, (n, k) in sorted(last.items()):
                want += [((), "b", t, n % 2 == 1), ((), "f", t, n + 0.5), ((), "i", t, n),
                         ((), "s", t, f"v{n}-{k}"), ((), "u", t, n)]
            assert rows == sorted(want), m
            # And the per-table order is by time.
            flux = (f'from(bucket: "{onboarded.bucket}") |> {RANGE} '
                    f'|> filter(fn: (r) => r._measurement == "{m}" and r._field == "s")')
            times = [r.get_time() for t in c.query_api().query(flux, org=onboarded.org) for r in t.records]
            assert times == sorted(times) and len(times) == 6


def test_long_string_value_roundtrip(onboarded):
    s = "x" * 40_000 + "é" * 1000 + '"' + "\\"
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=Point("longs").field("s", s).time(T, WritePrecision.S))
        assert _rows(c, onboarded, "longs") == [((), "s", 0, s)]
