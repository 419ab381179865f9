"""Flux programs beyond ``from |> range |> filter`` through the official client: the
interpreter path of ``POST /api/v2/query`` (``query``, ``query_stream``, ``query_csv``,
``query_data_frame``), parameterized queries, several ``yield``s, and errors with positions."""

from __future__ import annotations

import pytest
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from rfhelpers import api_error, client, flux_records

T = 1_704_067_200  # 2024-01-01T00:00:00Z
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"


@pytest.fixture
def loaded(onboarded):
    lines = []
    for i in range(10):
        for host, base in (("a", 1), ("b", 100)):
            lines.append(f"cpu,host={host} usage={base + i}.5,n={i}i {T + i * 60}")
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record="\n".join(lines), write_precision="s")
    return onboarded


def q(server, text, **kw):
    with client(server) as c:
        return flux_records(c.query_api().query(text, org=server.org, **kw))


def test_map_with_interpolation_group_sort_limit(loaded):
    recs = q(loaded, f'''
        from(bucket: "{loaded.bucket}") |> {RANGE}
          |> filter(fn: (r) => r._field == "usage")
          |> map(fn: (r) => ({{r with label: "${{r.host}}-${{string(v: r._value)}}", _value: r._value * 2.0}}))
          |> group()
          |> sort(columns: ["_value"], desc: true)
          |> limit(n: 3)''')
    assert [r.get_value() for r in recs] == [219.0, 217.0, 215.0]
    assert recs[0].values["label"] == "b-109.5"


def test_params_and_several_yields(loaded):
    # The client sends `params` as `extern` options: `option bucket = "…"` etc.
    text = f'''
        data = from(bucket: bucket) |> {RANGE} |> filter(fn: (r) => r.host == host and r._field == "n")
        data |> filter(fn: (r) => r._value < lt) |> yield(name: "small")
        data |> filter(fn: (r) => r._value >= lt) |> yield(name: "big")'''
    with client(loaded) as c:
        tables = c.query_api().query(text, org=loaded.org, params={"bucket": loaded.bucket, "host": "a", "lt": 3})
    by_result = {}
    for t in tables:
        for r in t.records:
            by_result.setdefault(r.values["result"], []).append(r.get_value())
    assert by_result == {"small": [0, 1, 2], "big": [3, 4, 5, 6, 7, 8, 9]}


def test_json_params_record(loaded):
    """`params` in the JSON body (the API's own form) is the `params` record."""
    import requests
    r = requests.post(loaded.url + "/api/v2/query", params={"org": loaded.org},
                      headers={"Authorization": f"Token {loaded.token}", "Content-Type": "application/json"},
                      json={"query": f'from(bucket: params.b) |> {RANGE} |> filter(fn: (r) => r._field == params.f and r.host == "a") |> keep(columns: ["_value"])',
                            "params": {"b": loaded.bucket, "f": "n"}})
    assert r.status_code == 200, r.text
    values = [line.split(",")[-1] for line in r.text.strip().splitlines()[1:]]
    assert values == [str(i) for i in range(10)], r.text


def test_pivot_stream_csv_and_data_frame(loaded):
    text = f'''
        from(bucket: "{loaded.bucket}") |> {RANGE}
          |> filter(fn: (r) => r.host == "a")
          |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
          |> keep(columns: ["_time", "usage", "n"])'''
    with client(loaded) as c:
        api = c.query_api()
        rows = list(api.query_stream(text, org=loaded.org))
        assert [(r.values["n"], r.values["usage"]) for r in rows][:2] == [(0, 1.5), (1, 2.5)]
        csv_rows = list(api.query_csv(text, org=loaded.org))
        assert any("usage" in row for row in csv_rows)
        df = api.query_data_frame(text, org=loaded.org)
        assert list(df["n"]) == list(range(10))
        assert df["usage"].sum() == sum(i + 1.5 for i in range(10))


def test_errors_name_the_function_and_position(loaded):
    with client(loaded) as c:
        with pytest.raises(ApiException) as e:
            c.query_api().query(f'from(bucket: "{loaded.bucket}") |> {RANGE} |> nosuchfn()', org=loaded.org)
    assert e.value.status == 400
    body = api_error(e.value)
    assert body["code"] == "invalid"
    assert "nosuchfn" in body["message"] and "@1:" in body["message"], body
    with client(loaded) as c:
        with pytest.raises(ApiException) as e:
            c.query_api().query('x = 1 + 2.0\nx', org=loaded.org)
    assert e.value.status == 400
    assert "@2:1" in api_error(e.value)["message"] or "type" in api_error(e.value)["message"]


def _rows(recs):
    return sorted((r.values.get("host"), r.get_field(), str(r.values.get("_time")), r.get_value()) for r in recs)


@pytest.mark.parametrize("fn", ["mean", "sum", "count", "min", "max", "first", "last"])
def test_pushed_aggregates_match_the_unpushed_pipeline(loaded, fn):
    """`aggregateWindow` / plain aggregates on a storage read run in the shards; the same
    pipeline with an identity `map` in front runs on the coordinator. Both must agree."""
    base = f'from(bucket: "{loaded.bucket}") |> {RANGE} |> filter(fn: (r) => r._field == "usage")'
    unpushed = base + " |> map(fn: (r) => r)"
    for tail in (f"|> aggregateWindow(every: 3m, fn: {fn})",
                 f"|> aggregateWindow(every: 3m, fn: {fn}, createEmpty: false, timeSrc: \"_start\")",
                 f"|> {fn}()"):
        pushed = _rows(q(loaded, f"{base} {tail}"))
        generic = _rows(q(loaded, f"{unpushed} {tail}"))
        assert pushed == generic, (tail, pushed, generic)
        assert pushed


def test_lastpoint(loaded):
    recs = q(loaded, f'from(bucket: "{loaded.bucket}") |> range(start: 0) |> last()')
    got = {(r.values["host"], r.get_field()): r.get_value() for r in recs}
    assert got == {("a", "usage"): 10.5, ("a", "n"): 9, ("b", "usage"): 109.5, ("b", "n"): 9}
