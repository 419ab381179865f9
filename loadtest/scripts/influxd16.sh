# Sourced by the figure scripts: starts InfluxDB 1.6 (Debian package `influxdb`) for a side by
# side comparison, tuned to snapshot and fully compact quickly.
#
#   start_influxd DIR HTTP_PORT   -> sets IPID; the server answers /ping when it returns and
#                                    has a database named `bench`

start_influxd() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<EOF2
reporting-disabled = true
bind-address = "127.0.0.1:$((port + 2))"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "2s"
  compact-full-write-cold-duration = "5s"
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[continuous_queries]
  enabled = false
EOF2
  influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  IPID=$!
  until curl -sf "http://127.0.0.1:$port/ping" >/dev/null; do sleep 0.1; done
  curl -sf -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
}
