"""The storage engine end to end with the official client: writes land in compressed segment
files (flush), compaction merges them, restarts (clean and SIGKILL) keep every acknowledged
point, deletes stay deleted, retention and the per-bucket series limit answer as InfluxDB 2.7.

Flushes and compactions are forced through the operator endpoints
``POST /debug/ringflux/{flush,compact}``; one test lets the daemon flush on its own with a tiny
``--storage-cache-snapshot-memory-size``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from influxdb_client import BucketRetentionRules
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from rfhelpers import api_error, client

T = 1_704_067_200  # 2024-01-01T00:00:00Z, seconds
HOSTS = 20
POINTS = 300  # per host
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"


def _maintain(server, op: str) -> dict:
    r = requests.post(
        f"{server.url}/debug/ringflux/{op}",
        headers={"Authorization": f"Token {server.token}"},
        timeout=60,
    )
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def _write_lines(server, lines, bucket=None):
    with client(server) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=bucket or server.bucket, record="\n".join(lines), write_precision="s"
        )


def _read(server, bucket=None) -> dict:
    """{(host, field, second): value} of every point in the bucket."""
    flux = f'from(bucket: "{bucket or server.bucket}") |> {RANGE}'
    out = {}
    with client(server) as c:
        for rec in c.query_api().query_stream(flux, org=server.org):
            key = (rec.values.get("host"), rec.get_field(), int(rec.get_time().timestamp()) - T)
            assert key not in out, f"duplicate point {key}"
            out[key] = rec.get_value()
    return out


def _segments(engine_dir: Path) -> list:
    return sorted(engine_dir.glob("data/shard-*/*.seg"))


def _wal_bytes(engine_dir: Path) -> int:
    return sum(p.stat().st_size for p in engine_dir.glob("wal/shard-*/*.wal"))


def test_flush_overwrite_compact_restart_delete(ringflux, onboarded):
    server = onboarded
    want = {}
    # Round 1: every host, two fields.
    lines = []
    for h in range(HOSTS):
        for i in range(POINTS):
            lines.append(f"cpu,host=h{h:02d} usage={h + i / 8},n={i}i {T + i}")
            want[(f"h{h:02d}", "usage", i)] = h + i / 8
            want[(f"h{h:02d}", "n", i)] = i
    _write_lines(server, lines)
    assert _maintain(server, "flush")["flushedPoints"] == len(want)
    assert _segments(ringflux.engine_dir), "the flush wrote no segment file"

    # Round 2: overwrite every 5th point (last write wins over the segment) and add a field.
    lines = []
    for h in range(0, HOSTS, 2):
        for i in range(0, POINTS, 5):
            lines.append(f"cpu,host=h{h:02d} usage=-1.5,extra=true {T + i}")
            want[(f"h{h:02d}", "usage", i)] = -1.5
            want[(f"h{h:02d}", "extra", i)] = True
    _write_lines(server, lines)
    assert _read(server) == want  # head + segment merged
    _maintain(server, "flush")
    _maintain(server, "flush")  # empty head: nothing to do
    _maintain(server, "compact")
    # (Finished partitions are also compacted in the background, so the compaction may have
    # happened before the request.) One partition, two shards: at most one file per shard.
    assert 1 <= len(_segments(ringflux.engine_dir)) <= 2, _segments(ringflux.engine_dir)
    assert _read(server) == want

    # Clean restart: the close flushed, so there is next to no WAL to replay.
    assert ringflux.stop() == 0
    assert _wal_bytes(ringflux.engine_dir) <= 2 * 8192 * 2  # one fresh segment per shard
    server = server._replace(url=ringflux.start())
    assert _read(server) == want

    # Delete one host in a time window, then crash: the delete must hold after SIGKILL.
    with client(server) as c:
        c.delete_api().delete(
            "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z", 'host="h03"',
            bucket=server.bucket, org=server.org,
        )
    want = {k: v for k, v in want.items() if not (k[0] == "h03" and 60 <= k[2] <= 120)}
    assert _read(server) == want
    server = server._replace(url=ringflux.restart_after_kill())
    assert _read(server) == want
    # Compaction applies the tombstone physically; the result is the same.
    _maintain(server, "compact")
    assert _read(server) == want
    server = server._replace(url=ringflux.restart_after_kill())
    assert _read(server) == want


def test_field_type_conflict_survives_flush_and_restart(ringflux, onboarded):
    """A field's type is fixed by data that lives only in segment files after a flush and a
    clean restart (no WAL left to replay): another type is still a 422 partial write."""
    server = onboarded
    _write_lines(server, [f"typed,host=a v=1i {T}"])
    _maintain(server, "flush")
    assert ringflux.stop() == 0
    server = server._replace(url=ringflux.start())
    with pytest.raises(ApiException) as e:
        _write_lines(server, [f"typed,host=a v=2.5 {T + 1}"])
    assert e.value.status == 422
    body = api_error(e.value)
    assert "field type conflict" in body["message"], body
    assert _read(server)[("a", "v", 0)] == 1


@pytest.mark.ringflux_args("--storage-cache-snapshot-memory-size", "64KiB")
def test_background_flushes_keep_every_acknowledged_point_across_sigkill(ringflux, onboarded):
    server = onboarded
    want = {}
    for batch in range(10):
        lines = []
        for h in range(HOSTS):
            for j in range(50):
                i = batch * 50 + j
                lines.append(f"cpu,host=h{h:02d} v={i * h}i {T + i}")
                want[(f"h{h:02d}", "v", i)] = i * h
        _write_lines(server, lines)
    deadline = time.time() + 20
    while not _segments(ringflux.engine_dir) and time.time() < deadline:
        time.sleep(0.05)
    assert _segments(ringflux.engine_dir), "no background flush happened"
    server = server._replace(url=ringflux.restart_after_kill())
    assert _read(server) == want


def test_retention_drops_old_points_with_422(onboarded):
    server = onboarded
    with client(server) as c:
        c.buckets_api().create_bucket(
            bucket_name="short",
            org=server.org,
            retention_rules=BucketRetentionRules(type="expire", every_seconds=3600),
        )
        now = int(time.time())
        with pytest.raises(ApiException) as e:
            c.write_api(write_options=SYNCHRONOUS).write(
                bucket="short",
                record=[f"m v=1i {now - 7200}", f"m v=2i {now}"],
                write_precision="s",
            )
        assert e.value.status == 422
        assert api_error(e.value) == {
            "code": "unprocessable entity",
            "message": "failure writing points to database: partial write: points beyond retention policy dropped=1",
        }
        rows = [
            r.get_value()
            for t in c.query_api().query('from(bucket: "short") |> range(start: -1d)')
            for r in t.records
        ]
        assert rows == [2]


@pytest.mark.ringflux_args("--storage-max-series-per-bucket", "10")
def test_series_limit_answers_429_with_retry_after(onboarded):
    server = onboarded
    _write_lines(server, [f"m,host=h{i} v=1i {T}" for i in range(8)])
    r = requests.post(
        f"{server.url}/api/v2/write?org={server.org}&bucket={server.bucket}&precision=s",
        headers={"Authorization": f"Token {server.token}"},
        data="\n".join(f"m,host=n{i} v=1i {T}" for i in range(5)),
        timeout=10,
    )
    assert r.status_code == 429, r.text
    assert r.headers.get("Retry-After") == "1"
    assert r.json()["code"] == "too many requests"
    assert "series limit" in r.json()["message"]
    # Writes to existing series still work, and the bucket stays below the limit.
    _write_lines(server, [f"m,host=h{i} v=2i {T + 1}" for i in range(8)])
    hosts = {k[0] for k in _read(server)}
    assert len(hosts) <= 10


def test_storage_metrics_are_exported(ringflux, onboarded):
    server = onboarded
    _write_lines(server, [f"m,host=h{i} v=1i {T}" for i in range(4)])
    _maintain(server, "flush")
    text = requests.get(f"{server.url}/metrics", timeout=10).text
    for name in (
        "ringflux_storage_segments",
        "ringflux_storage_segment_bytes",
        "ringflux_storage_corrupt_blocks_total",
        "ringflux_storage_block_cache_hits_total",
    ):
        assert f"# TYPE {name} " in text, text


def test_maintenance_endpoints_need_a_token(ringflux, onboarded):
    r = requests.post(f"{ringflux.url}/debug/ringflux/flush", timeout=10)
    assert r.status_code == 401
    r = requests.get(f"{ringflux.url}/debug/ringflux/flush", timeout=10)
    assert r.status_code == 405


def test_deleting_a_bucket_frees_its_segment_files(ringflux, onboarded):
    server = onboarded
    with client(server) as c:
        b = c.buckets_api().create_bucket(bucket_name="scratch", org=server.org)
        _write_lines(server, [f"m,host=h{i} v={i}i {T + i}" for i in range(100)], bucket="scratch")
        _maintain(server, "flush")
        assert _segments(ringflux.engine_dir)
        c.buckets_api().delete_bucket(b)
    deadline = time.time() + 15
    while _segments(ringflux.engine_dir) and time.time() < deadline:
        time.sleep(0.05)
    assert _segments(ringflux.engine_dir) == []
    # A bucket re-created with the same name starts empty.
    with client(server) as c:
        c.buckets_api().create_bucket(bucket_name="scratch", org=server.org)
    assert _read(server, bucket="scratch") == {}
