"""Acknowledged writes survive SIGKILL; the catalog (org, bucket, token) survives restarts."""

import threading

import requests
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS

T = 1_704_067_200
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"


def _client(url, server):
    return InfluxDBClient(url=url, token=server.token, org=server.org, timeout=30_000)


def _read_all(url, server, measurement):
    flux = f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "{measurement}")'
    with _client(url, server) as c:
        return sorted(
            (r.values["k"], r.get_field(), int(r.get_time().timestamp()) - T, r.get_value())
            for r in c.query_api().query_stream(flux, org=server.org)
        )


def _expected(lo, hi):
    rows = []
    for i in range(lo, hi):
        rows.append((f"k{i % 7}", "s", i, f"s{i}"))
        rows.append((f"k{i % 7}", "v", i, i))
    return sorted(rows)


def _write_range(url, server, lo, hi, threads=1):
    errors = []

    def run(part):
        try:
            with _client(url, server) as c:
                w = c.write_api(write_options=SYNCHRONOUS)
                for i in range(lo + part, hi, threads):
                    # One request per point; write() returns only after the 204.
                    w.write(bucket=server.bucket, record=f'dur,k=k{i % 7} v={i}i,s="s{i}" {T + i}',
                            write_precision="s")
        except Exception as e:  # reported below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(p,)) for p in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert errors == []


def test_sigkill_keeps_acknowledged_writes(ringflux, onboarded):
    _write_range(ringflux.url, onboarded, 0, 300)
    assert _read_all(ringflux.url, onboarded, "dur") == _expected(0, 300)

    url = ringflux.restart_after_kill()
    assert requests.get(url + "/api/v2/setup", timeout=10).json() == {"allowed": False}
    assert _read_all(url, onboarded, "dur") == _expected(0, 300)

    # More writes on top of the replayed WAL, from 4 threads, then another SIGKILL.
    _write_range(url, onboarded, 300, 700, threads=4)
    url = ringflux.restart_after_kill()
    assert _read_all(url, onboarded, "dur") == _expected(0, 700)


def test_graceful_restart_keeps_data(ringflux, onboarded):
    _write_range(ringflux.url, onboarded, 0, 50)
    assert ringflux.stop() == 0
    url = ringflux.start()
    assert _read_all(url, onboarded, "dur") == _expected(0, 50)
    # Still onboarded; a second onboarding is refused.
    r = requests.post(url + "/api/v2/setup",
                      json={"username": "x", "password": "password-x", "org": "x", "bucket": "x"}, timeout=10)
    assert r.status_code == 422
    assert r.json()["code"] == "conflict"


def test_overwrite_survives_sigkill(ringflux, onboarded):
    with _client(ringflux.url, onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=f"dur,k=a v=1i {T}", write_precision="s")
        w.write(bucket=onboarded.bucket, record=f"dur,k=a v=2i {T}", write_precision="s")
    url = ringflux.restart_after_kill()
    assert _read_all(url, onboarded, "dur") == [("a", "v", 0, 2)]
