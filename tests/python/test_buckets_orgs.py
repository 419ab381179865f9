"""Buckets and organizations (/api/v2/buckets, /api/v2/orgs) through the official client's
BucketsApi and OrganizationsApi, plus plain HTTP for the error bodies."""

import pytest
import requests
from influxdb_client import BucketRetentionRules, Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from rfhelpers import api_error, client, flux_records


def _auth(server):
    return {"Authorization": f"Token {server.token}"}


def _org_id(server):
    r = requests.get(server.url + "/api/v2/orgs", params={"org": server.org}, headers=_auth(server), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["orgs"][0]["id"]


def test_buckets_crud_through_client(onboarded):
    with client(onboarded) as c:
        api = c.buckets_api()
        b = api.create_bucket(
            bucket_name="metrics-1",
            description="first",
            retention_rules=BucketRetentionRules(type="expire", every_seconds=7200),
            org=onboarded.org,
        )
        assert b.name == "metrics-1"
        assert b.description == "first"
        assert b.type == "user"
        assert len(b.id) == 16
        assert b.org_id == _org_id(onboarded)
        rule = b.retention_rules[0]
        assert (rule.every_seconds, rule.shard_group_duration_seconds) == (7200, 3600)

        assert api.find_bucket_by_id(b.id).name == "metrics-1"
        assert api.find_bucket_by_name("metrics-1").id == b.id
        assert api.find_bucket_by_name("no-such-bucket") is None

        names = [x.name for x in api.find_buckets(org=onboarded.org).buckets]
        assert names == sorted(names)
        assert set(names) == {"_monitoring", "_tasks", onboarded.bucket, "metrics-1"}

        b.name = "metrics-renamed"
        b.description = "second"
        b.retention_rules = [BucketRetentionRules(type="expire", every_seconds=0)]
        u = api.update_bucket(b)
        assert u.id == b.id
        assert u.name == "metrics-renamed"
        assert u.description == "second"
        assert u.retention_rules[0].every_seconds == 0

        api.delete_bucket(u)
        with pytest.raises(ApiException) as ei:
            api.find_bucket_by_id(b.id)
        assert ei.value.status == 404
        assert api_error(ei.value) == {"code": "not found", "message": "bucket not found"}
        with pytest.raises(ApiException) as ei:
            api.delete_bucket(b.id)
        assert ei.value.status == 404


def test_bucket_pagination_through_client(onboarded):
    with client(onboarded) as c:
        api = c.buckets_api()
        for i in range(5):
            api.create_bucket(bucket_name=f"page-{i}", org=onboarded.org)
        everything = api.find_buckets(limit=100).buckets
        assert len(everything) == 8  # 5 + onboarded bucket + 2 system buckets
        ids = [b.id for b in everything]
        assert ids == sorted(ids)
        first = api.find_buckets(limit=3, offset=0)
        assert [b.id for b in first.buckets] == ids[:3]
        assert first.links.next is not None and first.links.prev is None
        second = api.find_buckets(limit=3, offset=3)
        assert [b.id for b in second.buckets] == ids[3:6]
        assert second.links.prev is not None
        # `after` paging, as find_buckets_iter does it.
        assert [b.id for b in api.find_buckets_iter(limit=3)] == ids


def test_paging_links_and_limits_over_http(onboarded):
    r = requests.get(
        onboarded.url + "/api/v2/buckets",
        params={"org": onboarded.org, "limit": 2, "offset": 1},
        headers=_auth(onboarded),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    # Within an org, buckets are listed by name (2.7's org/name index).
    assert [b["name"] for b in body["buckets"]] == ["_tasks", onboarded.bucket]
    assert body["links"] == {
        "self": f"/api/v2/buckets?descending=false&limit=2&offset=1&org={onboarded.org}",
        "next": f"/api/v2/buckets?descending=false&limit=2&offset=3&org={onboarded.org}",
        "prev": f"/api/v2/buckets?descending=false&limit=2&offset=0&org={onboarded.org}",
    }
    r = requests.get(onboarded.url + "/api/v2/buckets", params={"limit": 101}, headers=_auth(onboarded), timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "invalid", "message": "limit must be between 1 and 100"}


def test_bucket_error_cases_over_http(onboarded):
    url = onboarded.url + "/api/v2/buckets"
    org_id = _org_id(onboarded)

    def post(body, headers=None):
        return requests.post(url, json=body, headers=headers or _auth(onboarded), timeout=10)

    r = post({"orgID": org_id, "name": onboarded.bucket})
    assert r.status_code == 422
    assert r.json() == {"code": "conflict", "message": f"bucket with name {onboarded.bucket} already exists"}

    r = post({"orgID": org_id, "name": "_mine"})
    assert r.status_code == 400
    assert r.json() == {
        "code": "invalid",
        "message": "bucket name _mine is invalid. Buckets may not start with underscore",
    }

    r = post({"orgID": org_id, "name": "short", "retentionRules": [{"type": "expire", "everySeconds": 60}]})
    assert r.status_code == 422
    assert r.json() == {
        "code": "unprocessable entity",
        "message": "retention policy duration must be at least 1h0m0s",
    }

    r = post({"orgID": org_id, "name": "neg", "retentionRules": [{"type": "expire", "everySeconds": -5}]})
    assert r.status_code == 422
    assert r.json()["message"] == "expiration seconds cannot be negative"

    r = post({"name": "no-org"})
    assert r.status_code == 400
    assert r.json() == {"code": "invalid", "message": "organization id must be provided"}

    r = post({"orgID": "0123456789abcdef", "name": "x"})
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": "organization not found"}

    r = post({"orgID": org_id, "name": "x"}, headers={"Authorization": "Token wrong"})
    assert r.status_code == 401
    assert r.json() == {"code": "unauthorized", "message": "unauthorized access"}
    assert requests.get(url, timeout=10).status_code == 401

    r = requests.post(url, data="{not json", headers=_auth(onboarded), timeout=10)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"

    r = requests.get(url + "/xyz", headers=_auth(onboarded), timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "invalid", "message": "id must have a length of 16 bytes"}

    r = requests.delete(url + "/0123456789abcdef", headers=_auth(onboarded), timeout=10)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": "bucket not found"}

    r = requests.get(url, params={"org": "nope"}, headers=_auth(onboarded), timeout=10)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": 'organization name "nope" not found'}


def test_system_buckets_cannot_be_deleted_or_renamed(onboarded):
    with client(onboarded) as c:
        api = c.buckets_api()
        mon = api.find_bucket_by_name("_monitoring")
        assert mon.type == "system"
        with pytest.raises(ApiException) as ei:
            api.delete_bucket(mon)
        assert ei.value.status == 400
        assert api_error(ei.value) == {"code": "invalid", "message": "system buckets cannot be deleted"}
        mon.name = "monitoring"
        with pytest.raises(ApiException) as ei:
            api.update_bucket(mon)
        assert ei.value.status == 400
        assert api_error(ei.value) == {"code": "invalid", "message": "system buckets cannot be renamed"}


def test_deleted_bucket_rejects_writes_and_recreation_is_empty(onboarded):
    with client(onboarded) as c:
        api = c.buckets_api()
        b = api.create_bucket(bucket_name="ephemeral", org=onboarded.org)
        with c.write_api(write_options=SYNCHRONOUS) as w:
            w.write(bucket="ephemeral", record=Point("m").field("v", 1.0).time(1_000_000_000))
        q = 'from(bucket: "ephemeral") |> range(start: 0)'
        assert len(flux_records(c.query_api().query(q))) == 1

        api.delete_bucket(b)
        with c.write_api(write_options=SYNCHRONOUS) as w:
            with pytest.raises(ApiException) as ei:
                w.write(bucket="ephemeral", record=Point("m").field("v", 2.0).time(2_000_000_000))
        assert ei.value.status == 404
        with pytest.raises(ApiException) as ei:
            c.query_api().query(q)
        assert ei.value.status == 404

        again = api.create_bucket(bucket_name="ephemeral", org=onboarded.org)
        assert again.id != b.id
        assert flux_records(c.query_api().query(q)) == []


def test_orgs_crud_through_client(onboarded):
    with client(onboarded) as c:
        orgs = c.organizations_api()
        names = {o.name for o in orgs.find_organizations()}
        assert names == {onboarded.org}
        me = orgs.find_organizations(org=onboarded.org)[0]

        o = orgs.create_organization(name="second-org")
        assert o.name == "second-org" and len(o.id) == 16
        assert {x.name for x in orgs.find_organizations()} == {onboarded.org, "second-org"}
        assert orgs.find_organization(o.id).name == "second-org"
        # The creating user owns it.
        r = requests.get(
            onboarded.url + "/api/v2/orgs", params={"userID": "0123456789abcdef"}, headers=_auth(onboarded), timeout=10
        )
        assert r.json()["orgs"] == []

        # A new org comes with its system buckets; a bucket can be made in it.
        buckets = c.buckets_api()
        assert {b.name for b in buckets.find_buckets(org_id=o.id).buckets} == {"_monitoring", "_tasks"}
        made = buckets.create_bucket(bucket_name="in-second", org=o.id)
        assert made.org_id == o.id

        o.description = "described"
        o.name = "second-org-renamed"
        u = orgs.update_organization(o)
        assert (u.name, u.description) == ("second-org-renamed", "described")

        with pytest.raises(ApiException) as ei:
            orgs.create_organization(name=onboarded.org)
        assert ei.value.status == 422
        assert api_error(ei.value) == {
            "code": "conflict",
            "message": f"organization with name {onboarded.org} already exists",
        }

        orgs.delete_organization(o.id)
        assert {x.name for x in orgs.find_organizations()} == {onboarded.org}
        with pytest.raises(ApiException) as ei:
            buckets.find_bucket_by_id(made.id)
        assert ei.value.status == 404
        assert buckets.find_bucket_by_name("in-second") is None
        with pytest.raises(ApiException) as ei:
            orgs.delete_organization(o.id)
        assert ei.value.status == 404
        assert api_error(ei.value) == {"code": "not found", "message": "organization not found"}
        assert orgs.find_organizations(org=onboarded.org)[0].id == me.id


def test_org_error_cases_over_http(onboarded):
    url = onboarded.url + "/api/v2/orgs"
    r = requests.post(url, json={"name": ""}, headers=_auth(onboarded), timeout=10)
    assert r.status_code == 400
    assert r.json() == {"code": "invalid", "message": "org name is empty"}
    r = requests.get(url, params={"org": "missing"}, headers=_auth(onboarded), timeout=10)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": 'organization name "missing" not found'}
    r = requests.get(url + "/0123456789abcdef", headers=_auth(onboarded), timeout=10)
    assert r.status_code == 404
    assert r.json() == {"code": "not found", "message": "organization not found"}
    assert requests.get(url, timeout=10).status_code == 401
    r = requests.put(url, headers=_auth(onboarded), timeout=10)
    assert r.status_code == 405
