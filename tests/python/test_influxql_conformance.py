"""The InfluxQL conformance corpus (``../shared/conformance/influxql/cases.jsonl``, from
InfluxDB 2.7.12's v1 tests) run against the real binary through ``GET /query``.

Per the corpus README: one fresh server per test group; the group's default bucket (named
``db/rp``, as in 2.7's harness) gets the explicit default DBRP mapping ``db``/``rp`` through
``POST /api/v2/dbrps``; ``setup`` buckets and mappings are created the same way; the group's
writes go to the default bucket with nanosecond precision; each case's query is
sent with its ``params`` and the parsed JSON body is compared with ``expected_json`` (key
order and int/float spelling do not matter; everything else does). Cases marked ``skip``
upstream and the ``clock_sensitive`` ones are skipped.

Prints ``influxql conformance: passed P / runnable R (skipped S)`` and writes every failure
with its reason to ``target/influxql-conformance-failures.txt``. The test fails if the pass
count drops below ``FLOOR`` (a ratchet: raise it as the engine grows, never lower it).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
import tempfile
from collections import OrderedDict
from pathlib import Path

import pytest
import requests

from conftest import Daemon

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "conformance" / "influxql" / "cases.jsonl"
REPORT = ROOT / "target" / "influxql-conformance-failures.txt"
TOKEN = "conformance-token"
ORG = "my-org"
FLOOR = 592


def _norm(v):
    """Numbers compare as floats (1 == 1.0); containers recursively."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def _groups():
    groups: "OrderedDict[str, list]" = OrderedDict()
    for line in CORPUS.read_text().splitlines():
        c = json.loads(line)
        groups.setdefault(c["group"], []).append(c)
    for cases in groups.values():
        cases.sort(key=lambda c: c["seq"])
    return groups


def _run_group(cases, tmp: Path, results: dict):
    first = cases[0]
    db, rp = first.get("db") or "db0", first.get("rp") or "rp0"
    runnable = [c for c in cases if not c.get("skip") and not c.get("clock_sensitive")]
    for c in cases:
        if c not in runnable:
            results["skipped"].append(c["id"])
    if not runnable:
        return
    setup = first.get("setup") or {}
    if setup.get("server_config"):
        for c in runnable:
            results["failed"].append((c["id"], f"needs server config {setup['server_config']}"))
        return
    d = Daemon(tmp / "engine", tmp / "logs")
    (tmp / "logs").mkdir(parents=True, exist_ok=True)
    url = d.start()
    try:
        bucket = "db/rp"
        r = requests.post(url + "/api/v2/setup", json={
            "username": "conformance", "password": "conformance-pw", "org": ORG,
            "bucket": bucket, "token": TOKEN}, timeout=10)
        assert r.status_code == 201, r.text
        org_id = r.json()["org"]["id"]
        ids = {bucket: r.json()["bucket"]["id"]}
        hdr = {"Authorization": f"Token {TOKEN}"}
        for b in setup.get("buckets") or []:
            name = b if isinstance(b, str) else b.get("name")
            br = requests.post(url + "/api/v2/buckets", json={"orgID": org_id, "name": name}, headers=hdr, timeout=10)
            assert br.status_code == 201, br.text
            ids[name] = br.json()["id"]
        maps = [] if first.get("no_default_dbrp") else [
            {"database": db, "retention_policy": rp, "default": True, "bucket": None}]
        for m in maps + list(setup.get("dbrps") or []):
            target = ids[m.get("bucket") or bucket]
            dr = requests.post(url + "/api/v2/dbrps", json={
                "orgID": org_id, "bucketID": target, "database": m["database"],
                "retention_policy": m["retention_policy"], "default": bool(m.get("default"))},
                headers=hdr, timeout=10)
            assert dr.status_code == 201, dr.text
        for body in first.get("writes") or []:
            w = requests.post(url + "/api/v2/write", params={"org": ORG, "bucket": bucket, "precision": "ns"},
                              data=body.encode(), headers=hdr, timeout=30)
            assert w.status_code in (204, 422), (w.status_code, w.text)
        for ew in first.get("extra_writes") or []:
            requests.post(url + "/api/v2/write", params={"org": ORG, "bucket": ew.get("bucket"), "precision": "ns"},
                          data=ew["data"].encode(), headers=hdr, timeout=30)
        for c in runnable:
            params = dict(c.get("params") or {})
            params["q"] = c["query"]
            try:
                resp = requests.get(url + "/query", params=params,
                                    headers={**hdr, "Accept": "application/json"}, timeout=30)
            except requests.RequestException as e:
                results["failed"].append((c["id"], f"request failed: {e}"))
                continue
            expected = c["expected_json"].strip()
            got = resp.text.strip()
            if c.get("pattern"):
                import re
                ok = re.fullmatch(expected, got) is not None
            elif params.get("chunked") == "true":
                ok = [_norm(json.loads(x)) for x in got.splitlines() if x] == [
                    _norm(json.loads(x)) for x in expected.splitlines() if x]
            else:
                try:
                    ok = _norm(json.loads(got)) == _norm(json.loads(expected))
                except ValueError:
                    ok = False
            if ok:
                results["passed"].append(c["id"])
            else:
                results["failed"].append((c["id"], f"query {c['query']!r}\n  want {expected[:400]}\n  got  {got[:400]}"))
    finally:
        d.stop()


@pytest.mark.skipif(not CORPUS.exists(), reason="shared conformance corpus not beside the repository")
def test_influxql_conformance_corpus():
    results = {"passed": [], "failed": [], "skipped": []}

    def one(cases):
        with tempfile.TemporaryDirectory(prefix="rf-iql-") as tmp:
            _run_group(cases, Path(tmp), results)

    # Groups are independent servers: run a few at once (list appends are thread-safe).
    with ThreadPoolExecutor(max_workers=4) as pool:
        for f in [pool.submit(one, cases) for cases in _groups().values()]:
            f.result()
    passed, failed = len(results["passed"]), len(results["failed"])
    runnable = passed + failed
    print(f"\ninfluxql conformance: passed {passed} / runnable {runnable} (skipped {len(results['skipped'])})")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("".join(f"{cid}: {why}\n" for cid, why in results["failed"]))
    assert passed >= FLOOR, f"{passed} passed < floor {FLOOR}; failures in {REPORT}"
