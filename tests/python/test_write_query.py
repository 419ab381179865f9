"""Writes through the official client's synchronous write API, read back through query(),
query_stream() and query_csv(): every field type, escaping, every precision, every record form.
"""

from datetime import datetime, timezone

import pytest
from influxdb_client import Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from rfhelpers import client, utc

T_NS = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123456789Z
T_STR = "2023-11-14T22:13:20.123456789Z"
T_DT = utc(2023, 11, 14, 22, 13, 20, 123456)  # what the client's parser yields (µs)

MEAS = "wx m,1"  # space and comma in the measurement
TAGS = {
    "host": "h1",
    "loc ation": "New York, NY",  # space in key, comma+space in value
    "k=ey": "a=b",  # equals signs
    "ünï": "☃ snow",  # unicode + space
}
STR_VALUE = 'say "hi" \\ back\\slash ünï ☃\nnewline\ttab'
# InfluxDB 2.7's CSV encoder (Go encoding/csv with UseCRLF) writes a newline inside a quoted
# value as CRLF, so the client reads the string back with "\r\n".
STR_READ = STR_VALUE.replace("\n", "\r\n")

# field -> (python value written, expected python value read, CSV datatype, CSV text)
FIELDS = {
    "f_big": (9223372036854775807, 9223372036854775807, "long", "9223372036854775807"),
    "f_bool": (True, True, "boolean", "true"),
    "f_false": (False, False, "boolean", "false"),
    "f_float": (21.5, 21.5, "double", "21.5"),
    "f_int": (-42, -42, "long", "-42"),
    "f_str": (STR_VALUE, STR_READ, "string", STR_READ),
    "f_uint": (18446744073709551615, 18446744073709551615, "unsignedLong", "18446744073709551615"),
    "f_whole": (3.0, 3.0, "double", "3"),  # client serialises 3.0 as "3": still a float
    "fi eld": (-0.5, -0.5, "double", "-0.5"),  # space in the field key
}

RANGE = "range(start: 2023-11-14T22:00:00Z, stop: 2023-11-14T23:00:00Z)"
START, STOP = "2023-11-14T22:00:00Z", "2023-11-14T23:00:00Z"


def _flux(server, extra=""):
    return f'from(bucket: "{server.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "{MEAS}"){extra}'


def _write_types(server):
    with client(server) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        p = Point(MEAS)
        for k, v in TAGS.items():
            p = p.tag(k, v)
        for f, (v, _, _, _) in FIELDS.items():
            if f != "f_uint":
                p = p.field(f, v)
        p = p.time(T_NS, WritePrecision.NS)
        line = p.to_line_protocol()
        # The client escapes keys/values as line protocol requires, and leaves the newline raw.
        assert line.startswith("wx\\ m\\,1,host=h1,k\\=ey=a\\=b,loc\\ ation=New\\ York\\,\\ NY,ünï=☃\\ snow ")
        w.write(bucket=server.bucket, record=p)
        # Unsigned integers are written only with explicit field_types.
        pu = Point.from_dict(
            {"measurement": MEAS, "tags": TAGS, "fields": {"f_uint": FIELDS["f_uint"][0]}, "time": T_NS},
            WritePrecision.NS,
            field_types={"f_uint": "uint"},
        )
        assert pu.to_line_protocol().split(" ")[-2] == "f_uint=18446744073709551615u"
        w.write(bucket=server.bucket, record=pu)


def test_field_types_and_escaping_query(onboarded):
    _write_types(onboarded)
    with client(onboarded) as c:
        tables = c.query_api().query(_flux(onboarded), org=onboarded.org)
    # One table per series (field), ordered by series key (field name).
    assert [t.records[0].get_field() for t in tables] == list(FIELDS)
    for i, (t, (field, (_, want, dtype, _))) in enumerate(zip(tables, FIELDS.items())):
        assert len(t.records) == 1, field
        rec = t.records[0]
        assert rec.get_measurement() == MEAS
        assert rec.get_field() == field
        got = rec.get_value()
        assert type(got) is type(want), (field, got)
        assert got == want, field
        for k, v in TAGS.items():
            assert rec.values[k] == v
        assert rec.get_time() == T_DT
        assert rec.get_start() == utc(2023, 11, 14, 22)
        assert rec.get_stop() == utc(2023, 11, 14, 23)
        assert rec.values["result"] == "_result"
        assert rec.values["table"] == i
        assert set(rec.values) == {"result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", *TAGS}
        # Column metadata from the annotations.
        cols = {col.label: col for col in t.columns}
        assert cols["_value"].data_type == dtype
        assert [col.label for col in t.columns] == [
            "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement",
            "host", "k=ey", "loc ation", "ünï",
        ]
        assert [col.label for col in t.get_group_key()] == [
            "_start", "_stop", "_field", "_measurement", "host", "k=ey", "loc ation", "ünï",
        ]


