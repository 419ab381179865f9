//! The data specification: what one generated line looks like.
//!
//! A [`DataSpec`] names one measurement, an ordered list of tags and an
//! ordered list of fields. It is plain JSON (see `specs/tsbs-cpu.json`, which
//! is exactly [`DataSpec::tsbs_cpu`] written out) so other shapes can be load
//! tested without recompiling.
//!
//! Invariants, checked by [`DataSpec::validate`] before any generation:
//! * the measurement and every key are non-empty; keys are unique per kind;
//! * there is at least one field (line protocol requires one);
//! * every tag has a way to produce a non-empty value: an explicit non-empty
//!   `values` list (none of them empty), or a `cardinality` ≥ 1, or neither,
//!   in which case the tag is the *series tag* and its value is
//!   `prefix + host index` (so its cardinality is `--hosts`);
//! * numeric fields have `min <= max`, finite bounds and a finite `step ≥ 0`;
//!   unsigned fields have `min ≥ 0`.
//!
//! How a tag value is chosen for host `h` is fixed by the spec and the seed
//! alone (see `generate.rs`), so a host always has the same tag set.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One measurement's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Measurement name written at the start of each line.
    pub measurement: String,
    /// Tags in the order they are written.
    pub tags: Vec<TagSpec>,
    /// Fields in the order they are written.
    pub fields: Vec<FieldSpec>,
}

/// How one tag's value is produced for a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagSpec {
    /// Tag key.
    pub key: String,
    /// Prefix prepended to numeric values (`host_` gives `host_17`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Pick one of these per host (seeded hash of the host index).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Value is `prefix + (hash(host) % cardinality)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardinality: Option<u64>,
}

/// Field value type, as in line protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// `1.5`
    Float,
    /// `15i`
    Integer,
    /// `15u`
    Unsigned,
    /// `t` / `f`
    Boolean,
    /// `"v3"`
    String,
}

/// One field: a per-host random walk for numeric types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Field key.
    pub key: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Lower bound of the walk (numeric types).
    #[serde(default)]
    pub min: f64,
    /// Upper bound of the walk (numeric types).
    #[serde(default = "default_max")]
    pub max: f64,
    /// Largest move per point; default `(max - min) / 100`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// Number of distinct string values (`"v0"`..), string type only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cardinality: Option<u64>,
}

fn default_max() -> f64 {
    100.0
}

/// A spec that failed validation or could not be read.
#[derive(Debug)]
pub struct SpecError(pub String);

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid data spec: {}", self.0)
    }
}

impl std::error::Error for SpecError {}

const TSBS_FIELDS: [&str; 10] = [
    "usage_user",
    "usage_system",
    "usage_idle",
    "usage_nice",
    "usage_iowait",
    "usage_irq",
    "usage_softirq",
    "usage_steal",
    "usage_guest",
    "usage_guest_nice",
];

fn list(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| (*s).to_owned()).collect()
}

impl DataSpec {
    /// The built-in default: TSBS `cpu-only`-like.
    pub fn tsbs_cpu() -> Self {
        let tag = |key: &str, values: &[&str]| TagSpec {
            key: key.to_owned(),
            prefix: String::new(),
            values: list(values),
            cardinality: None,
        };
        let num = |key: &str, card: u64| TagSpec {
            key: key.to_owned(),
            prefix: String::new(),
            values: Vec::new(),
            cardinality: Some(card),
        };
        DataSpec {
            measurement: "cpu".to_owned(),
            tags: vec![
                TagSpec {
                    key: "hostname".to_owned(),
                    prefix: "host_".to_owned(),
                    values: Vec::new(),
                    cardinality: None,
                },
                tag(
                    "region",
                    &[
                        "us-east-1",
                        "us-west-1",
                        "us-west-2",
                        "eu-west-1",
                        "eu-central-1",
                        "ap-southeast-1",
                        "ap-southeast-2",
                        "ap-northeast-1",
                        "sa-east-1",
                    ],
                ),
                tag(
                    "datacenter",
                    &[
                        "us-east-1a",
                        "us-east-1b",
                        "us-east-1c",
                        "us-east-1e",
                        "us-west-1a",
                        "us-west-1b",
                        "us-west-2a",
                        "us-west-2b",
                        "eu-west-1a",
                        "eu-west-1b",
                        "eu-central-1a",
                        "eu-central-1b",
                    ],
                ),
                num("rack", 100),
                tag("os", &["Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"]),
                tag("arch", &["x64", "x86"]),
                tag("team", &["SF", "NYC", "LON", "CHI"]),
                num("service", 20),
                num("service_version", 2),
                tag("service_environment", &["production", "staging", "test"]),
            ],
            fields: TSBS_FIELDS
                .iter()
                .map(|k| FieldSpec {
                    key: (*k).to_owned(),
                    kind: FieldType::Float,
                    min: 0.0,
                    max: 100.0,
                    step: Some(1.0),
                    cardinality: None,
                })
                .collect(),
        }
    }

