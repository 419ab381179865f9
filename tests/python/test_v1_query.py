"""v1 ``/query`` (InfluxQL) through the official 1.x client (``influxdb``) and Grafana's request
shape: ``query`` with ``epoch``, ``chunked``, bound parameters, several statements,
``get_list_database``, ``get_list_measurements``, errors."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import requests
from influxdb import InfluxDBClient as V1Client
from influxdb.exceptions import InfluxDBClientError

T0 = 1_700_000_000  # seconds


def _v1(server, **kwargs):
    u = urlparse(server.url)
    kwargs.setdefault("database", server.bucket)
    return V1Client(host=u.hostname, port=u.port, timeout=30, headers={"Authorization": f"Token {server.token}"}, **kwargs)


@pytest.fixture
def loaded(onboarded):
    c = _v1(onboarded)
    points = []
    for i in range(6):
        for host, base in (("a", 10), ("b", 20)):
            points.append({
                "measurement": "cpu",
                "tags": {"host": host, "region": "eu" if host == "a" else "us"},
                "time": T0 + i * 10,
                "fields": {"usage": float(base + i), "n": i},
            })
    points.append({"measurement": "mem", "tags": {"host": "a"}, "time": T0, "fields": {"free": 5}})
    assert c.write_points(points, time_precision="s")
    return onboarded


def test_raw_select_with_epoch_and_tags(loaded):
    c = _v1(loaded)
    rs = c.query("SELECT usage, host FROM cpu WHERE host = 'a'", epoch="s")
    pts = list(rs.get_points("cpu"))
    assert [p["time"] for p in pts] == [T0 + i * 10 for i in range(6)]
    assert [p["usage"] for p in pts] == [10.0 + i for i in range(6)]
    assert all(p["host"] == "a" for p in pts)
    rs = c.query("SELECT usage FROM cpu WHERE host = 'b' ORDER BY time DESC LIMIT 2")
    pts = list(rs.get_points())
    assert [p["usage"] for p in pts] == [25.0, 24.0]
    assert pts[0]["time"] == "2023-11-14T22:14:10Z"


def test_group_by_time_and_tags(loaded):
    c = _v1(loaded)
    q = (f"SELECT mean(usage), max(n) FROM cpu WHERE time >= {T0}s AND time < {T0 + 60}s "
         "GROUP BY time(30s), host fill(none)")
    rs = c.query(q, epoch="s")
    a = list(rs.get_points(tags={"host": "a"}))
    b = list(rs.get_points(tags={"host": "b"}))
    w0 = T0 - T0 % 30  # windows are aligned to the epoch: T0 falls 20 s into the first one
    assert [(p["time"], p["mean"], p["max"]) for p in a] == [(w0, 10.0, 0), (w0 + 30, 12.0, 3), (w0 + 60, 14.5, 5)]
    assert [(p["time"], p["mean"]) for p in b] == [(w0, 20.0), (w0 + 30, 22.0), (w0 + 60, 24.5)]
    rs = c.query("SELECT count(usage) FROM cpu")
    assert list(rs.get_points()) == [{"time": "1970-01-01T00:00:00Z", "count": 12}]


def test_bind_params_and_chunked(loaded):
    c = _v1(loaded)
    rs = c.query("SELECT usage FROM cpu WHERE host = $h AND n >= $n", bind_params={"h": "b", "n": 4})
    assert [p["usage"] for p in rs.get_points()] == [24.0, 25.0]
    chunks = list(c.query("SELECT usage FROM cpu", chunked=True, chunk_size=5))
    assert sum(len(list(rs.get_points())) for rs in chunks) == 12
    assert len(chunks) >= 3  # 12 rows in chunks of at most 5


def test_list_databases_and_measurements(loaded):
    c = _v1(loaded)
    assert {"name": loaded.bucket} in c.get_list_database()
    assert c.get_list_measurements() == [{"name": "cpu"}, {"name": "mem"}]
    rs = c.query("SHOW TAG VALUES FROM cpu WITH KEY = host")
    assert sorted(p["value"] for p in rs.get_points()) == ["a", "b"]
    rs = c.query("SHOW FIELD KEYS FROM cpu")
    assert sorted((p["fieldKey"], p["fieldType"]) for p in rs.get_points()) == [("n", "integer"), ("usage", "float")]


def test_grafana_request_shape(loaded):
    """Grafana's InfluxQL data source: GET /query?db=..&epoch=ms&q=<stmt1;stmt2>."""
    q = ("SELECT mean(\"usage\") FROM \"cpu\" WHERE time >= 1699990000s AND time <= now() GROUP BY time(1h) fill(null);"
         "SHOW TAG KEYS FROM \"cpu\"")
    r = requests.get(loaded.url + "/query", params={"db": loaded.bucket, "epoch": "ms", "q": q},
                     headers={"Authorization": f"Token {loaded.token}"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert [res["statement_id"] for res in body["results"]] == [0, 1]
    series = body["results"][0]["series"][0]
    assert series["columns"] == ["time", "mean"]
    assert any(v[1] is not None for v in series["values"])
    assert all(isinstance(v[0], int) for v in series["values"])
    assert body["results"][1]["series"][0]["values"] == [["host"], ["region"]]


def test_errors(loaded):
    c = _v1(loaded)
    with pytest.raises(InfluxDBClientError) as e:
        c.query("SELEKT * FROM cpu")
    assert e.value.code == 400
    r = requests.get(loaded.url + "/query", params={"q": "SELECT * FROM cpu"},
                     headers={"Authorization": f"Token {loaded.token}"}, timeout=10)
    assert r.status_code == 200
    assert r.json() == {"results": [{"statement_id": 0, "error": "database name required"}]}
    r = requests.get(loaded.url + "/query", params={"q": "SELECT * FROM nope.autogen.cpu"},
                     headers={"Authorization": f"Token {loaded.token}"}, timeout=10)
    assert r.json()["results"][0]["error"] == "database not found: nope"
    r = requests.get(loaded.url + "/query", params={"q": "SELECT * FROM cpu", "db": loaded.bucket}, timeout=10)
    assert r.status_code == 401
    r = requests.get(loaded.url + "/query", params={"q": "SELECT usage, mean(usage) FROM cpu", "db": loaded.bucket},
                     headers={"Authorization": f"Token {loaded.token}"}, timeout=10)
    assert r.json()["results"][0]["error"] == "mixing aggregate and non-aggregate queries is not supported"
