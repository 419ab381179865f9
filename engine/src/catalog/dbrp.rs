//! DBRP mappings: InfluxDB 1.x `database`/`retention policy` pairs → buckets, as InfluxDB 2.7
//! keeps them for `/write`, `/query` and `/api/v2/dbrps`.
//!
//! Invariants (kept by the pure `CatalogData` methods below, checked by the tests):
//! - `(org, database, retention_policy)` is unique among explicit mappings (422 `conflict`).
//! - For every `(org, database)` that has explicit mappings, exactly one of them is the
//!   default: the first mapping of a database becomes its default; making another one the
//!   default unsets the old one; removing (or un-defaulting) the default promotes the mapping
//!   with the lowest ID (2.7 promotes the first one of its ID-ordered index).
//! - A mapping's bucket exists and belongs to the mapping's org; mappings vanish with their
//!   bucket or org (`remove_dbrps`).
//! - Every bucket also has a *virtual* mapping, computed and never stored: bucket `a/b` is
//!   db `a`, rp `b`; any other bucket `x` is db `x`, rp `autogen`. Its ID is the bucket's ID
//!   (explicit mapping IDs never equal a bucket ID). Explicit mappings win over virtual ones
//!   when resolving ([`resolve_dbrp`]).
//! - Database and retention-policy names are validated as 2.7 does (`validName`): non-empty,
//!   printable, not `.` or `..`, no `/` or `\`, and (ours) at most 255 bytes.

use serde::{Deserialize, Serialize};

use super::{fresh_id, Bucket, CatalogData, CatalogSnapshot};
use crate::error::{Error, Result};
use crate::model::OrgId;

/// Most explicit DBRP mappings the catalog holds.
pub const MAX_DBRPS: usize = 100_000;

/// Longest database or retention-policy name accepted, bytes.
const MAX_NAME_LEN: usize = 255;

/// Retention policy of a virtual mapping whose bucket name has no `/`.
pub const AUTOGEN: &str = "autogen";

/// An explicit DBRP mapping (persisted).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dbrp {
    /// ID.
    pub id: u64,
    /// Owning org.
    pub org_id: u64,
    /// Target bucket (in `org_id`).
    pub bucket_id: u64,
    /// v1 database.
    pub database: String,
    /// v1 retention policy.
    pub retention_policy: String,
    /// Is this the default retention policy of `database`?
    pub default: bool,
}

/// A mapping as listed: explicit or virtual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbrpView {
    /// The mapping (a virtual one has the bucket's ID).
    pub mapping: Dbrp,
    /// Computed from a bucket name, not stored.
    pub is_virtual: bool,
}

/// A mapping to create (`POST /api/v2/dbrps`, decoded).
#[derive(Debug, Clone)]
pub struct NewDbrp {
    /// Owning org.
    pub org_id: u64,
    /// Target bucket.
    pub bucket_id: u64,
    /// v1 database.
    pub database: String,
    /// v1 retention policy.
    pub retention_policy: String,
    /// Make it the default of its database.
    pub default: bool,
}

/// Changes to a mapping (`PATCH /api/v2/dbrps/{id}`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct DbrpUpdate {
    /// Org the mapping must belong to.
    pub org_id: u64,
    /// The mapping.
    pub id: u64,
    /// New default flag.
    pub default: Option<bool>,
    /// New retention policy.
    pub retention_policy: Option<String>,
}

/// Filters of `GET /api/v2/dbrps` (all optional, ANDed).
#[derive(Debug, Clone, Default)]
pub struct DbrpFilter {
    /// Org (2.7 always requires one; `None` = every org).
    pub org_id: Option<u64>,
    /// Mapping ID.
    pub id: Option<u64>,
    /// Target bucket.
    pub bucket_id: Option<u64>,
    /// Database.
    pub database: Option<String>,
    /// Retention policy.
    pub retention_policy: Option<String>,
    /// Default flag.
    pub default: Option<bool>,
}

impl DbrpFilter {
    fn matches(&self, m: &Dbrp) -> bool {
        self.id.is_none_or(|v| v == m.id)
            && self.org_id.is_none_or(|v| v == m.org_id)
            && self.bucket_id.is_none_or(|v| v == m.bucket_id)
            && self.database.as_deref().is_none_or(|v| v == m.database)
            && self
                .retention_policy
                .as_deref()
                .is_none_or(|v| v == m.retention_policy)
            && self.default.is_none_or(|v| v == m.default)
    }
}

