"""``POST /api/v2/delete`` through the official client's ``DeleteApi.delete``.

Data: measurement ``m`` with hosts ``a`` and ``b``, measurement ``n`` with host ``a``, and
measurement ``nohost`` without the tag; one point per second at T+0 … T+9 in each series.
Deletes are by time range (inclusive at both ends, as InfluxDB 2.7), by predicate, and both;
every check reads the whole bucket back with Flux and compares with the expected survivors.
The error tests need only the HTTP edge; the others need the storage side of delete.
"""

from __future__ import annotations

import pytest
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from rfhelpers import api_error, client, rfc3339

T = 1_704_067_200  # 2024-01-01T00:00:00Z
N = 10
RANGE = "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)"
SERIES = [("m", "a"), ("m", "b"), ("n", "a"), ("nohost", None)]
ALL = "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"


def _sec(i: int) -> str:
    return rfc3339((T + i) * 1_000_000_000)


def _write(server):
    lines = []
    for meas, host in SERIES:
        key = meas if host is None else f"{meas},host={host}"
        lines += [f"{key} v={i}i {T + i}" for i in range(N)]
    with client(server) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=server.bucket, record="\n".join(lines), write_precision="s"
        )


def _points(server) -> set:
    """{(measurement, host or None, second)} of every point in the bucket."""
    flux = f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => r._field == "v")'
    out = set()
    with client(server) as c:
        for rec in c.query_api().query_stream(flux, org=server.org):
            sec = int(rec.get_time().timestamp()) - T
            assert rec.get_value() == sec
            out.add((rec.get_measurement(), rec.values.get("host"), sec))
    return out


def _all_points() -> set:
    return {(m, h, i) for m, h in SERIES for i in range(N)}


def _delete(server, start, stop, predicate=""):
    with client(server) as c:
        c.delete_api().delete(start, stop, predicate, bucket=server.bucket, org=server.org)


# --- needs the storage side ------------------------------------------------------------------


def test_delete_time_range_inclusive(onboarded):
    _write(onboarded)
    assert _points(onboarded) == _all_points()
    _delete(onboarded, _sec(2), _sec(4))
    want = {p for p in _all_points() if not 2 <= p[2] <= 4}
    assert _points(onboarded) == want


def test_delete_by_measurement_and_tag(onboarded):
    _write(onboarded)
    _delete(onboarded, *ALL, predicate='_measurement="m" AND host="a"')
    want = {p for p in _all_points() if (p[0], p[1]) != ("m", "a")}
    assert _points(onboarded) == want


def test_delete_predicate_within_range(onboarded):
    _write(onboarded)
    _delete(onboarded, _sec(3), _sec(5), predicate='_measurement="m" and host="b"')
    want = {p for p in _all_points() if not ((p[0], p[1]) == ("m", "b") and 3 <= p[2] <= 5)}
    assert _points(onboarded) == want
    # Later writes into the deleted range are visible again.
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket, record=f"m,host=b v=4i {T + 4}", write_precision="s"
        )
    assert _points(onboarded) == want | {("m", "b", 4)}


def test_delete_not_equal_skips_series_without_the_tag(onboarded):
    # As InfluxDB 2.7: a condition on a tag the series lacks is false, even for !=.
    _write(onboarded)
    _delete(onboarded, *ALL, predicate='host!="a"')
    want = {p for p in _all_points() if (p[0], p[1]) != ("m", "b")}
    assert _points(onboarded) == want


def test_delete_survives_restart(ringflux, onboarded):
    _write(onboarded)
    _delete(onboarded, *ALL, predicate='_measurement="m" AND host="a"')
    _delete(onboarded, _sec(0), _sec(0))
    want = {p for p in _all_points() if (p[0], p[1]) != ("m", "a") and p[2] != 0}
    assert _points(onboarded) == want

    url = ringflux.restart_after_kill()  # SIGKILL: the delete must already be durable
    server = onboarded._replace(url=url)
    assert _points(server) == want

    assert ringflux.stop() == 0
    server = server._replace(url=ringflux.start())
    assert _points(server) == want


# --- HTTP edge only --------------------------------------------------------------------------


def _delete_error(server, status, message, *, bucket=None, org=None, predicate="", start=None, stop=None):
    with client(server) as c:
        with pytest.raises(ApiException) as ei:
            c.delete_api().delete(
                start or ALL[0],
                stop or ALL[1],
                predicate,
                bucket=bucket or server.bucket,
                org=org or server.org,
            )
    assert ei.value.status == status, ei.value.body
    assert api_error(ei.value)["message"] == message


def test_delete_rejections(onboarded):
    _write(onboarded)
    prefix = "error decoding json body: "
    _delete_error(
        onboarded, 400, prefix + "the logical operator OR is not supported yet at position 9",
        predicate='host="a" OR host="b"',
    )
    _delete_error(
        onboarded, 400, prefix + 'operator: "=~" at position: 4 is not supported yet',
        predicate="host=~/a/",
    )
    _delete_error(
        onboarded, 400, prefix + 'bad tag value: "a", at position 5', predicate="host='a'"
    )
    _delete_error(
        onboarded, 400, prefix + "invalid time range, start time must not be after stop time",
        start=_sec(5), stop=_sec(4),
    )
    _delete_error(onboarded, 501, "delete by field is not supported", predicate='_field="v"')
    _delete_error(onboarded, 404, 'bucket "nope" not found', bucket="nope")
    _delete_error(onboarded, 404, 'organization name "nope" not found', org="nope")
    # Nothing was deleted by any of them.
    assert _points(onboarded) == _all_points()