def test_query_stream_matches_query(onboarded):
    _write_types(onboarded)
    with client(onboarded) as c:
        q = c.query_api()
        flat = [r.values for t in q.query(_flux(onboarded), org=onboarded.org) for r in t.records]
        streamed = [r.values for r in q.query_stream(_flux(onboarded), org=onboarded.org)]
    assert len(flat) == len(FIELDS)
    assert streamed == flat


def test_query_csv_exact(onboarded):
    _write_types(onboarded)
    with client(onboarded) as c:
        rows = list(c.query_api().query_csv(_flux(onboarded), org=onboarded.org))
    header = ["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement",
              "host", "k=ey", "loc ation", "ünï"]
    group = ["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true", "true", "true", "true"]
    default = ["#default", "_result"] + [""] * 11

    def block(dtype):
        return [
            ["#datatype", "string", "long", "dateTime:RFC3339", "dateTime:RFC3339", "dateTime:RFC3339",
             dtype, "string", "string", "string", "string", "string", "string"],
            group,
            default,
            header,
        ]

    def row(table, field):
        return ["", "", str(table), START, STOP, T_STR, FIELDS[field][3], field, MEAS,
                "h1", "a=b", "New York, NY", "☃ snow"]

    expected = []
    prev = None
    for i, (field, (_, _, dtype, _)) in enumerate(FIELDS.items()):
        if dtype != prev:  # a new annotation block whenever the schema changes
            expected += block(dtype)
            prev = dtype
        expected.append(row(i, field))
    assert rows == expected


def test_query_csv_without_annotations_and_custom_yield(onboarded):
    _write_types(onboarded)
    from influxdb_client.domain.dialect import Dialect

    flux = _flux(onboarded, ' |> filter(fn: (r) => r._field == "f_int" or r._field == "f_float") |> yield(name: "mine")')
    with client(onboarded) as c:
        rows = list(c.query_api().query_csv(flux, org=onboarded.org, dialect=Dialect(header=True, annotations=[])))
        tables = c.query_api().query(flux, org=onboarded.org)
    tag_vals = ["h1", "a=b", "New York, NY", "☃ snow"]
    header = ["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement",
              "host", "k=ey", "loc ation", "ünï"]
    assert rows == [
        header,
        ["", "mine", "0", START, STOP, T_STR, "21.5", "f_float", MEAS, *tag_vals],
        header,
        ["", "mine", "1", START, STOP, T_STR, "-42", "f_int", MEAS, *tag_vals],
    ]
    assert [(r.values["result"], r.get_field(), r.get_value()) for t in tables for r in t.records] == [
        ("mine", "f_float", 21.5),
        ("mine", "f_int", -42),
    ]


# --- precisions ---------------------------------------------------------------------------

