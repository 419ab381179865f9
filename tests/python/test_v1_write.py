"""v1 compatibility edges: POST /write through the official 1.x client (`influxdb`), DBRP
mappings through the v2 client's DBRPsService, legacy authorizations over plain HTTP, and the
points read back with Flux to prove they landed in the mapped bucket."""

from urllib.parse import urlparse

import pytest
import requests
from influxdb import InfluxDBClient as V1Client
from influxdb.exceptions import InfluxDBClientError
from influxdb_client.domain.dbrp_create import DBRPCreate
from influxdb_client.domain.dbrp_update import DBRPUpdate
from influxdb_client.rest import ApiException
from influxdb_client.service.dbr_ps_service import DBRPsService

from rfhelpers import api_error, client, flux_records

V1_USER = "v1-writer"
V1_PASSWORD = "v1-password-123"


def _auth(server):
    return {"Authorization": f"Token {server.token}"}


def _ids(server, bucket=None):
    r = requests.get(
        server.url + "/api/v2/buckets",
        params={"org": server.org, "name": bucket or server.bucket},
        headers=_auth(server),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    b = r.json()["buckets"][0]
    return b["orgID"], b["id"]


def _create_bucket(server, name):
    org_id, _ = _ids(server)
    r = requests.post(
        server.url + "/api/v2/buckets",
        json={"orgID": org_id, "name": name},
        headers=_auth(server),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _legacy_auth(server, username=V1_USER, password=V1_PASSWORD, actions=("read", "write"), bucket_id=None):
    org_id, default_bucket = _ids(server)
    perms = [
        {"action": a, "resource": {"type": "buckets", "id": bucket_id or default_bucket, "orgID": org_id}}
        for a in actions
    ]
    r = requests.post(
        server.url + "/private/legacy/authorizations",
        json={"orgID": org_id, "token": username, "description": "v1 user", "permissions": perms},
        headers=_auth(server),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    a = r.json()
    if password is not None:
        r = requests.post(
            server.url + f"/private/legacy/authorizations/{a['id']}/password",
            json={"password": password},
            headers=_auth(server),
            timeout=10,
        )
        assert r.status_code == 204, r.text
    return a


def _v1(server, **kwargs):
    u = urlparse(server.url)
    return V1Client(host=u.hostname, port=u.port, timeout=30, **kwargs)


def _read(server, bucket, measurement):
    q = (
        f'from(bucket: "{bucket}") |> range(start: 2000-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z)'
        f' |> filter(fn: (r) => r._measurement == "{measurement}")'
    )
    with client(server) as c:
        recs = flux_records(c.query_api().query(q))
    return sorted((r.get_time().isoformat(), r.get_field(), r.get_value(), r.values.get("host")) for r in recs)


def _point(measurement, t, value, host="a"):
    return {"measurement": measurement, "tags": {"host": host}, "time": t, "fields": {"value": value}}


def test_v1_client_writes_with_a_legacy_user_into_the_virtual_mapping(onboarded):
    _legacy_auth(onboarded)
    c = _v1(onboarded, username=V1_USER, password=V1_PASSWORD, database=onboarded.bucket)
    # Integer epochs in the requested precision: 1.x semantics for every unit.
    assert c.write_points([_point("m_ms", 1_700_000_000_123, 1.5)], time_precision="ms")
    assert c.write_points([_point("m_u", 1_700_000_000_123_456, 2.5)], time_precision="u")
    assert c.write_points([_point("m_s", 1_700_000_000, 3.5)], time_precision="s")
    assert c.write_points([_point("m_h", 472_222, 4.5)], time_precision="h")
    assert c.write_points([_point("m_ns", "2024-01-02T03:04:05.123456789Z", 5.5)])
    assert _read(onboarded, onboarded.bucket, "m_ms") == [("2023-11-14T22:13:20.123000+00:00", "value", 1.5, "a")]
    assert _read(onboarded, onboarded.bucket, "m_u") == [("2023-11-14T22:13:20.123456+00:00", "value", 2.5, "a")]
    assert _read(onboarded, onboarded.bucket, "m_s") == [("2023-11-14T22:13:20+00:00", "value", 3.5, "a")]
    assert _read(onboarded, onboarded.bucket, "m_h") == [("2023-11-14T22:00:00+00:00", "value", 4.5, "a")]
    assert len(_read(onboarded, onboarded.bucket, "m_ns")) == 1
    # gzip goes through the same ingest path.
    gz = _v1(onboarded, username=V1_USER, password=V1_PASSWORD, database=onboarded.bucket, gzip=True)
    assert gz.write_points([_point("m_gz", 1_700_000_000, 6.5)], time_precision="s")
    assert _read(onboarded, onboarded.bucket, "m_gz") == [("2023-11-14T22:13:20+00:00", "value", 6.5, "a")]


def test_v1_client_writes_with_a_v2_token(onboarded):
    # Authorization: Token <token>
    c = _v1(onboarded, database=onboarded.bucket, headers={"Authorization": f"Token {onboarded.token}"})
    assert c.write_points([_point("tok", 1_700_000_000, 1.0, "h1")], time_precision="s")
    # Basic auth with an unknown user: the password is tried as a v2 token.
    c = _v1(onboarded, username="anyone", password=onboarded.token, database=onboarded.bucket)
    assert c.write_points([_point("tok", 1_700_000_001, 2.0, "h2")], time_precision="s", retention_policy="autogen")
    # u/p query parameters.
    r = requests.post(
        onboarded.url + "/write",
        params={"db": onboarded.bucket, "u": "x", "p": onboarded.token, "precision": "s", "consistency": "all"},
        data="tok,host=h3 value=3 1700000002\n",
        timeout=10,
    )
    assert r.status_code == 204, r.text
    got = _read(onboarded, onboarded.bucket, "tok")
    assert [(g[2], g[3]) for g in got] == [(1.0, "h1"), (2.0, "h2"), (3.0, "h3")]


def test_dbrp_crud_through_the_v2_client(onboarded):
    org_id, bucket_id = _ids(onboarded)
    other_id = _create_bucket(onboarded, "other")
    with client(onboarded) as c:
        svc = DBRPsService(c.api_client)
        a = svc.post_dbrp(DBRPCreate(org_id=org_id, bucket_id=bucket_id, database="mydb", retention_policy="one"))
        assert (a.database, a.retention_policy, a.default, a.bucket_id, a.org_id) == (
            "mydb", "one", True, bucket_id, org_id,
        )
        b = svc.post_dbrp(DBRPCreate(org=onboarded.org, bucket_id=other_id, database="mydb", retention_policy="two"))
        assert b.default is False
        got = svc.get_dbr_ps_id(b.id, org_id=org_id).content
        assert (got.id, got.retention_policy, got.virtual) == (b.id, "two", False)

        # Listing: explicit mappings, then a virtual one per bucket.
        listed = svc.get_dbr_ps(org_id=org_id).content
        explicit = [m for m in listed if not m.virtual]
        assert [m.id for m in explicit] == sorted([a.id, b.id])
        virtual = {m.database: m for m in listed if m.virtual}
        assert virtual[onboarded.bucket].retention_policy == "autogen"
        assert virtual[onboarded.bucket].bucket_id == bucket_id
        assert virtual[onboarded.bucket].id == bucket_id
        assert {"other", "_monitoring", "_tasks"} <= set(virtual)
        assert [m.id for m in svc.get_dbr_ps(org_id=org_id, db="mydb").content] == [a.id, b.id] or \
            [m.id for m in svc.get_dbr_ps(org_id=org_id, db="mydb").content] == [b.id, a.id]
        assert [m.id for m in svc.get_dbr_ps(org=onboarded.org, db="mydb", default=True).content] == [a.id]
        assert [m.id for m in svc.get_dbr_ps(org_id=org_id, rp="two").content] == [b.id]

        # Making b the default unsets a.
        u = svc.patch_dbrpid(b.id, DBRPUpdate(default=True), org_id=org_id).content
        assert u.default is True
        assert svc.get_dbr_ps_id(a.id, org_id=org_id).content.default is False
        u = svc.patch_dbrpid(a.id, DBRPUpdate(retention_policy="uno"), org_id=org_id).content
        assert u.retention_policy == "uno"

        # Conflict on the same (db, rp) in the org.
        with pytest.raises(ApiException) as ei:
            svc.post_dbrp(DBRPCreate(org_id=org_id, bucket_id=bucket_id, database="mydb", retention_policy="two"))
        assert ei.value.status == 422
        assert api_error(ei.value)["message"] == "another DBRP mapping with same orgID, db, and rp exists"

        # Deleting the default promotes the other one.
        svc.delete_dbrpid(b.id, org_id=org_id)
        assert svc.get_dbr_ps_id(a.id, org_id=org_id).content.default is True
        with pytest.raises(ApiException) as ei:
            svc.get_dbr_ps_id(b.id, org_id=org_id)
        assert ei.value.status == 404
        assert api_error(ei.value) == {"code": "not found", "message": "unable to find DBRP"}

    # Plain HTTP for the shapes and errors the client hides.
    h = _auth(onboarded)
    r = requests.get(onboarded.url + "/api/v2/dbrps", headers=h, timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "invalid", "message": "either 'org' or 'orgID' must be provided"}
    r = requests.post(
        onboarded.url + "/api/v2/dbrps",
        json={"orgID": org_id, "bucketID": bucket_id, "database": "x"},
        headers=h,
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert "retentionPolicy must contain at least one character" in r.json()["message"]
    r = requests.post(
        onboarded.url + "/api/v2/dbrps",
        json={"orgID": org_id, "bucketID": "0000000000000abc", "database": "x", "retention_policy": "y"},
        headers=h,
        timeout=10,
    )
    assert r.status_code == 404, r.text
    r = requests.post(
        onboarded.url + "/api/v2/dbrps",
        json={"orgID": org_id, "bucketID": "nope", "database": "x", "retention_policy": "y"},
        headers=h,
        timeout=10,
    )
    assert (r.status_code, r.json()["message"]) == (400, 'invalid bucket ID "nope": id must have a length of 16 bytes')
    r = requests.get(onboarded.url + "/api/v2/dbrps", params={"org": "no-such-org"}, headers=h, timeout=10)
    assert (r.status_code, r.json()["message"]) == (404, 'invalid org "no-such-org": organization not found')
    r = requests.get(onboarded.url + f"/api/v2/dbrps/{a.id}", params={"orgID": org_id}, headers=h, timeout=10)
    assert r.status_code == 200
    assert set(r.json()) == {"content"}
    assert r.json()["content"]["retention_policy"] == "uno"

    # A mapping vanishes with its bucket.
    r = requests.delete(onboarded.url + f"/api/v2/buckets/{bucket_id}", headers=h, timeout=10)
    assert r.status_code == 204
    r = requests.get(onboarded.url + f"/api/v2/dbrps/{a.id}", params={"orgID": org_id}, headers=h, timeout=10)
    assert r.status_code == 404


def test_v1_write_resolves_explicit_mappings_and_rp(onboarded):
    org_id, bucket_id = _ids(onboarded)
    fast_id = _create_bucket(onboarded, "fast-bucket")
    slow_id = _create_bucket(onboarded, "slow-bucket")
    h = _auth(onboarded)
    for bid, rp, default in ((slow_id, "slow", True), (fast_id, "fast", False)):
        r = requests.post(
            onboarded.url + "/api/v2/dbrps",
            json={"orgID": org_id, "bucketID": bid, "database": "telegraf", "retention_policy": rp, "default": default},
            headers=h,
            timeout=10,
        )
        assert r.status_code == 201, r.text
    c = _v1(onboarded, database="telegraf", headers={"Authorization": f"Token {onboarded.token}"})
    assert c.write_points([_point("cpu", 1_700_000_000, 1.0)], time_precision="s", retention_policy="fast")
    assert c.write_points([_point("cpu", 1_700_000_001, 2.0)], time_precision="s")  # default rp
    assert [g[2] for g in _read(onboarded, "fast-bucket", "cpu")] == [1.0]
    assert [g[2] for g in _read(onboarded, "slow-bucket", "cpu")] == [2.0]
    # A bucket named db/rp is reachable as db + rp.
    _create_bucket(onboarded, "web/weekly")
    assert c.write_points([_point("req", 1_700_000_000, 7.0)], time_precision="s", database="web", retention_policy="weekly")
    assert [g[2] for g in _read(onboarded, "web/weekly", "req")] == [7.0]
    # A legacy user scoped to one bucket.
    _legacy_auth(onboarded, username="fast-only", bucket_id=fast_id)
    u = _v1(onboarded, username="fast-only", password=V1_PASSWORD, database="telegraf")
    assert u.write_points([_point("cpu", 1_700_000_002, 3.0)], time_precision="s", retention_policy="fast")
    with pytest.raises(InfluxDBClientError) as ei:
        u.write_points([_point("cpu", 1_700_000_003, 4.0)], time_precision="s")
    assert ei.value.code == 403


def _post_write(server, params, body="m v=1 1700000000\n", **kw):
    return requests.post(server.url + "/write", params=params, data=body, timeout=10, **kw)


def test_v1_write_errors(onboarded):
    tok = {"Authorization": f"Token {onboarded.token}"}
    r = _post_write(onboarded, {}, headers=tok)
    assert (r.status_code, r.json()) == (400, {"code": "invalid", "message": "missing db"})
    r = _post_write(onboarded, {"db": "nope"}, headers=tok)
    assert (r.status_code, r.json()) == (404, {"code": "not found", "message": "no dbrp mapping found"})
    r = _post_write(onboarded, {"db": onboarded.bucket, "rp": "nope"}, headers=tok)
    assert r.status_code == 404
    r = _post_write(onboarded, {"db": onboarded.bucket})
    assert (r.status_code, r.json()) == (401, {"code": "unauthorized", "message": "unauthorized access"})
    _legacy_auth(onboarded)
    r = _post_write(onboarded, {"db": onboarded.bucket}, auth=(V1_USER, "wrong-password"))
    assert (r.status_code, r.json()) == (401, {"code": "unauthorized", "message": "Unauthorized"})
    r = _post_write(onboarded, {"db": onboarded.bucket, "u": V1_USER, "p": "wrong-password"})
    assert r.status_code == 401
    r = _post_write(onboarded, {"db": onboarded.bucket}, headers={"Authorization": "Token not-a-token"})
    assert (r.status_code, r.json()["message"]) == (401, "Unauthorized")
    r = _post_write(onboarded, {"db": onboarded.bucket}, body="m v=\n", auth=(V1_USER, V1_PASSWORD))
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    # Read-only legacy user: 403 as 2.7.
    _legacy_auth(onboarded, username="reader", actions=("read",))
    r = _post_write(onboarded, {"db": onboarded.bucket}, auth=("reader", V1_PASSWORD))
    assert (r.status_code, r.json()) == (403, {"code": "forbidden", "message": "insufficient permissions for write"})
    # No password set: never verifies.
    _legacy_auth(onboarded, username="nopass", password=None)
    r = _post_write(onboarded, {"db": onboarded.bucket}, auth=("nopass", ""))
    assert r.status_code == 401
    # With the official client.
    c = _v1(onboarded, username=V1_USER, password="wrong-password", database=onboarded.bucket)
    with pytest.raises(InfluxDBClientError) as ei:
        c.write_points([_point("m", 1, 1.0)])
    assert ei.value.code == 401
    c = _v1(onboarded, username=V1_USER, password=V1_PASSWORD, database="no-such-db")
    with pytest.raises(InfluxDBClientError) as ei:
        c.write_points([_point("m", 1, 1.0)])
    assert ei.value.code == 404


def test_legacy_authorizations_crud(onboarded):
    h = _auth(onboarded)
    base = onboarded.url + "/private/legacy/authorizations"
    a = _legacy_auth(onboarded, password=None)
    assert a["token"] == V1_USER
    assert a["status"] == "active"
    assert a["links"]["self"] == f"/private/legacy/authorizations/{a['id']}"
    assert a["user"] and a["org"] == onboarded.org
    assert all("password" not in k for k in a)

    r = requests.post(base, json={"orgID": a["orgID"], "token": V1_USER, "permissions": a["permissions"]}, headers=h, timeout=10)
    assert (r.status_code, r.json()["message"]) == (422, "token already exists")
    r = requests.post(base, json={"orgID": a["orgID"], "token": "x", "permissions": []}, headers=h, timeout=10)
    assert (r.status_code, r.json()["message"]) == (400, "authorization must include permissions")

    r = requests.get(base, headers=h, timeout=10)
    assert r.status_code == 200
    assert [x["id"] for x in r.json()["authorizations"]] == [a["id"]]
    r = requests.get(base, params={"token": "nobody"}, headers=h, timeout=10)
    assert r.json()["authorizations"] == []
    r = requests.get(f"{base}/{a['id']}", headers=h, timeout=10)
    assert (r.status_code, r.json()["token"]) == (200, V1_USER)

    r = requests.post(f"{base}/{a['id']}/password", json={"password": "short"}, headers=h, timeout=10)
    assert (r.status_code, r.json()["message"]) == (400, "passwords must be at least 8 characters long")
    r = requests.post(f"{base}/{a['id']}/password", json={"password": V1_PASSWORD}, headers=h, timeout=10)
    assert r.status_code == 204
    assert _post_write(onboarded, {"db": onboarded.bucket}, auth=(V1_USER, V1_PASSWORD)).status_code == 204
    r = requests.get(f"{base}/{a['id']}", headers=h, timeout=10)
    assert V1_PASSWORD not in r.text and "argon2" not in r.text

    r = requests.patch(f"{base}/{a['id']}", json={"status": "inactive", "description": "off"}, headers=h, timeout=10)
    assert (r.status_code, r.json()["status"], r.json()["description"]) == (200, "inactive", "off")
    assert _post_write(onboarded, {"db": onboarded.bucket}, auth=(V1_USER, V1_PASSWORD)).status_code == 401

    r = requests.delete(f"{base}/{a['id']}", headers=h, timeout=10)
    assert r.status_code == 204
    r = requests.get(f"{base}/{a['id']}", headers=h, timeout=10)
    assert (r.status_code, r.json()["message"]) == (404, "authorization not found")
    r = requests.get(base, headers={"Authorization": "Token nope"}, timeout=10)
    assert r.status_code == 401


def test_mappings_and_legacy_users_survive_a_restart(ringflux, onboarded):
    org_id, _ = _ids(onboarded)
    target = _create_bucket(onboarded, "persisted")
    r = requests.post(
        onboarded.url + "/api/v2/dbrps",
        json={"orgID": org_id, "bucketID": target, "database": "legacydb", "retention_policy": "rp1"},
        headers=_auth(onboarded),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    _legacy_auth(onboarded, bucket_id=target)
    url = ringflux.restart_after_kill()
    server = onboarded._replace(url=url)
    r = requests.get(url + "/api/v2/dbrps", params={"orgID": org_id, "db": "legacydb"}, headers=_auth(server), timeout=10)
    assert [(m["retention_policy"], m["default"], m["virtual"]) for m in r.json()["content"]] == [("rp1", True, False)]
    c = _v1(server, username=V1_USER, password=V1_PASSWORD, database="legacydb")
    assert c.write_points([_point("after", 1_700_000_000, 1.0)], time_precision="s")
    assert [g[2] for g in _read(server, "persisted", "after")] == [1.0]