/// The (database, retention policy) of a bucket's virtual mapping: `a/b` → (`a`, `b`), any
/// other name → (name, `autogen`).
pub fn virtual_db_rp(bucket_name: &str) -> (&str, &str) {
    bucket_name
        .split_once('/')
        .unwrap_or((bucket_name, AUTOGEN))
}

/// Checks a database (`what` = `database`) or retention-policy (`retentionPolicy`) name as 2.7's
/// `validName`, with 2.7's messages (400 `invalid`).
pub fn validate_dbrp_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "DBRP provided is invalid: {what} must contain at least one character and only be letters, numbers, '_', '-', and '.'"
        )))
    }
}

fn not_found() -> Error {
    Error::not_found("unable to find DBRP")
}

/// Every mapping matching `filter`, as 2.7's `FindMany` lists them: the explicit ones (by ID),
/// then one virtual mapping per bucket of the org (by bucket name). A virtual mapping is marked
/// default unless an explicit mapping in the result targets its bucket (2.7's rule).
pub fn dbrp_mappings(snap: &CatalogSnapshot, filter: &DbrpFilter) -> Vec<DbrpView> {
    let data = snap.data();
    let mut explicit: Vec<&Dbrp> = data.dbrps.iter().filter(|m| filter.matches(m)).collect();
    explicit.sort_by_key(|m| m.id);
    let mut buckets: Vec<&Bucket> = data
        .buckets
        .iter()
        .filter(|b| filter.org_id.is_none_or(|o| o == b.org_id))
        .filter(|b| filter.bucket_id.is_none_or(|id| id == b.id))
        .collect();
    buckets.sort_by(|a, b| (a.org_id, &a.name).cmp(&(b.org_id, &b.name)));
    let mut out: Vec<DbrpView> = explicit
        .iter()
        .map(|m| DbrpView {
            mapping: (*m).clone(),
            is_virtual: false,
        })
        .collect();
    for b in buckets {
        let (db, rp) = virtual_db_rp(&b.name);
        let m = Dbrp {
            id: b.id,
            org_id: b.org_id,
            bucket_id: b.id,
            database: db.to_string(),
            retention_policy: rp.to_string(),
            default: !explicit.iter().any(|e| e.bucket_id == b.id),
        };
        if filter.matches(&m) {
            out.push(DbrpView {
                mapping: m,
                is_virtual: true,
            });
        }
    }
    out
}

/// The bucket that v1 `db` (and `rp`) address in `org` (every org if `None`):
/// - with `rp`: the explicit mapping (org, db, rp), else a bucket whose virtual mapping is
///   (db, rp) — bucket `db` for `autogen`, bucket `db/rp` otherwise;
/// - without `rp` (or an empty one): the default explicit mapping of db, else bucket `db`,
///   else the first (by name) bucket `db/…`.
///
/// `/write` and InfluxQL `/query` resolve through this one function.
pub fn resolve_dbrp<'a>(
    snap: &'a CatalogSnapshot,
    org: Option<OrgId>,
    db: &str,
    rp: Option<&str>,
) -> Option<&'a Bucket> {
    let rp = rp.filter(|r| !r.is_empty());
    let in_org = |o: u64| org.is_none_or(|x| x.0 == o);
    let explicit = snap
        .data()
        .dbrps
        .iter()
        .filter(|m| in_org(m.org_id) && m.database == db)
        .filter(|m| match rp {
            Some(rp) => m.retention_policy == rp,
            None => m.default,
        })
        .min_by_key(|m| m.id);
    if let Some(m) = explicit {
        return snap.bucket_by_id(crate::model::BucketId(m.bucket_id));
    }
    let buckets = snap.buckets().iter().filter(|b| in_org(b.org_id));
    match rp {
        Some(rp) => buckets
            .filter(|b| virtual_db_rp(&b.name) == (db, rp))
            .min_by(|a, b| (a.org_id, &a.name).cmp(&(b.org_id, &b.name))),
        None => buckets
            .filter(|b| virtual_db_rp(&b.name).0 == db)
            .min_by_key(|b| (b.name != db, b.org_id, b.name.as_str())),
    }
}

impl CatalogData {
    /// Makes `id` the only default of its (org, database).
    fn set_default(&mut self, org: u64, db: &str, id: u64) {
        for m in self
            .dbrps
            .iter_mut()
            .filter(|m| m.org_id == org && m.database == db)
        {
            m.default = m.id == id;
        }
    }

