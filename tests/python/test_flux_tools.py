"""Flux language-service endpoints through the official client's generated ``QueryService``:
``/api/v2/query/ast``, ``/api/v2/query/analyze``, ``/api/v2/query/suggestions[/{name}]``.

The client deserialises the responses into its generated models (``ASTResponse``,
``AnalyzeQueryResponse``, ``FluxSuggestions``), so these also check the JSON shapes.
"""

from __future__ import annotations

import pytest
import requests
from influxdb_client.domain.language_request import LanguageRequest
from influxdb_client.domain.query import Query
from influxdb_client.rest import ApiException
from influxdb_client.service.query_service import QueryService

from rfhelpers import api_error, client

QUERY = 'from(bucket: "example-bucket")\n  |> range(start: -5m)\n  |> filter(fn: (r) => r._measurement == "cpu")'


def test_ast_of_a_query(onboarded):
    with client(onboarded) as c:
        svc = QueryService(c.api_client)
        resp = svc.post_query_ast(language_request=LanguageRequest(query=QUERY))
    pkg = resp.ast
    assert pkg.type == "Package"
    assert pkg.package == "main"
    f = pkg.files[0]
    assert f.type == "File"
    stmt = f.body[0]  # statements stay dicts in the generated model
    assert stmt["type"] == "ExpressionStatement"
    # The generated models keep nested nodes as dicts / typed objects; read them as JSON.
    raw = requests.post(
        onboarded.url + "/api/v2/query/ast",
        json={"query": QUERY},
        headers={"Authorization": f"Token {onboarded.token}"},
    ).json()
    expr = raw["ast"]["files"][0]["body"][0]["expression"]
    assert expr["type"] == "PipeExpression"
    assert expr["call"]["callee"]["name"] == "filter"
    rng = expr["argument"]
    assert rng["call"]["callee"]["name"] == "range"
    start = rng["call"]["arguments"][0]["properties"][0]
    assert start["key"]["name"] == "start"
    assert start["value"]["operator"] == "-"
    assert start["value"]["argument"]["values"] == [{"magnitude": 5, "unit": "m"}]
    assert start["value"]["location"]["source"] == "-5m"
    assert start["value"]["location"]["start"] == {"line": 2, "column": 19}


def test_ast_of_a_bad_query_is_400(onboarded):
    with client(onboarded) as c:
        svc = QueryService(c.api_client)
        with pytest.raises(ApiException) as e:
            svc.post_query_ast(language_request=LanguageRequest(query='from(: "b")'))
    assert e.value.status == 400
    body = api_error(e.value)
    assert body["code"] == "invalid"
    assert body["message"].startswith("invalid AST: loc 1:")


def test_analyze(onboarded):
    with client(onboarded) as c:
        svc = QueryService(c.api_client)
        ok = svc.post_query_analyze(query=Query(query=QUERY, type="flux"))
        assert ok.errors == []
        bad = svc.post_query_analyze(query=Query(query='from(bucket: "b") |> range(start: )', type="flux"))
    assert len(bad.errors) == 1
    err = bad.errors[0]
    assert err.line == 1 and err.column > 1
    assert err.message


def test_analyze_bad_json_is_400(onboarded):
    r = requests.post(
        onboarded.url + "/api/v2/query/analyze",
        data="{'",
        headers={"Authorization": f"Token {onboarded.token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert r.json()["message"].startswith("invalid json")


def test_suggestions(onboarded):
    with client(onboarded) as c:
        svc = QueryService(c.api_client)
        all_ = svc.get_query_suggestions()
        names = [f.name for f in all_.funcs]
        assert names == sorted(names)
        for name in ("from", "range", "filter", "aggregateWindow", "mean", "yield"):
            assert name in names
        one = svc.get_query_suggestions_name(name="range")
    assert one.name == "range"
    assert one.params == {"start": "invalid", "stop": "invalid", "tables": "stream"}


def test_suggestion_unknown_and_auth(onboarded):
    r = requests.get(
        onboarded.url + "/api/v2/query/suggestions/nope",
        headers={"Authorization": f"Token {onboarded.token}"},
    )
    assert r.status_code == 404
    assert r.json()["code"] == "not found"
    for path in ("/api/v2/query/suggestions", "/api/v2/query/suggestions/range"):
        assert requests.get(onboarded.url + path).status_code == 401
    assert requests.post(onboarded.url + "/api/v2/query/ast", json={"query": QUERY}).status_code == 401
    r = requests.get(
        onboarded.url + "/api/v2/query/ast", headers={"Authorization": f"Token {onboarded.token}"}
    )
    assert r.status_code == 405
