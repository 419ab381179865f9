#!/usr/bin/env bash
# Storage figures for BENCHMARKS.md (issue #3): bytes per value on disk for TSBS cpu-only data
# (ringflux vs InfluxDB 1.6 on the same bodies), RAM per series, restart time, and ingest
# latency while flushes and compactions run.
#
#   cargo build --release -p ringflux
#   bash loadtest/scripts/storage_figures.sh [disk] [ram] [restart] [compaction]   # default: all
#
# Needs: python3, curl; influxd (Debian package influxdb) for `disk`; wrk for `compaction`
# (both installed by ../shared/bench/peers.sh or `apt-get install influxdb wrk`).
# Generated data and server dirs go to $TMPDIR (default /tmp); figures are printed as
# `FIGURE name value` lines. Env knobs: HOSTS (100), LINES (1000000), SERIES ("100000 1000000"),
# PORT (18197, ringflux's HTTP port).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BENCH="$ROOT/../shared/bench"
BIN="${RINGFLUX_BIN:-$ROOT/target/release/ringflux}"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/rf-storage.XXXXXX")"
PORT="${PORT:-18197}"
TOKEN=bench-token
HOSTS="${HOSTS:-100}"
LINES="${LINES:-1000000}"
SERIES="${SERIES:-100000 1000000}"
WHAT="${*:-disk ram restart compaction}"
PIDS=()
# shellcheck source=influxd16.sh
source "$ROOT/loadtest/scripts/influxd16.sh"
cleanup() { for p in "${PIDS[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

fig() { echo "FIGURE $1 $2"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_ready() { # url -> prints ms waited
  local t0; t0=$(date +%s%N)
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/ready" || true)" = 200 ]; do sleep 0.01; done
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
start_rf() { # engine_dir extra-args... -> sets RF_PID
  local dir="$1"; shift
  "$BIN" serve --engine-path "$dir" --http-bind-address "127.0.0.1:$PORT" \
    --storage-cache-max-memory-size 8GiB "$@" >>"$TMP/ringflux.log" 2>&1 &
  RF_PID=$!; PIDS+=("$RF_PID")
}
onboard() {
  curl -sf -X POST "http://127.0.0.1:$PORT/api/v2/setup" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"benchbench\",\"org\":\"bench\",\"bucket\":\"bench\",\"token\":\"$TOKEN\"}" >/dev/null
}
post_bodies() { # url dir [auth header]
  local url="$1" dir="$2" hdr="${3:-X-None: 1}" f code
  for f in "$dir"/body_*.lp; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url" -H "$hdr" --data-binary @"$f")
    [ "$code" = 204 ] || { echo "write of $f got $code" >&2; exit 1; }
  done
}
maintain() { curl -sf -X POST "http://127.0.0.1:$PORT/debug/ringflux/$1" -H "Authorization: Token $TOKEN"; echo; }

gen_tsbs() {
  [ -f "$TMP/tsbs/manifest.json" ] || python3 "$BENCH/gen_lp.py" --mode tsbs --hosts "$HOSTS" \
    --points "$LINES" --out "$TMP/tsbs" >/dev/null
}

if [[ " $WHAT " == *" disk "* ]]; then
  gen_tsbs
  lines=$(python3 -c "import json;m=json.load(open('$TMP/tsbs/manifest.json'));print(m.get('lines') or m.get('points'))")
  values=$((lines * 10))
  # ringflux: load, compact, stop (clean: flushes), measure.
  start_rf "$TMP/rf-disk"; wait_ready "http://127.0.0.1:$PORT" >/dev/null; onboard
  post_bodies "http://127.0.0.1:$PORT/api/v2/write?org=bench&bucket=bench&precision=ns" "$TMP/tsbs" "Authorization: Token $TOKEN"
  maintain compact
  kill -TERM "$RF_PID"; wait "$RF_PID" || true
  seg=$(find "$TMP/rf-disk/data" -name '*.seg' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  all=$(du -sb "$TMP/rf-disk" | cut -f1)
  fig ringflux_values "$values"
  fig ringflux_segment_bytes "$seg"
  fig ringflux_total_bytes "$all"
  fig ringflux_bytes_per_value "$(python3 -c "print(round($seg/$values, 3))")"
  # InfluxDB 1.6: same bodies; snapshot and fully compact quickly, then stop and measure.
  start_influxd "$TMP/influx" 18086; PIDS+=("$IPID")
  post_bodies "http://127.0.0.1:18086/write?db=bench&precision=ns" "$TMP/tsbs"
  # Wait until the WAL is empty and the TSM files have not changed for 12 s: longer than
  # compact-full-write-cold-duration (5 s), so a pending compaction has started by then. (A
  # 2 s check used to stop between a level-1 snapshot and its compaction; the settled files of
  # this data set are ~0.5-1 MB different from such intermediate states.)
  prev=""; stable=0; for _ in $(seq 1 150); do
    sleep 2
    cur=$(find "$TMP/influx/data" -name '*.tsm' -printf '%f %s\n' | sort | md5sum)
    wal=$(find "$TMP/influx/wal" -name '*.wal' -size +0 | wc -l)
    if [ "$cur" = "$prev" ] && [ "$wal" -eq 0 ]; then stable=$((stable + 1)); else stable=0; fi
    [ "$stable" -ge 6 ] && break
    prev="$cur"
  done
  kill -TERM "$IPID"; wait "$IPID" || true
  # Where InfluxDB's bytes are (TSM files, WAL, series file, index).
  find "$TMP/influx/data" "$TMP/influx/wal" -type f -printf '%s %P\n' | sort -rn | head -12 | sed 's/^/INFLUX_FILE /'
  tsm=$(find "$TMP/influx/data" -name '*.tsm' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
  iall=$(du -sb "$TMP/influx/data" "$TMP/influx/wal" | awk '{s+=$1} END {print s}')
  fig influxdb_tsm_bytes "$tsm"
  fig influxdb_total_bytes "$iall"
  fig influxdb_bytes_per_value "$(python3 -c "print(round($tsm/$values, 3))")"
  fig ringflux_over_influxdb "$(python3 -c "print(round($seg/$tsm, 3))")"
fi

write_series() { # n -> writes n series (one point each) in 10k-line bodies
  python3 - "$1" "$PORT" "$TOKEN" <<'EOF'
import sys, urllib.request
n, port, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}/api/v2/write?org=bench&bucket=bench&precision=s"
t = 1_700_000_000
for lo in range(0, n, 10_000):
    body = "\n".join(f"mem,host=host_{i},region=r{i % 10},rack={i % 100} v=1i {t}" for i in range(lo, min(n, lo + 10_000)))
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Authorization": f"Token {token}"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 204, r.status
EOF
}

if [[ " $WHAT " == *" ram "* || " $WHAT " == *" restart "* ]]; then
  for n in $SERIES; do
    dir="$TMP/rf-ram-$n"
    start_rf "$dir"; wait_ready "http://127.0.0.1:$PORT" >/dev/null; onboard
    sleep 1; base=$(rss_kb "$RF_PID")
    write_series "$n"
    maintain flush >/dev/null
    sleep 2; after=$(rss_kb "$RF_PID")
    fig "ram_series_${n}_rss_kb" "$after"
    fig "ram_series_${n}_bytes_per_series" "$(( (after - base) * 1024 / n ))"
    if [[ " $WHAT " == *" restart "* ]]; then
      kill -TERM "$RF_PID"; wait "$RF_PID" || true
      start_rf "$dir"; fig "restart_${n}_series_after_sigterm_ms" "$(wait_ready "http://127.0.0.1:$PORT")"
      write_series 20000   # some head data and WAL to replay
      kill -9 "$RF_PID"; wait "$RF_PID" 2>/dev/null || true
      start_rf "$dir"; fig "restart_${n}_series_after_sigkill_ms" "$(wait_ready "http://127.0.0.1:$PORT")"
      fig "restart_${n}_series_rss_kb" "$(rss_kb "$RF_PID")"
    fi
    kill -9 "$RF_PID"; wait "$RF_PID" 2>/dev/null || true
    rm -rf "$dir"
  done
fi

if [[ " $WHAT " == *" compaction "* ]]; then
  # Current timestamps: partitions that are not finished are compacted only by file count,
  # so --storage-compact-max-segments switches compaction on (2) or off (1000000).
  [ -f "$TMP/tsbs-now/manifest.json" ] || python3 "$BENCH/gen_lp.py" --mode tsbs --hosts "$HOSTS" \
    --points "$LINES" --start "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --out "$TMP/tsbs-now" >/dev/null
  run_ingest() { # label extra-args...
    local label="$1"; shift
    start_rf "$TMP/rf-ingest-$label" --storage-cache-snapshot-memory-size 4MiB "$@"
    wait_ready "http://127.0.0.1:$PORT" >/dev/null; onboard
    bash "$BENCH/ingest.sh" --url "http://127.0.0.1:$PORT/api/v2/write?org=bench&bucket=bench&precision=ns" \
      --header "Authorization: Token $TOKEN" --pid "$RF_PID" --bodies "$TMP/tsbs-now" \
      --conns 8 --threads 1 --seconds 20 --stripe --label "$label" 2>/dev/null | sed "s/^/INGEST $label /"
    fig "segments_after_$label" "$(find "$TMP/rf-ingest-$label/data" -name '*.seg' | wc -l)"
    kill -9 "$RF_PID"; wait "$RF_PID" 2>/dev/null || true
    rm -rf "$TMP/rf-ingest-$label"
  }
  run_ingest no_compaction --storage-compact-max-segments 1000000
  run_ingest compaction --storage-compact-max-segments 2
fi