    /// If (org, db) has mappings but no default, the lowest ID becomes the default.
    fn ensure_default(&mut self, org: u64, db: &str) {
        let same = |m: &&Dbrp| m.org_id == org && m.database == db;
        if self.dbrps.iter().filter(same).any(|m| m.default) {
            return;
        }
        if let Some(first) = self.dbrps.iter().filter(same).map(|m| m.id).min() {
            self.set_default(org, db, first);
        }
    }

    /// Removes the mappings matching `pred`, promoting new defaults where needed (pure).
    pub(super) fn remove_dbrps(&mut self, pred: impl Fn(&Dbrp) -> bool) {
        let mut touched: Vec<(u64, String)> = Vec::new();
        self.dbrps.retain(|m| {
            if pred(m) {
                touched.push((m.org_id, m.database.clone()));
                false
            } else {
                true
            }
        });
        for (org, db) in touched {
            self.ensure_default(org, &db);
        }
    }

    fn dbrp_conflict(&self, org: u64, db: &str, rp: &str, except: u64) -> Result<()> {
        if self.dbrps.iter().any(|m| {
            m.id != except && m.org_id == org && m.database == db && m.retention_policy == rp
        }) {
            return Err(Error::conflict(
                "another DBRP mapping with same orgID, db, and rp exists",
            ));
        }
        Ok(())
    }

    /// Adds an explicit mapping (pure). The first mapping of a database becomes its default.
    pub fn create_dbrp(&mut self, req: NewDbrp) -> Result<Dbrp> {
        validate_dbrp_name("database", &req.database)?;
        validate_dbrp_name("retentionPolicy", &req.retention_policy)?;
        if !self.orgs.iter().any(|o| o.id == req.org_id) {
            return Err(Error::not_found("organization not found"));
        }
        if !self
            .buckets
            .iter()
            .any(|b| b.id == req.bucket_id && b.org_id == req.org_id)
        {
            return Err(Error::not_found("bucket not found"));
        }
        self.dbrp_conflict(req.org_id, &req.database, &req.retention_policy, 0)?;
        if self.dbrps.len() >= MAX_DBRPS {
            return Err(Error::unprocessable(format!(
                "too many DBRP mappings: at most {MAX_DBRPS} may exist at once"
            )));
        }
        let has_default = self
            .dbrps
            .iter()
            .any(|m| m.org_id == req.org_id && m.database == req.database && m.default);
        let m = Dbrp {
            id: fresh_id(self),
            org_id: req.org_id,
            bucket_id: req.bucket_id,
            database: req.database,
            retention_policy: req.retention_policy,
            default: req.default || !has_default,
        };
        self.dbrps.push(m.clone());
        if m.default {
            self.set_default(m.org_id, &m.database, m.id);
        }
        Ok(m)
    }

    /// Updates a mapping's retention policy and default flag (pure). Un-defaulting the default
    /// promotes the lowest-ID other mapping; with no other mapping it stays the default.
    pub fn update_dbrp(&mut self, upd: DbrpUpdate) -> Result<Dbrp> {
        let i = self
            .dbrps
            .iter()
            .position(|m| m.id == upd.id && m.org_id == upd.org_id)
            .ok_or_else(not_found)?;
        let mut m = self.dbrps[i].clone();
        if let Some(rp) = upd.retention_policy {
            validate_dbrp_name("retentionPolicy", &rp)?;
            self.dbrp_conflict(m.org_id, &m.database, &rp, m.id)?;
            m.retention_policy = rp;
        }
        let (org, db, id) = (m.org_id, m.database.clone(), m.id);
        self.dbrps[i] = m;
        match upd.default {
            Some(true) => self.set_default(org, &db, id),
            Some(false) if self.dbrps[i].default => {
                let next = self
                    .dbrps
                    .iter()
                    .filter(|o| o.org_id == org && o.database == db && o.id != id)
                    .map(|o| o.id)
                    .min();
                if let Some(next) = next {
                    self.set_default(org, &db, next);
                }
            }
            _ => {}
        }
        Ok(self.dbrps[i].clone())
    }

