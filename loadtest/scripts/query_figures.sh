#!/usr/bin/env bash
# Query figures for BENCHMARKS.md (issues #4/#5): ../shared/bench/query_bench.py (the TSBS-like
# InfluxQL queries) against ringflux's v1 /query and against InfluxDB 1.6 on the same data, same
# machine, one after the other.
#
#   cargo build --release -p ringflux
#   HOSTS=100 LINES=1000000 ITERS=50 bash loadtest/scripts/query_figures.sh
#
# Needs python3, curl and influxd (Debian package influxdb: `apt-get install influxdb`).
# Prints each server's markdown table prefixed with `QUERY <label>`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/../shared/bench"
BIN="${RINGFLUX_BIN:-$ROOT/target/release/ringflux}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/rf-query.XXXXXX")"
PORT=18197
IPORT=18087
TOKEN=bench-token
HOSTS="${HOSTS:-100}"
LINES="${LINES:-1000000}"
ITERS="${ITERS:-50}"
PIDS=()
# shellcheck source=influxd16.sh
source "$ROOT/loadtest/scripts/influxd16.sh"
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

load() { # url dir [header]
  local f code
  for f in "$2"/body_*.lp; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$1" -H "${3:-X-None: 1}" --data-binary @"$f")
    [ "$code" = 204 ] || { echo "write of $f got $code" >&2; exit 1; }
  done
}

python3 "$BENCH/gen_lp.py" --mode tsbs --hosts "$HOSTS" --points "$LINES" --out "$TMP/tsbs" >/dev/null

# ringflux: the InfluxQL queries through /query?db=bench (the bucket's virtual DBRP mapping).
"$BIN" serve --engine-path "$TMP/rf" --http-bind-address "127.0.0.1:$PORT" \
  --storage-cache-max-memory-size 8GiB >"$TMP/ringflux.log" 2>&1 &
RF=$!; PIDS+=("$RF")
until curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null; do sleep 0.05; done
curl -sf -X POST "http://127.0.0.1:$PORT/api/v2/setup" -H 'Content-Type: application/json' \
  -d "{\"username\":\"bench\",\"password\":\"benchbench\",\"org\":\"bench\",\"bucket\":\"bench\",\"token\":\"$TOKEN\"}" >/dev/null
load "http://127.0.0.1:$PORT/api/v2/write?org=bench&bucket=bench&precision=ns" "$TMP/tsbs" "Authorization: Token $TOKEN"
# Data on disk in segment files, as a long-running store has it.
curl -sf -X POST "http://127.0.0.1:$PORT/debug/ringflux/flush" -H "Authorization: Token $TOKEN" >/dev/null
curl -sf -X POST "http://127.0.0.1:$PORT/debug/ringflux/compact" -H "Authorization: Token $TOKEN" >/dev/null
python3 "$BENCH/query_bench.py" --url "http://127.0.0.1:$PORT" --db bench --manifest "$TMP/tsbs/manifest.json" \
  --header "Authorization: Token $TOKEN" --pid "$RF" --iters "$ITERS" --label ringflux | sed 's/^/QUERY ringflux /'
kill -9 "$RF"; wait "$RF" 2>/dev/null || true

# InfluxDB 1.6 on the same bodies, fully compacted before the queries.
start_influxd "$TMP/influx" "$IPORT"; IN=$IPID; PIDS+=("$IN")
load "http://127.0.0.1:$IPORT/write?db=bench&precision=ns" "$TMP/tsbs"
sleep 15 # snapshot + full compaction (cold durations 2 s / 5 s)
python3 "$BENCH/query_bench.py" --url "http://127.0.0.1:$IPORT" --db bench --manifest "$TMP/tsbs/manifest.json" \
  --pid "$IN" --iters "$ITERS" --label influxdb-1.6 | sed 's/^/QUERY influxdb-1.6 /'