PREC_CASES = [
    # (tag, precision, timestamp given to the client, expected RFC3339 _time)
    ("int_ns", WritePrecision.NS, 1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
    ("int_us", WritePrecision.US, 1_700_000_000_123_456, "2023-11-14T22:13:20.123456Z"),
    ("int_ms", WritePrecision.MS, 1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
    ("int_s", WritePrecision.S, 1_700_000_000, "2023-11-14T22:13:20Z"),
    ("dt_ns", WritePrecision.NS, utc(2023, 11, 14, 22, 13, 21, 654321), "2023-11-14T22:13:21.654321Z"),
    ("dt_us", WritePrecision.US, utc(2023, 11, 14, 22, 13, 21, 654321), "2023-11-14T22:13:21.654321Z"),
    ("dt_ms", WritePrecision.MS, utc(2023, 11, 14, 22, 13, 21, 654321), "2023-11-14T22:13:21.654Z"),
    ("dt_s", WritePrecision.S, utc(2023, 11, 14, 22, 13, 21, 654321), "2023-11-14T22:13:21Z"),
]


def _parse_rfc3339_us(s):
    # Python datetimes hold µs: the client truncates the nanoseconds.
    base, _, frac = s[:-1].partition(".")
    dt = datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return dt.replace(microsecond=int((frac + "000000")[:6]) if frac else 0)


@pytest.mark.parametrize("how", ["point", "line", "dict"])
def test_every_precision(onboarded, how):
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        for i, (tag, prec, ts, _) in enumerate(PREC_CASES):
            if how == "point":
                rec = Point("prec").tag("case", tag).field("v", i).time(ts, prec)
                w.write(bucket=onboarded.bucket, record=rec)
            elif how == "dict":
                rec = {"measurement": "prec", "tags": {"case": tag}, "fields": {"v": i}, "time": ts}
                w.write(bucket=onboarded.bucket, record=rec, write_precision=prec)
            else:
                if isinstance(ts, datetime):
                    continue  # a line string carries an integer timestamp only
                w.write(bucket=onboarded.bucket, record=f"prec,case={tag} v={i}i {ts}", write_precision=prec)
        flux = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "prec")'
        rows = list(c.query_api().query_csv(flux, org=onboarded.org))
        tables = c.query_api().query(flux, org=onboarded.org)
    expected = {tag: (i, want) for i, (tag, _, ts, want) in enumerate(PREC_CASES)
                if how != "line" or not isinstance(ts, datetime)}
    data = [r for r in rows if r[0] == ""  and r[1] == ""]
    got_csv = {r[-1]: (int(r[6]), r[5]) for r in data}
    assert got_csv == expected
    recs = [r for t in tables for r in t.records]
    assert {r.values["case"]: (r.get_value(), r.get_time()) for r in recs} == {
        tag: (i, _parse_rfc3339_us(want)) for tag, (i, want) in expected.items()
    }


def test_mixed_precision_points_in_one_call(onboarded):
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=onboarded.bucket, record=[
            Point("mix").tag("p", "s").field("v", 1.0).time(1_700_000_000, WritePrecision.S),
            Point("mix").tag("p", "ms").field("v", 2.0).time(1_700_000_000_250, WritePrecision.MS),
            Point("mix").tag("p", "us").field("v", 3.0).time(1_700_000_000_500_500, WritePrecision.US),
            Point("mix").tag("p", "ns").field("v", 4.0).time(1_700_000_000_750_000_001, WritePrecision.NS),
        ])
        flux = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "mix")'
        rows = [r for r in c.query_api().query_csv(flux, org=onboarded.org) if r[:2] == ["", ""]]
    assert sorted((r[-1], r[5], r[6]) for r in rows) == [
        ("ms", "2023-11-14T22:13:20.25Z", "2"),
        ("ns", "2023-11-14T22:13:20.750000001Z", "4"),
        ("s", "2023-11-14T22:13:20Z", "1"),
        ("us", "2023-11-14T22:13:20.5005Z", "3"),
    ]


# --- record forms -------------------------------------------------------------------------


def test_record_forms(onboarded):
    base = 1_700_000_000
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        b = onboarded.bucket
        w.write(bucket=b, record=f"fmt,src=line v=1i {base}", write_precision=WritePrecision.S)
        w.write(bucket=b, record=[f"fmt,src=lines v=2i {base}", f"fmt,src=lines v=3i {base + 1}"],
                write_precision=WritePrecision.S)
        w.write(bucket=b, record=f"fmt,src=multi v=4i {base}\nfmt,src=multi v=5i {base + 1}\n",
                write_precision=WritePrecision.S)
        w.write(bucket=b, record=f"fmt,src=bytes v=6i {base}".encode(), write_precision=WritePrecision.S)
        w.write(bucket=b, record={"measurement": "fmt", "tags": {"src": "dict"}, "fields": {"v": 7}, "time": base},
                write_precision=WritePrecision.S)
        w.write(bucket=b, record=[
            {"measurement": "fmt", "tags": {"src": "dicts"}, "fields": {"v": 8}, "time": base},
            {"measurement": "fmt", "tags": {"src": "dicts"}, "fields": {"v": 9}, "time": base + 1},
        ], write_precision=WritePrecision.S)
        w.write(bucket=b, record=Point("fmt").tag("src", "point").field("v", 10).time(base, WritePrecision.S))
        w.write(bucket=b, record=[
            Point("fmt").tag("src", "mixed").field("v", 11).time(base, WritePrecision.S),
            {"measurement": "fmt", "tags": {"src": "mixed"}, "fields": {"v": 12}, "time": base + 1},
            f"fmt,src=mixed v=13i {base + 2}",
        ], write_precision=WritePrecision.S)
        flux = f'from(bucket: "{b}") |> {RANGE} |> filter(fn: (r) => r._measurement == "fmt")'
        got = sorted(
            (r.values["src"], int(r.get_time().timestamp()) - base, r.get_value())
            for t in c.query_api().query(flux, org=onboarded.org) for r in t.records
        )
    assert got == sorted([
        ("line", 0, 1), ("lines", 0, 2), ("lines", 1, 3), ("multi", 0, 4), ("multi", 1, 5),
        ("bytes", 0, 6), ("dict", 0, 7), ("dicts", 0, 8), ("dicts", 1, 9), ("point", 0, 10),
        ("mixed", 0, 11), ("mixed", 1, 12), ("mixed", 2, 13),
    ])
    assert all(type(v) is int for _, _, v in got)