    /// Removes an explicit mapping of `org` (pure); a removed default is replaced.
    pub fn delete_dbrp(&mut self, org: u64, id: u64) -> Result<()> {
        if !self.dbrps.iter().any(|m| m.id == id && m.org_id == org) {
            return Err(not_found());
        }
        self.remove_dbrps(|m| m.id == id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NewBucket, NewOrg};
    use super::*;
    use crate::error::ErrorKind;

    const NOW: &str = "2024-01-01T00:00:00Z";

    fn setup() -> (CatalogData, u64, Vec<u64>) {
        let mut d = CatalogData::default();
        let org = d
            .create_org(
                NewOrg {
                    name: "acme".into(),
                    description: String::new(),
                    owner: None,
                },
                NOW,
            )
            .unwrap()
            .id;
        let ids = ["telegraf", "db/weekly", "other"]
            .iter()
            .map(|n| {
                d.create_bucket(
                    NewBucket {
                        org_id: org,
                        name: (*n).into(),
                        description: String::new(),
                        retention_seconds: 0,
                        shard_group_seconds: 0,
                        rp: String::new(),
                    },
                    NOW,
                )
                .unwrap()
                .id
            })
            .collect();
        (d, org, ids)
    }

    fn new(org: u64, bucket: u64, db: &str, rp: &str, default: bool) -> NewDbrp {
        NewDbrp {
            org_id: org,
            bucket_id: bucket,
            database: db.into(),
            retention_policy: rp.into(),
            default,
        }
    }

    fn defaults(d: &CatalogData, db: &str) -> Vec<u64> {
        d.dbrps
            .iter()
            .filter(|m| m.database == db && m.default)
            .map(|m| m.id)
            .collect()
    }

    #[test]
    fn first_mapping_is_default_and_new_default_replaces_old() {
        let (mut d, org, b) = setup();
        let a = d.create_dbrp(new(org, b[0], "mydb", "one", false)).unwrap();
        assert!(a.default);
        let c = d.create_dbrp(new(org, b[1], "mydb", "two", false)).unwrap();
        assert!(!c.default);
        assert_eq!(defaults(&d, "mydb"), vec![a.id]);
        let e = d
            .create_dbrp(new(org, b[2], "mydb", "three", true))
            .unwrap();
        assert_eq!(defaults(&d, "mydb"), vec![e.id]);
        // Another database has its own default.
        let f = d
            .create_dbrp(new(org, b[2], "other", "one", false))
            .unwrap();
        assert!(f.default);
        assert_eq!(defaults(&d, "mydb"), vec![e.id]);
    }

    #[test]
    fn create_validates_names_bucket_and_conflicts() {
        let (mut d, org, b) = setup();
        let kind = |r: Result<Dbrp>| r.unwrap_err().kind();
        assert_eq!(
            kind(d.create_dbrp(new(org, b[0], "db", "", false))),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_dbrp(new(org, b[0], "", "rp", false))),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_dbrp(new(org, b[0], "a/b", "rp", false))),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_dbrp(new(org, b[0], "..", "rp", false))),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_dbrp(new(org, 12345, "db", "rp", false))),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(d.create_dbrp(new(org + 1, b[0], "db", "rp", false))),
            ErrorKind::NotFound
        );
        d.create_dbrp(new(org, b[0], "db", "rp", false)).unwrap();
        let e = d
            .create_dbrp(new(org, b[1], "db", "rp", false))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "another DBRP mapping with same orgID, db, and rp exists"
        );
    }

    #[test]
    fn update_moves_default_and_checks_conflicts() {
        let (mut d, org, b) = setup();
        let a = d.create_dbrp(new(org, b[0], "db", "a", false)).unwrap();
        let c = d.create_dbrp(new(org, b[1], "db", "c", false)).unwrap();
        let upd = |id, default, rp: Option<&str>| DbrpUpdate {
            org_id: org,
            id,
            default,
            retention_policy: rp.map(String::from),
        };
        let u = d.update_dbrp(upd(c.id, Some(true), None)).unwrap();
        assert!(u.default);
        assert_eq!(defaults(&d, "db"), vec![c.id]);
        // Un-defaulting the default promotes the other one.
        let u = d.update_dbrp(upd(c.id, Some(false), None)).unwrap();
        assert!(!u.default);
        assert_eq!(defaults(&d, "db"), vec![a.id]);
        let e = d.update_dbrp(upd(c.id, None, Some("a"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        let u = d.update_dbrp(upd(c.id, None, Some("z"))).unwrap();
        assert_eq!(u.retention_policy, "z");
        assert_eq!(
            d.update_dbrp(upd(c.id + 1, None, None)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let mut wrong_org = upd(c.id, None, None);
        wrong_org.org_id = org + 1;
        assert_eq!(
            d.update_dbrp(wrong_org).unwrap_err().message(),
            "unable to find DBRP"
        );
        // A lone mapping stays the default.
        let solo = d.create_dbrp(new(org, b[2], "solo", "x", false)).unwrap();
        assert!(
            d.update_dbrp(upd(solo.id, Some(false), None))
                .unwrap()
                .default
        );
    }

    #[test]
    fn deleting_default_promotes_and_cascades_with_bucket_and_org() {
        let (mut d, org, b) = setup();
        let a = d.create_dbrp(new(org, b[0], "db", "a", false)).unwrap();
        let c = d.create_dbrp(new(org, b[1], "db", "c", false)).unwrap();
        let e = d.create_dbrp(new(org, b[2], "db", "e", false)).unwrap();
        d.delete_dbrp(org, a.id).unwrap();
        assert_eq!(defaults(&d, "db"), vec![c.id.min(e.id)]);
        assert_eq!(
            d.delete_dbrp(org, a.id).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        // Deleting the bucket of the default removes its mapping and promotes the other.
        let def = defaults(&d, "db")[0];
        let def_bucket = d.dbrps.iter().find(|m| m.id == def).unwrap().bucket_id;
        d.delete_bucket(def_bucket).unwrap();
        assert_eq!(d.dbrps.len(), 1);
        assert!(d.dbrps[0].default);
        d.delete_org(org).unwrap();
        assert!(d.dbrps.is_empty());
    }

    #[test]
    fn resolution_prefers_explicit_then_virtual() {
        let (mut d, org, b) = setup();
        let snap = CatalogSnapshot::new(d.clone());
        let o = Some(OrgId(org));
        let name = |x: Option<&Bucket>| x.map(|b| b.name.clone());
        // Virtual: bucket name → db/autogen, `a/b` → db a, rp b.
        assert_eq!(
            name(resolve_dbrp(&snap, o, "telegraf", None)),
            Some("telegraf".into())
        );
        assert_eq!(
            name(resolve_dbrp(&snap, o, "telegraf", Some("autogen"))),
            Some("telegraf".into())
        );
        assert!(resolve_dbrp(&snap, o, "telegraf", Some("x")).is_none());
        assert_eq!(
            name(resolve_dbrp(&snap, o, "db", Some("weekly"))),
            Some("db/weekly".into())
        );
        assert_eq!(
            name(resolve_dbrp(&snap, o, "db", None)),
            Some("db/weekly".into())
        );
        assert!(resolve_dbrp(&snap, o, "nope", None).is_none());
        assert!(resolve_dbrp(&snap, Some(OrgId(org + 1)), "telegraf", None).is_none());
        // Explicit mappings win, for the named rp and for the default.
        d.create_dbrp(new(org, b[2], "telegraf", "autogen", false))
            .unwrap();
        d.create_dbrp(new(org, b[1], "telegraf", "fast", true))
            .unwrap();
        let snap = CatalogSnapshot::new(d.clone());
        assert_eq!(
            name(resolve_dbrp(&snap, o, "telegraf", Some("autogen"))),
            Some("other".into())
        );
        assert_eq!(
            name(resolve_dbrp(&snap, o, "telegraf", None)),
            Some("db/weekly".into())
        );
        assert_eq!(
            name(resolve_dbrp(&snap, o, "telegraf", Some(""))),
            Some("db/weekly".into())
        );
    }

    #[test]
    fn listing_has_explicit_then_virtual_mappings() {
        let (mut d, org, b) = setup();
        let m = d.create_dbrp(new(org, b[2], "mydb", "rp", false)).unwrap();
        let snap = CatalogSnapshot::new(d);
        let all = dbrp_mappings(
            &snap,
            &DbrpFilter {
                org_id: Some(org),
                ..Default::default()
            },
        );
        // 1 explicit + 5 buckets (3 user + 2 system).
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].mapping, m);
        assert!(!all[0].is_virtual);
        assert!(all[1..].iter().all(|v| v.is_virtual));
        let other = all
            .iter()
            .find(|v| v.is_virtual && v.mapping.bucket_id == b[2])
            .unwrap();
        assert!(!other.mapping.default);
        assert_eq!(other.mapping.id, b[2]);
        let weekly = all.iter().find(|v| v.mapping.bucket_id == b[1]).unwrap();
        assert_eq!(
            (
                weekly.mapping.database.as_str(),
                weekly.mapping.retention_policy.as_str()
            ),
            ("db", "weekly")
        );
        let by_db = dbrp_mappings(
            &snap,
            &DbrpFilter {
                org_id: Some(org),
                database: Some("mydb".into()),
                ..Default::default()
            },
        );
        assert_eq!(by_db.len(), 1);
        let by_bucket = dbrp_mappings(
            &snap,
            &DbrpFilter {
                org_id: Some(org),
                bucket_id: Some(b[2]),
                default: Some(true),
                ..Default::default()
            },
        );
        assert_eq!(by_bucket.len(), 1);
        assert!(!by_bucket[0].is_virtual);
    }
}
