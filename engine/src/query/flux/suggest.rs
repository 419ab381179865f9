//! Function suggestions for the query builder (`GET /api/v2/query/suggestions[/{name}]`).
//!
//! Each entry is a Flux function ringflux runs, with its parameters and their types in the
//! simple names InfluxDB's suggestions use: `stream` (a table stream, the pipe parameter
//! `tables`), `function`, `string`, `int`, `uint`, `float`, `bool`, `time`, `duration`, `array`,
//! `object`, `regexp`, and `invalid` for polymorphic parameters (e.g. `range`'s `start`, which
//! takes a time or a duration), as InfluxDB does.
//!
//! Invariants: names are unique and sorted; parameter names within an entry are unique and
//! sorted (the JSON object order InfluxDB produces).

/// One suggested function: name and `(parameter, type)` pairs.
pub type Suggestion = (&'static str, &'static [(&'static str, &'static str)]);

const T: (&str, &str) = ("tables", "stream");

/// Every suggestion, sorted by name.
#[rustfmt::skip]
pub const SUGGESTIONS: &[Suggestion] = &[
    ("aggregateWindow", &[("column", "string"), ("createEmpty", "bool"), ("every", "duration"), ("fn", "function"), ("location", "object"), ("offset", "duration"), ("period", "duration"), T, ("timeDst", "string"), ("timeSrc", "string")]),
    ("bottom", &[("columns", "array"), ("n", "int"), T]),
    ("buckets", &[("host", "string"), ("org", "string"), ("orgID", "string"), ("token", "string")]),
    ("count", &[("column", "string"), T]),
    ("cumulativeSum", &[("columns", "array"), T]),
    ("derivative", &[("columns", "array"), ("initialZero", "bool"), ("nonNegative", "bool"), T, ("timeColumn", "string"), ("unit", "duration")]),
    ("difference", &[("columns", "array"), ("initialZero", "bool"), ("keepFirst", "bool"), ("nonNegative", "bool"), T]),
    ("distinct", &[("column", "string"), T]),
    ("drop", &[("columns", "array"), ("fn", "function"), T]),
    ("duplicate", &[("as", "string"), ("column", "string"), T]),
    ("elapsed", &[("columnName", "string"), T, ("timeColumn", "string"), ("unit", "duration")]),
    ("fill", &[("column", "string"), T, ("usePrevious", "bool"), ("value", "invalid")]),
    ("filter", &[("fn", "function"), ("onEmpty", "string"), T]),
    ("first", &[("column", "string"), T]),
    ("from", &[("bucket", "string"), ("bucketID", "string"), ("host", "string"), ("org", "string"), ("orgID", "string"), ("token", "string")]),
    ("group", &[("columns", "array"), ("mode", "string"), T]),
    ("increase", &[("columns", "array"), T]),
    ("join", &[("method", "string"), ("on", "array"), ("tables", "object")]),
    ("keep", &[("columns", "array"), ("fn", "function"), T]),
    ("last", &[("column", "string"), T]),
    ("limit", &[("n", "int"), ("offset", "int"), T]),
    ("map", &[("fn", "function"), ("mergeKey", "bool"), T]),
    ("max", &[("column", "string"), T]),
    ("mean", &[("column", "string"), T]),
    ("median", &[("column", "string"), ("compression", "float"), ("method", "string"), T]),
    ("min", &[("column", "string"), T]),
    ("movingAverage", &[("n", "int"), T]),
    ("now", &[]),
    ("pivot", &[("columnKey", "array"), ("rowKey", "array"), T, ("valueColumn", "string")]),
    ("quantile", &[("column", "string"), ("compression", "float"), ("method", "string"), ("q", "float"), T]),
    ("range", &[("start", "invalid"), ("stop", "invalid"), T]),
    ("rename", &[("columns", "object"), ("fn", "function"), T]),
    ("set", &[("key", "string"), T, ("value", "string")]),
    ("sort", &[("columns", "array"), ("desc", "bool"), T]),
    ("spread", &[("column", "string"), T]),
    ("stddev", &[("column", "string"), ("mode", "string"), T]),
    ("sum", &[("column", "string"), T]),
    ("tail", &[("n", "int"), ("offset", "int"), T]),
    ("timeShift", &[("columns", "array"), ("duration", "duration"), T]),
    ("toBool", &[T]),
    ("toFloat", &[T]),
    ("toInt", &[T]),
    ("toString", &[T]),
    ("toTime", &[T]),
    ("toUInt", &[T]),
    ("top", &[("columns", "array"), ("n", "int"), T]),
    ("union", &[("tables", "array")]),
    ("unique", &[("column", "string"), T]),
    ("window", &[("createEmpty", "bool"), ("every", "duration"), ("location", "object"), ("offset", "duration"), ("period", "duration"), ("startColumn", "string"), ("stopColumn", "string"), T, ("timeColumn", "string")]),
    ("yield", &[("name", "string"), T]),
];

/// The suggestion for one function name.
pub fn find(name: &str) -> Option<&'static Suggestion> {
    SUGGESTIONS
        .binary_search_by(|(n, _)| (*n).cmp(name))
        .ok()
        .and_then(|i| SUGGESTIONS.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_params_are_sorted_and_unique() {
        for w in SUGGESTIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} before {}", w[0].0, w[1].0);
        }
        for (name, params) in SUGGESTIONS {
            for w in params.windows(2) {
                assert!(w[0].0 < w[1].0, "{name}: {} before {}", w[0].0, w[1].0);
            }
        }
    }

    #[test]
    fn lookup() {
        let (name, params) = find("range").expect("range");
        assert_eq!(*name, "range");
        assert!(params.contains(&("tables", "stream")));
        assert!(find("nope").is_none());
        assert!(find("yield").is_some());
        assert!(find("aggregateWindow").is_some());
    }
}
