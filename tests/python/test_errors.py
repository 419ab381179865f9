"""Error answers as the official client sees them (ApiException status + JSON body)."""

import gzip

import pytest
import requests
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from rfhelpers import api_error, client

T = 1_704_067_200
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"


def _count(c, server, measurement):
    flux = f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "{measurement}")'
    return sum(len(t.records) for t in c.query_api().query(flux, org=server.org))


def test_bad_line_is_400_with_line_number(onboarded):
    body = f"good v=1i {T}\ngood v=2i {T + 1}\nthis is not line protocol\ngood v=4i {T + 3}"
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        with pytest.raises(ApiException) as ei:
            w.write(bucket=onboarded.bucket, record=body, write_precision=WritePrecision.S)
        e = ei.value
        assert e.status == 400
        assert "unable to parse" in e.body and '"line"' in e.body
        err = api_error(e)
        assert set(err) == {"code", "message", "line"}
        assert err["code"] == "invalid"
        assert err["line"] == 3
        assert err["message"].startswith("unable to parse 'this is not line protocol': ")
        assert e.headers["Content-Type"].startswith("application/json")
        # The whole body is rejected.
        assert _count(c, onboarded, "good") == 0


@pytest.mark.parametrize("line,reason_part", [
    ("m f=1 notatime", "bad timestamp"),
    ("m", "missing fields"),
    ('m f="unterminated', "unbalanced quotes"),
    ("m f=1i2", "invalid number"),
])
def test_bad_line_reasons(onboarded, line, reason_part):
    """Reasons worded like InfluxDB 2.7's line-protocol parser."""
    with client(onboarded) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record=line)
    assert ei.value.status == 400
    err = api_error(ei.value)
    assert err["code"] == "invalid"
    assert err["line"] == 1
    assert err["message"].startswith(f"unable to parse '{line}': ")
    assert reason_part in err["message"]


def test_bad_token_is_401(onboarded):
    with InfluxDBClient(url=onboarded.url, token="not-the-token", org=onboarded.org, timeout=10_000) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record="m v=1")
        assert ei.value.status == 401
        assert api_error(ei.value) == {"code": "unauthorized", "message": "unauthorized access"}
        with pytest.raises(ApiException) as ei:
            c.query_api().query(f'from(bucket: "{onboarded.bucket}") |> range(start: -1h)')
        assert ei.value.status == 401
        assert api_error(ei.value) == {"code": "unauthorized", "message": "unauthorized access"}


def test_missing_token_is_401(onboarded):
    r = requests.post(onboarded.url + "/api/v2/write", params={"org": onboarded.org, "bucket": onboarded.bucket},
                      data="m v=1", timeout=10)
    assert r.status_code == 401
    assert r.json() == {"code": "unauthorized", "message": "unauthorized access"}


def test_unknown_bucket_is_404(onboarded):
    with client(onboarded) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket="no-such-bucket", record="m v=1")
        assert ei.value.status == 404
        assert api_error(ei.value) == {"code": "not found", "message": 'bucket "no-such-bucket" not found'}
        with pytest.raises(ApiException) as ei:
            c.query_api().query('from(bucket: "no-such-bucket") |> range(start: -1h)')
        assert ei.value.status == 404
        assert api_error(ei.value) == {
            "code": "not found",
            "message": 'failed to initialize execute state: could not find bucket "no-such-bucket"',
        }


def test_unknown_org_is_404(onboarded):
    with InfluxDBClient(url=onboarded.url, token=onboarded.token, org="no-such-org", timeout=10_000) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record="m v=1")
    assert ei.value.status == 404
    assert api_error(ei.value) == {"code": "not found", "message": 'organization name "no-such-org" not found'}


def test_field_type_conflict_is_422_partial_write(onboarded):
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=f"tc,t=a f=1.5 {T}", write_precision=WritePrecision.S)
        with pytest.raises(ApiException) as ei:
            w.write(bucket=onboarded.bucket,
                    record=[f"tc,t=b f=2i {T + 1}", f"tc,t=c g=7i {T + 2}", f"tc,t=d f=3i {T + 3}"],
                    write_precision=WritePrecision.S)
        e = ei.value
        assert e.status == 422
        err = api_error(e)
        assert err == {
            "code": "unprocessable entity",
            "message": "failure writing points to database: partial write: field type conflict: "
                       'input field "f" on measurement "tc" is type integer, already exists as type float dropped=2',
        }
        # The non-conflicting point of the batch was written.
        flux = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "tc")'
        got = sorted((r.values["t"], r.get_field(), r.get_value())
                     for t in c.query_api().query(flux, org=onboarded.org) for r in t.records)
    assert got == [("a", "f", 1.5), ("c", "g", 7)]


def test_flux_compile_error_is_400(onboarded):
    with client(onboarded) as c:
        q = c.query_api()
        for bad in [
            f'from(bucket: "{onboarded.bucket}") |> range(start: -1h',  # unbalanced paren
            f'from(bucket: "{onboarded.bucket}") |> range(start: -1h) |> filter(fn: (r) => r._value ==)',
            "this is not flux",
        ]:
            with pytest.raises(ApiException) as ei:
                q.query(bad, org=onboarded.org)
            assert ei.value.status == 400, bad
            err = api_error(ei.value)
            assert err["code"] == "invalid", bad
            assert err["message"].startswith("compilation failed: "), err


@pytest.mark.ringflux_args("--max-body-size", "4096")
def test_body_too_large_is_413_small_limit(onboarded):
    big = "\n".join(f"big,t=x v={i}i {T + i}" for i in range(1000))  # ~25 KB
    assert len(big) > 4096
    with client(onboarded) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record=big,
                                                         write_precision=WritePrecision.S)
        assert ei.value.status == 413
        assert api_error(ei.value) == {
            "code": "request too large",
            "message": "unable to read data: points batch is too large",
        }
    # Gzip bodies are limited after decompression too.
    same = "\n".join([f"big,t=x v=1i {T}"] * 1000)  # ~24 KB that compresses to well under 4 KB
    assert len(gzip.compress(same.encode())) < 4096 < len(same)
    with client(onboarded, enable_gzip=True) as c:
        with pytest.raises(ApiException) as ei:
            c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record=same,
                                                         write_precision=WritePrecision.S)
        assert ei.value.status == 413
        assert api_error(ei.value)["code"] == "request too large"
        # A body under the limit still goes in.
        c.write_api(write_options=SYNCHRONOUS).write(bucket=onboarded.bucket, record=f"big,t=x v=1i {T}",
                                                     write_precision=WritePrecision.S)
        assert _count(c, onboarded, "big") == 1


def test_invalid_precision_is_400(onboarded):
    r = requests.post(onboarded.url + "/api/v2/write",
                      params={"org": onboarded.org, "bucket": onboarded.bucket, "precision": "h"},
                      headers={"Authorization": f"Token {onboarded.token}"}, data="m v=1 1", timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "invalid",
                        "message": "invalid precision; valid precision units are ns, us, ms, and s"}


def test_point_in_bad_write_does_not_poison_client(onboarded):
    """After an error the same client keeps working."""
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        with pytest.raises(ApiException):
            w.write(bucket=onboarded.bucket, record="broken line here")
        w.write(bucket=onboarded.bucket, record=Point("after").field("v", 1).time(T, WritePrecision.S))
        assert _count(c, onboarded, "after") == 1
