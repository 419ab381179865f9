"""Onboarding (POST/GET /api/v2/setup) through the official client's SetupService.

influxdb-client 1.50.0 has no ``InfluxDBClient.onboarding_api()``; its generated
``SetupService`` is the client's API for ``/api/v2/setup``.
"""

import time

import pytest
import requests
from influxdb_client import InfluxDBClient, OnboardingRequest, Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from influxdb_client.service.setup_service import SetupService

from rfhelpers import api_error


def test_onboarding_through_client(base_url):
    with InfluxDBClient(url=base_url, timeout=10_000) as c:
        setup = SetupService(c.api_client)
        assert setup.get_setup().allowed is True

        resp = setup.post_setup(
            onboarding_request=OnboardingRequest(
                username="alice",
                password="correct-horse",
                org="acme",
                bucket="metrics",
                token="alice-token-0001",
                retention_period_seconds=3600,
            )
        )
        assert resp.user.name == "alice"
        assert resp.user.status == "active"
        assert resp.org.name == "acme"
        assert resp.bucket.name == "metrics"
        assert resp.bucket.org_id == resp.org.id
        assert resp.bucket.type == "user"
        assert len(resp.bucket.retention_rules) == 1
        rule = resp.bucket.retention_rules[0]
        assert rule.type == "expire"
        assert rule.every_seconds == 3600
        # InfluxDB 2.7: a retention under 2 days gets 1 h shard groups.
        assert rule.shard_group_duration_seconds == 3600
        assert resp.auth.token == "alice-token-0001"
        assert resp.auth.org_id == resp.org.id
        assert resp.auth.user_id == resp.user.id
        assert resp.auth.status == "active"
        assert len(resp.org.id) == 16 and len(resp.bucket.id) == 16

        assert setup.get_setup().allowed is False

        with pytest.raises(ApiException) as ei:
            setup.post_setup(
                onboarding_request=OnboardingRequest(
                    username="mallory", password="password-2", org="evil", bucket="b2"
                )
            )
        assert ei.value.status == 422
        assert api_error(ei.value) == {
            "code": "conflict",
            "message": "onboarding has already been completed",
        }
        assert setup.get_setup().allowed is False

    # The returned token works for writes and reads into the onboarded bucket (a recent
    # point: the bucket keeps only one hour, older points are dropped with 422).
    with InfluxDBClient(url=base_url, token="alice-token-0001", org="acme", timeout=10_000) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket="metrics", record=Point("smoke").field("v", 1.5).time(int(time.time()), "s")
        )
        rows = [
            (r.get_measurement(), r.get_field(), r.get_value())
            for t in c.query_api().query('from(bucket: "metrics") |> range(start: -1h)')
            for r in t.records
        ]
        assert rows == [("smoke", "v", 1.5)]


def test_onboarding_generates_token_when_absent(base_url):
    r = requests.post(
        base_url + "/api/v2/setup",
        json={"username": "bob", "password": "bob-password", "org": "o", "bucket": "b"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    token = body["auth"]["token"]
    assert isinstance(token, str) and len(token) >= 16
    assert body["bucket"]["retentionRules"][0]["everySeconds"] == 0
    with InfluxDBClient(url=base_url, token=token, org="o", timeout=10_000) as c:
        c.write_api(write_options=SYNCHRONOUS).write(bucket="b", record="m f=1i 1")


def test_onboarding_short_password_rejected(base_url):
    r = requests.post(
        base_url + "/api/v2/setup",
        json={"username": "u", "password": "short", "org": "o", "bucket": "b"},
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid"
    assert requests.get(base_url + "/api/v2/setup", timeout=10).json() == {"allowed": True}