    /// Parse a spec from JSON text and validate it.
    pub fn from_json(text: &str) -> Result<Self, SpecError> {
        let spec: DataSpec =
            serde_json::from_str(text).map_err(|e| SpecError(format!("JSON: {e}")))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Check the invariants listed in the module docs.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.measurement.is_empty() {
            return Err(SpecError("empty measurement".into()));
        }
        if self.fields.is_empty() {
            return Err(SpecError("at least one field is required".into()));
        }
        let mut seen = HashSet::new();
        for t in &self.tags {
            if t.key.is_empty() {
                return Err(SpecError("empty tag key".into()));
            }
            if !seen.insert(t.key.as_str()) {
                return Err(SpecError(format!("duplicate tag key {:?}", t.key)));
            }
            if t.values.iter().any(String::is_empty) {
                return Err(SpecError(format!("tag {:?} has an empty value", t.key)));
            }
            if t.cardinality == Some(0) {
                return Err(SpecError(format!("tag {:?} has cardinality 0", t.key)));
            }
            if !t.values.is_empty() && t.cardinality.is_some() {
                return Err(SpecError(format!(
                    "tag {:?}: give `values` or `cardinality`, not both",
                    t.key
                )));
            }
        }
        let mut seen = HashSet::new();
        for f in &self.fields {
            if f.key.is_empty() {
                return Err(SpecError("empty field key".into()));
            }
            if !seen.insert(f.key.as_str()) {
                return Err(SpecError(format!("duplicate field key {:?}", f.key)));
            }
            let numeric = matches!(
                f.kind,
                FieldType::Float | FieldType::Integer | FieldType::Unsigned
            );
            if numeric {
                if !(f.min.is_finite() && f.max.is_finite()) || f.min > f.max {
                    return Err(SpecError(format!(
                        "field {:?}: need finite min <= max",
                        f.key
                    )));
                }
                if let Some(s) = f.step {
                    if !s.is_finite() || s < 0.0 {
                        return Err(SpecError(format!(
                            "field {:?}: step must be finite and >= 0",
                            f.key
                        )));
                    }
                }
                if f.kind == FieldType::Unsigned && f.min < 0.0 {
                    return Err(SpecError(format!(
                        "field {:?}: unsigned needs min >= 0",
                        f.key
                    )));
                }
            }
            if f.kind == FieldType::String && f.cardinality == Some(0) {
                return Err(SpecError(format!("field {:?} has cardinality 0", f.key)));
            }
        }
        Ok(())
    }

    /// Largest move per point of a numeric field.
    pub(crate) fn step_of(f: &FieldSpec) -> f64 {
        f.step.unwrap_or((f.max - f.min) / 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spec_is_valid_and_matches_file() {
        let spec = DataSpec::tsbs_cpu();
        spec.validate().unwrap();
        assert_eq!(spec.tags.len(), 10);
        assert_eq!(spec.fields.len(), 10);
        let file = include_str!("../specs/tsbs-cpu.json");
        assert_eq!(DataSpec::from_json(file).unwrap(), spec);
    }

    #[test]
    fn rejects_bad_specs() {
        let mut s = DataSpec::tsbs_cpu();
        s.fields.clear();
        assert!(s.validate().is_err());
        let mut s = DataSpec::tsbs_cpu();
        s.tags[1].cardinality = Some(3);
        assert!(s.validate().is_err());
        let mut s = DataSpec::tsbs_cpu();
        s.fields[0].min = 200.0;
        assert!(s.validate().is_err());
        assert!(DataSpec::from_json("{\"measurement\":\"m\"}").is_err());
    }
}