# --- schemas that differ between tables -----------------------------------------------------


def test_query_csv_schema_changes_between_tables(onboarded):
    with client(onboarded) as c:
        c.write_api(write_options=SYNCHRONOUS).write(
            bucket=onboarded.bucket,
            record=[
                "sc,host=a v=1.5 1700000000",
                "sc,host=a v=2.5 1700000001",
                "sc,host=b,rack=r1 v=3 1700000000",
                "sc,host=c w=4i 1700000000",
                "sc,host=d w=5i 1700000000",
            ],
            write_precision=WritePrecision.S,
        )
        flux = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "sc")'
        rows = list(c.query_api().query_csv(flux, org=onboarded.org))
        tables = c.query_api().query(flux, org=onboarded.org)
    t0, t1 = "2023-11-14T22:13:20Z", "2023-11-14T22:13:21Z"
    base_types = ["#datatype", "string", "long", "dateTime:RFC3339", "dateTime:RFC3339", "dateTime:RFC3339"]
    assert rows == [
        base_types + ["double", "string", "string", "string"],
        ["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true"],
        ["#default", "_result", "", "", "", "", "", "", "", ""],
        ["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", "host"],
        ["", "", "0", START, STOP, t0, "1.5", "v", "sc", "a"],
        ["", "", "0", START, STOP, t1, "2.5", "v", "sc", "a"],
        base_types + ["double", "string", "string", "string", "string"],
        ["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true", "true"],
        ["#default", "_result", "", "", "", "", "", "", "", "", ""],
        ["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", "host", "rack"],
        ["", "", "1", START, STOP, t0, "3", "v", "sc", "b", "r1"],
        base_types + ["long", "string", "string", "string"],
        ["#group", "false", "false", "true", "true", "false", "false", "true", "true", "true"],
        ["#default", "_result", "", "", "", "", "", "", "", ""],
        ["", "result", "table", "_start", "_stop", "_time", "_value", "_field", "_measurement", "host"],
        ["", "", "2", START, STOP, t0, "4", "w", "sc", "c"],
        ["", "", "3", START, STOP, t0, "5", "w", "sc", "d"],
    ]
    assert [[(r.values["host"], r.values.get("rack"), r.get_value()) for r in t.records] for t in tables] == [
        [("a", None, 1.5), ("a", None, 2.5)],
        [("b", "r1", 3.0)],
        [("c", None, 4)],
        [("d", None, 5)],
    ]
    assert "rack" not in tables[0].records[0].values


def test_bucket_and_org_ids(onboarded, onboarding):
    """Writes addressed by bucket ID and org ID; from(bucketID:) reads."""
    org_id, bucket_id = onboarding["org"]["id"], onboarding["bucket"]["id"]
    assert onboarding["bucket"]["orgID"] == org_id
    with client(onboarded) as c:
        w = c.write_api(write_options=SYNCHRONOUS)
        w.write(bucket=bucket_id, org=org_id, record="ids,via=ids v=1i 1700000000", write_precision=WritePrecision.S)
        w.write(bucket=onboarded.bucket, org=org_id, record="ids,via=orgid v=2i 1700000000",
                write_precision=WritePrecision.S)
        w.write(bucket=bucket_id, org=onboarded.org, record="ids,via=bucketid v=3i 1700000000",
                write_precision=WritePrecision.S)
        by_id = f'from(bucketID: "{bucket_id}") |> {RANGE} |> filter(fn: (r) => r._measurement == "ids")'
        by_name = f'from(bucket: "{onboarded.bucket}") |> {RANGE} |> filter(fn: (r) => r._measurement == "ids")'
        for flux, org in [(by_id, onboarded.org), (by_id, org_id), (by_name, org_id)]:
            got = sorted((r.values["via"], r.get_value()) for t in c.query_api().query(flux, org=org) for r in t.records)
            assert got == [("bucketid", 3), ("ids", 1), ("orgid", 2)], (flux, org)
