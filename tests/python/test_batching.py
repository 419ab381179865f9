"""The client's default (batching) write API fed from several threads, then everything counted back."""

import threading
from datetime import datetime, timedelta, timezone
import time
from collections import Counter

from influxdb_client import Point, WriteOptions, WritePrecision

from rfhelpers import client

THREADS = 5
PER_THREAD = 10_000
T0_NS = 1_704_067_200 * 10**9  # 2024-01-01T00:00:00Z
STEP_NS = 1_000_000  # 1 ms apart: 10k points span 10 s
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _producer(w, bucket, k, errors):
    try:
        ts = lambda i: T0_NS + i * STEP_NS  # noqa: E731
        if k == 0:  # Points one by one
            for i in range(PER_THREAD):
                w.write(bucket=bucket, record=Point("batch").tag("thread", "t0").field("seq", i).time(ts(i)))
        elif k == 1:  # lists of 100 line strings
            for s in range(0, PER_THREAD, 100):
                w.write(bucket=bucket, record=[f"batch,thread=t1 seq={i}i {ts(i)}" for i in range(s, s + 100)])
        elif k == 2:  # dicts one by one
            for i in range(PER_THREAD):
                w.write(bucket=bucket, record={"measurement": "batch", "tags": {"thread": "t2"},
                                               "fields": {"seq": i}, "time": ts(i)})
        elif k == 3:  # one list of 10k Points
            w.write(bucket=bucket, record=[Point("batch").tag("thread", "t3").field("seq", i).time(ts(i))
                                           for i in range(PER_THREAD)])
        else:  # single line strings, microsecond precision
            for i in range(PER_THREAD):
                w.write(bucket=bucket, record=f"batch,thread=t{k} seq={i}i {ts(i) // 1000}",
                        write_precision=WritePrecision.US)
    except Exception as e:  # pragma: no cover - reported by the test
        errors.append(e)


def test_batching_50k_points_from_threads(onboarded):
    lock = threading.Lock()
    written_lines = []
    failures = []
    retries = []

    def on_success(conf, data):
        body = data.decode() if isinstance(data, bytes) else data
        with lock:
            written_lines.append(len(body.splitlines()))

    def on_error(conf, data, exc):
        with lock:
            failures.append(repr(exc))

    def on_retry(conf, data, exc):
        with lock:
            retries.append(repr(exc))

    # The default batching options (batch_size=1000, flush_interval=1000 ms); retries are
    # bounded only so that a failing daemon cannot stall the run for the default 180 s.
    opts = WriteOptions(max_retries=2, max_retry_time=20_000, retry_interval=500)
    producer_errors = []
    started = time.monotonic()
    with client(onboarded) as c:
        w = c.write_api(write_options=opts, success_callback=on_success, error_callback=on_error,
                        retry_callback=on_retry)
        threads = [threading.Thread(target=_producer, args=(w, onboarded.bucket, k, producer_errors))
                   for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
            assert not t.is_alive(), "producer thread hung"
        w.flush()
        w.close()
        elapsed = time.monotonic() - started

        assert producer_errors == []
        assert failures == []
        assert retries == []
        assert sum(written_lines) == THREADS * PER_THREAD
        assert max(written_lines) <= 1000  # batches of at most batch_size

        flux = (f'from(bucket: "{onboarded.bucket}") '
                '|> range(start: 2024-01-01T00:00:00Z, stop: 2024-01-01T00:01:00Z) '
                '|> filter(fn: (r) => r._measurement == "batch" and r._field == "seq")')
        per_thread = Counter()
        seen = set()
        for r in c.query_api().query_stream(flux, org=onboarded.org):
            tag = r.values["thread"]
            seq = r.get_value()
            assert type(seq) is int
            t_ns = (r.get_time() - EPOCH) // timedelta(microseconds=1) * 1000
            assert t_ns == T0_NS + seq * STEP_NS, (tag, seq, r.get_time())
            per_thread[tag] += 1
            seen.add((tag, seq))
    assert dict(per_thread) == {f"t{k}": PER_THREAD for k in range(THREADS)}
    assert len(seen) == THREADS * PER_THREAD
    print(f"batching: {THREADS * PER_THREAD} points written in {elapsed:.1f}s")
