"""enable_gzip=True: gzip write bodies (Content-Encoding: gzip) and gzip-accepting queries."""

import gzip

import requests
from influxdb_client import Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from rfhelpers import client

T = 1_704_067_200
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"


def test_gzip_client_write_and_query(onboarded):
    with client(onboarded, enable_gzip=True) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket,
                record=[Point("gz").tag("h", f"h{i % 3}").field("v", i).field("s", f"ünï-{i}").time(T + i, WritePrecision.S)
                        for i in range(2000)])
        w.write(bucket=onboarded.bucket, record=f"gz,h=h9 v=-1i {T}", write_precision=WritePrecision.S)
        flux = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "gz")'
        recs = [r for t in c.query_api().query(flux, org=onboarded.org) for r in t.records]
        csv_rows = [r for r in c.query_api().query_csv(flux, org=onboarded.org) if r[:2] == ["", ""]]
    got = sorted((r.values["h"], r.get_field(), int(r.get_time().timestamp()) - T, r.get_value()) for r in recs)
    want = sorted([(f"h{i % 3}", "v", i, i) for i in range(2000)] + [(f"h{i % 3}", "s", i, f"ünï-{i}") for i in range(2000)]
                  + [("h9", "v", 0, -1)])
    assert got == want
    assert len(csv_rows) == len(want)


def test_gzip_raw_request_headers(onboarded):
    """What the client sends with enable_gzip, done by hand: gzip body in, gzip accepted out."""
    body = gzip.compress(f"gzr v=1.25 {T}\ngzr v=2.5 {T + 1}".encode())
    r = requests.post(onboarded.url + "/api/v2/write",
                      params={"org": onboarded.org, "bucket": onboarded.bucket, "precision": "s"},
                      headers={"Authorization": f"Token {onboarded.token}", "Content-Encoding": "gzip"},
                      data=body, timeout=10)
    assert r.status_code == 204, r.text
    q = requests.post(onboarded.url + "/api/v2/query", params={"org": onboarded.org},
                      headers={"Authorization": f"Token {onboarded.token}", "Accept-Encoding": "gzip",
                               "Content-Type": "application/vnd.flux"},
                      data=f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "gzr")',
                      timeout=10)
    assert q.status_code == 200
    # requests transparently decodes a gzip response, if the server chose to compress.
    assert q.text.splitlines()[1:] == [
        ",_result,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z,1.25,v,gzr",
        ",_result,0,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,2024-01-01T00:00:01Z,2.5,v,gzr",
        "",
    ]


def test_corrupt_gzip_body_is_400(onboarded):
    r = requests.post(onboarded.url + "/api/v2/write",
                      params={"org": onboarded.org, "bucket": onboarded.bucket},
                      headers={"Authorization": f"Token {onboarded.token}", "Content-Encoding": "gzip"},
                      data=b"this is not gzip", timeout=10)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
