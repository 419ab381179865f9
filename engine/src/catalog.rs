//! Metadata: users, organizations, buckets and authorizations (tokens).
//!
//! Invariants:
//! - Readers on every core see an immutable [`CatalogSnapshot`] through one `ArcSwap`
//!   (read-mostly, copy-on-write): a lookup takes no lock.
//! - Only shard 0 mutates the catalog (other cores forward mutations over the mesh), so
//!   mutations are serialised without a lock. A mutation builds a new snapshot, persists it
//!   durably (`catalog.json.tmp` → fdatasync → rename → directory fsync), and only then
//!   publishes it; a crash leaves either the old or the new file, never a torn one.
//! - Passwords are stored as Argon2id PHC strings, never in clear. Tokens are stored as given
//!   (InfluxDB 2.x lists them back to operators too).
//! - IDs are random non-zero 64-bit values printed as 16 hex digits. A new bucket or org gets
//!   an ID no current bucket or org has; since IDs are 63 random bits, a deleted bucket's ID is
//!   in practice never handed out again, so data written under an old ID stays unreachable.
//! - Bucket names are unique within an org, org names are unique. Every org has the system
//!   buckets `_monitoring` and `_tasks`; they cannot be renamed or deleted (only with their org).
//! - A mutation is validated against the current snapshot by the pure `CatalogData` methods
//!   (no I/O), then committed; a rejected mutation changes nothing.
//! - DBRP mappings (`dbrp`) and legacy v1 authorizations (`legacy`) are part of the same file
//!   and die with their bucket/org; their own invariants are documented in those modules.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{BucketId, OrgId, UserId};

mod dbrp;
mod legacy;

pub use dbrp::{
    dbrp_mappings, resolve_dbrp, validate_dbrp_name, virtual_db_rp, Dbrp, DbrpFilter, DbrpUpdate,
    DbrpView, NewDbrp, AUTOGEN, MAX_DBRPS,
};
pub use legacy::{
    LegacyAuthUpdate, LegacyAuthorization, NewLegacyAuth, MAX_LEGACY_AUTHS, MIN_PASSWORD_LEN,
};

/// File holding the catalog inside the engine path.
pub const CATALOG_FILE: &str = "catalog.json";

/// A user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// ID.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Argon2id PHC string (empty: no password set).
    #[serde(default)]
    pub password_hash: String,
    /// `active` or `inactive`.
    pub status: String,
    /// RFC3339 creation time.
    pub created_at: String,
}

/// An organization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Org {
    /// ID.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// RFC3339 update time.
    pub updated_at: String,
    /// Users owning the org (the creator). Filter of `GET /api/v2/orgs?userID=`.
    #[serde(default)]
    pub owners: Vec<u64>,
}

/// A bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    /// ID.
    pub id: u64,
    /// Owning org.
    pub org_id: u64,
    /// Name, unique within the org.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Retention in seconds; 0 = infinite.
    pub retention_seconds: i64,
    /// Shard-group duration in seconds, normalised when set; 0 = derived from the retention
    /// ([`shard_group_duration`]), as for catalogs written before it was stored.
    #[serde(default)]
    pub shard_group_seconds: i64,
    /// v1 retention-policy name (`rp`), empty if none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rp: String,
    /// `user` or `system`.
    pub kind: String,
    /// RFC3339 creation time.
    pub created_at: String,
    /// RFC3339 update time.
    pub updated_at: String,
}

/// The resource a permission applies to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Resource {
    /// Resource type (`buckets`, `orgs`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// A specific resource, or every resource of the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Limited to one org, or every org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<u64>,
}

/// `read` or `write` on a resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Permission {
    /// `read` or `write`.
    pub action: String,
    /// Target.
    pub resource: Resource,
}

/// An authorization: a token and what it may do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authorization {
    /// ID.
    pub id: u64,
    /// The secret token.
    pub token: String,
    /// `active` or `inactive`.
    pub status: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Org the authorization belongs to.
    pub org_id: u64,
    /// User the authorization belongs to.
    pub user_id: u64,
    /// Permissions.
    pub permissions: Vec<Permission>,
    /// RFC3339 creation time.
    pub created_at: String,
    /// RFC3339 update time.
    pub updated_at: String,
}

/// Every resource type of the v2 contract (`Resource.type`), for the operator token.
pub const RESOURCE_TYPES: &[&str] = &[
    "authorizations",
    "buckets",
    "dashboards",
    "orgs",
    "tasks",
    "telegrafs",
    "users",
    "variables",
    "secrets",
    "labels",
    "views",
    "documents",
    "notificationRules",
    "notificationEndpoints",
    "checks",
    "dbrp",
    "annotations",
    "sources",
    "scrapers",
    "notebooks",
    "remotes",
    "replications",
    "instance",
    "flows",
    "functions",
    "subscriptions",
];

/// The persisted catalog.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CatalogData {
    /// File format version.
    pub version: u32,
    /// Users.
    pub users: Vec<User>,
    /// Orgs.
    pub orgs: Vec<Org>,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// Authorizations.
    pub authorizations: Vec<Authorization>,
    /// Explicit DBRP mappings (v1 database/retention policy → bucket).
    #[serde(default)]
    pub dbrps: Vec<Dbrp>,
    /// Legacy (v1) authorizations: username + password.
    #[serde(default)]
    pub legacy_authorizations: Vec<LegacyAuthorization>,
}

/// An immutable, indexed view of the catalog.
#[derive(Debug, Default)]
pub struct CatalogSnapshot {
    data: CatalogData,
    by_token: HashMap<String, usize>,
    org_by_name: HashMap<String, usize>,
    org_by_id: HashMap<u64, usize>,
    bucket_by_id: HashMap<u64, usize>,
    bucket_by_name: HashMap<(u64, String), usize>,
    legacy_by_token: HashMap<String, usize>,
}

impl CatalogSnapshot {
    /// Indexes `data`.
    pub fn new(data: CatalogData) -> Self {
        let mut s = CatalogSnapshot {
            data,
            ..Default::default()
        };
        for (i, a) in s.data.authorizations.iter().enumerate() {
            s.by_token.insert(a.token.clone(), i);
        }
        for (i, o) in s.data.orgs.iter().enumerate() {
            s.org_by_name.insert(o.name.clone(), i);
            s.org_by_id.insert(o.id, i);
        }
        for (i, b) in s.data.buckets.iter().enumerate() {
            s.bucket_by_id.insert(b.id, i);
            s.bucket_by_name.insert((b.org_id, b.name.clone()), i);
        }
        for (i, a) in s.data.legacy_authorizations.iter().enumerate() {
            s.legacy_by_token.insert(a.auth.token.clone(), i);
        }
        s
    }

    /// The raw data.
    pub fn data(&self) -> &CatalogData {
        &self.data
    }

    /// True once the instance has been set up (any user exists).
    pub fn is_onboarded(&self) -> bool {
        !self.data.users.is_empty()
    }

    /// The active authorization holding `token`.
    pub fn authorize(&self, token: &str) -> Option<&Authorization> {
        let a = self.data.authorizations.get(*self.by_token.get(token)?)?;
        (a.status == "active").then_some(a)
    }

    /// Org by name.
    pub fn org_by_name(&self, name: &str) -> Option<&Org> {
        self.data.orgs.get(*self.org_by_name.get(name)?)
    }

    /// Org by ID.
    pub fn org_by_id(&self, id: OrgId) -> Option<&Org> {
        self.data.orgs.get(*self.org_by_id.get(&id.0)?)
    }

    /// Bucket by ID.
    pub fn bucket_by_id(&self, id: BucketId) -> Option<&Bucket> {
        self.data.buckets.get(*self.bucket_by_id.get(&id.0)?)
    }

    /// Bucket by name within an org.
    pub fn bucket_by_name(&self, org: OrgId, name: &str) -> Option<&Bucket> {
        self.data
            .buckets
            .get(*self.bucket_by_name.get(&(org.0, name.to_string()))?)
    }

    /// Every bucket, in catalog order.
    pub fn buckets(&self) -> &[Bucket] {
        &self.data.buckets
    }

    /// Every org, in catalog order.
    pub fn orgs(&self) -> &[Org] {
        &self.data.orgs
    }

    /// User by ID.
    pub fn user_by_id(&self, id: UserId) -> Option<&User> {
        self.data.users.iter().find(|u| u.id == id.0)
    }

    /// The legacy authorization whose username (`token`) is `username`, whatever its status.
    pub fn legacy_by_username(&self, username: &str) -> Option<&LegacyAuthorization> {
        self.data
            .legacy_authorizations
            .get(*self.legacy_by_token.get(username)?)
    }

    /// Legacy authorization by ID.
    pub fn legacy_by_id(&self, id: u64) -> Option<&LegacyAuthorization> {
        self.data
            .legacy_authorizations
            .iter()
            .find(|a| a.auth.id == id)
    }
}

impl Authorization {
    /// Does this authorization allow `action` on bucket `bucket` of org `org`?
    pub fn allows_bucket(&self, action: &str, org: u64, bucket: u64) -> bool {
        self.permissions.iter().any(|p| {
            p.action == action
                && p.resource.kind == "buckets"
                && p.resource.id.is_none_or(|id| id == bucket)
                && p.resource.org_id.is_none_or(|o| o == org)
        })
    }

    /// Does this authorization allow `action` on org `org` itself (resource type `orgs`)?
    pub fn allows_org(&self, action: &str, org: u64) -> bool {
        self.permissions.iter().any(|p| {
            p.action == action
                && p.resource.kind == "orgs"
                && p.resource.id.is_none_or(|id| id == org)
                && p.resource.org_id.is_none_or(|o| o == org)
        })
    }

    /// Does this authorization allow `action` on resources of `kind` in `org` (any id)?
    pub fn allows(&self, action: &str, kind: &str, org: Option<u64>) -> bool {
        self.permissions.iter().any(|p| {
            p.action == action
                && p.resource.kind == kind
                && p.resource.id.is_none()
                && match (p.resource.org_id, org) {
                    (None, _) => true,
                    (Some(a), Some(b)) => a == b,
                    (Some(_), None) => false,
                }
        })
    }
}

/// An onboarding request (`POST /api/v2/setup`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingRequest {
    /// Initial user name.
    pub username: String,
    /// Initial password (optional in the contract).
    #[serde(default)]
    pub password: Option<String>,
    /// Initial org name.
    pub org: String,
    /// Initial bucket name.
    pub bucket: String,
    /// Retention of the bucket, seconds.
    #[serde(default)]
    pub retention_period_seconds: Option<i64>,
    /// Deprecated: retention in *nanoseconds* despite the name.
    #[serde(default)]
    pub retention_period_hrs: Option<i64>,
    /// Operator token to use instead of a generated one.
    #[serde(default)]
    pub token: Option<String>,
}

/// What onboarding created.
#[derive(Debug, Clone)]
pub struct OnboardingResult {
    /// The user.
    pub user: User,
    /// The org.
    pub org: Org,
    /// The bucket.
    pub bucket: Bucket,
    /// The operator authorization.
    pub auth: Authorization,
}

/// A bucket to create (`POST /api/v2/buckets`, already decoded).
#[derive(Debug, Clone)]
pub struct NewBucket {
    /// Owning org.
    pub org_id: u64,
    /// Name, unique within the org.
    pub name: String,
    /// Description.
    pub description: String,
    /// Retention in seconds; 0 = infinite.
    pub retention_seconds: i64,
    /// Requested shard-group duration in seconds; 0 = InfluxDB's default for the retention.
    pub shard_group_seconds: i64,
    /// v1 retention-policy name.
    pub rp: String,
}

/// Changes to a bucket (`PATCH /api/v2/buckets/{id}`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct BucketUpdate {
    /// The bucket.
    pub id: u64,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New retention in seconds (0 = infinite).
    pub retention_seconds: Option<i64>,
    /// New shard-group duration in seconds (0 = default for the retention).
    pub shard_group_seconds: Option<i64>,
}

/// An org to create (`POST /api/v2/orgs`).
#[derive(Debug, Clone)]
pub struct NewOrg {
    /// Unique name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The creating user (becomes an owner), if known.
    pub owner: Option<u64>,
}

/// Changes to an org (`PATCH /api/v2/orgs/{id}`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrgUpdate {
    /// The org.
    pub id: u64,
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

/// A catalog mutation (executed on shard 0).
#[derive(Debug, Clone)]
pub enum CatalogOp {
    /// Initial setup.
    Onboard(OnboardingRequest),
    /// Create a user bucket (fresh random ID, never reused).
    CreateBucket(NewBucket),
    /// Update a bucket.
    UpdateBucket(BucketUpdate),
    /// Delete a user bucket (system buckets cannot be deleted).
    DeleteBucket(u64),
    /// Create an org with its system buckets.
    CreateOrg(NewOrg),
    /// Update an org.
    UpdateOrg(OrgUpdate),
    /// Delete an org and every bucket it owns.
    DeleteOrg(u64),
    /// Create an explicit DBRP mapping.
    CreateDbrp(NewDbrp),
    /// Update a DBRP mapping (`default`, `retention_policy`).
    UpdateDbrp(DbrpUpdate),
    /// Delete a DBRP mapping: (org, id).
    DeleteDbrp(u64, u64),
    /// Create a legacy authorization.
    CreateLegacyAuth(NewLegacyAuth),
    /// Update a legacy authorization's status/description.
    UpdateLegacyAuth(LegacyAuthUpdate),
    /// Delete a legacy authorization.
    DeleteLegacyAuth(u64),
    /// Set a legacy authorization's password: (id, Argon2id PHC string, hashed by the caller).
    SetLegacyPassword(u64, String),
}

/// The answer to a [`CatalogOp`].
#[derive(Debug, Clone)]
pub enum CatalogReply {
    /// Onboarding result.
    Onboarded(Box<OnboardingResult>),
    /// The created or updated bucket.
    Bucket(Box<Bucket>),
    /// The created or updated org.
    Org(Box<Org>),
    /// The created or updated DBRP mapping.
    Dbrp(Box<Dbrp>),
    /// The created or updated legacy authorization.
    LegacyAuth(Box<LegacyAuthorization>),
    /// The resource was deleted.
    Deleted,
}

/// Smallest non-zero retention InfluxDB accepts, seconds.
pub const MIN_RETENTION_SECONDS: i64 = 3600;

/// Retention of the `_monitoring` system bucket (7 days).
pub const MONITORING_RETENTION_SECONDS: i64 = 7 * 86400;
/// Retention of the `_tasks` system bucket (3 days).
pub const TASKS_RETENTION_SECONDS: i64 = 3 * 86400;

/// Shard-group duration InfluxDB derives from a retention period (seconds): 1 h under two
/// days, 1 day under 180 days, 7 days otherwise and for infinite retention.
pub fn shard_group_duration(retention_seconds: i64) -> i64 {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    match retention_seconds {
        0 => 7 * DAY,
        r if r < 2 * DAY => HOUR,
        r if r < 180 * DAY => DAY,
        _ => 7 * DAY,
    }
}

/// InfluxDB 2.7's `NormalisedShardDuration`: 0 picks the default for the retention, anything
/// under an hour becomes an hour.
pub fn normalised_shard_group(requested: i64, retention_seconds: i64) -> i64 {
    if requested == 0 {
        shard_group_duration(retention_seconds)
    } else {
        requested.max(MIN_RETENTION_SECONDS)
    }
}

impl Bucket {
    /// The shard-group duration in effect (stored, or derived for old catalogs).
    pub fn effective_shard_group_seconds(&self) -> i64 {
        if self.shard_group_seconds > 0 {
            self.shard_group_seconds
        } else {
            shard_group_duration(self.retention_seconds)
        }
    }

    /// Is this a system bucket (`_monitoring`, `_tasks`)?
    pub fn is_system(&self) -> bool {
        self.kind == "system"
    }
}

/// Checks a user bucket name as InfluxDB 2.7 does (400 `invalid`).
pub fn validate_bucket_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("bucket name is empty"));
    }
    if name.starts_with('_') {
        return Err(Error::invalid(format!(
            "bucket name {name} is invalid. Buckets may not start with underscore"
        )));
    }
    if name.contains('"') {
        return Err(Error::invalid(format!(
            "bucket name {name} is invalid. Bucket names may not include quotation marks"
        )));
    }
    Ok(())
}

/// Checks a retention and shard-group duration (seconds) before they are stored.
/// Negative values and retentions under an hour are 422 `unprocessable entity`.
pub fn validate_retention(retention_seconds: i64, shard_group_seconds: i64) -> Result<()> {
    if retention_seconds < 0 {
        return Err(Error::unprocessable(
            "expiration seconds cannot be negative",
        ));
    }
    if shard_group_seconds < 0 {
        return Err(Error::unprocessable(
            "shard-group duration seconds cannot be negative",
        ));
    }
    if retention_seconds != 0 && retention_seconds < MIN_RETENTION_SECONDS {
        return Err(Error::unprocessable(
            "retention policy duration must be at least 1h0m0s",
        ));
    }
    Ok(())
}

fn system_buckets(org_id: u64, now: &str) -> [Bucket; 2] {
    let mk = |name: &str, retention: i64| Bucket {
        id: new_id(),
        org_id,
        name: name.into(),
        description: String::new(),
        retention_seconds: retention,
        shard_group_seconds: shard_group_duration(retention),
        rp: String::new(),
        kind: "system".into(),
        created_at: now.to_string(),
        updated_at: now.to_string(),
    };
    [
        mk("_monitoring", MONITORING_RETENTION_SECONDS),
        mk("_tasks", TASKS_RETENTION_SECONDS),
    ]
}

/// A random ID not used by any bucket, org, DBRP mapping or legacy authorization of `data`
/// (IDs are never reused; a DBRP ID never equals a bucket ID, which virtual mappings use).
fn fresh_id(data: &CatalogData) -> u64 {
    loop {
        let id = new_id();
        if !data.buckets.iter().any(|b| b.id == id)
            && !data.orgs.iter().any(|o| o.id == id)
            && !data.dbrps.iter().any(|m| m.id == id)
            && !data.legacy_authorizations.iter().any(|a| a.auth.id == id)
        {
            return id;
        }
    }
}

/// Most buckets the catalog holds. Far above any real deployment, and far below the number of
/// buckets a shard's series index can hold at once (about 1 M), so that limit is unreachable.
pub const MAX_BUCKETS: usize = 100_000;

impl CatalogData {
    fn check_bucket_room(&self, more: usize) -> Result<()> {
        if self.buckets.len() + more > MAX_BUCKETS {
            return Err(Error::unprocessable(format!(
                "too many buckets: at most {MAX_BUCKETS} buckets may exist at once"
            )));
        }
        Ok(())
    }

    /// Applies a bucket creation to a copy of the catalog (pure: no I/O).
    pub fn create_bucket(&mut self, req: NewBucket, now: &str) -> Result<Bucket> {
        if !self.orgs.iter().any(|o| o.id == req.org_id) {
            return Err(Error::not_found("organization not found"));
        }
        self.check_bucket_room(1)?;
        validate_bucket_name(&req.name)?;
        validate_retention(req.retention_seconds, req.shard_group_seconds)?;
        let sgd = normalised_shard_group(req.shard_group_seconds, req.retention_seconds);
        if req.retention_seconds > 0 && sgd > req.retention_seconds {
            return Err(Error::unprocessable(
                "retention policy duration must be greater than the shard duration",
            ));
        }
        if self
            .buckets
            .iter()
            .any(|b| b.org_id == req.org_id && b.name == req.name)
        {
            return Err(Error::conflict(format!(
                "bucket with name {} already exists",
                req.name
            )));
        }
        let b = Bucket {
            id: fresh_id(self),
            org_id: req.org_id,
            name: req.name,
            description: req.description,
            retention_seconds: req.retention_seconds,
            shard_group_seconds: sgd,
            rp: req.rp,
            kind: "user".into(),
            created_at: now.to_string(),
            updated_at: now.to_string(),
        };
        self.buckets.push(b.clone());
        Ok(b)
    }

    /// Applies a bucket update (pure).
    pub fn update_bucket(&mut self, upd: BucketUpdate, now: &str) -> Result<Bucket> {
        let i = self
            .buckets
            .iter()
            .position(|b| b.id == upd.id)
            .ok_or_else(|| Error::not_found("bucket not found"))?;
        let mut b = self.buckets[i].clone();
        if let Some(name) = upd.name.filter(|n| *n != b.name) {
            if b.is_system() {
                return Err(Error::invalid("system buckets cannot be renamed"));
            }
            validate_bucket_name(&name)?;
            if self
                .buckets
                .iter()
                .any(|o| o.org_id == b.org_id && o.name == name)
            {
                return Err(Error::conflict("bucket name is not unique"));
            }
            b.name = name;
        }
        if let Some(d) = upd.description {
            b.description = d;
        }
        if upd.retention_seconds.is_some() || upd.shard_group_seconds.is_some() {
            let retention = upd.retention_seconds.unwrap_or(b.retention_seconds);
            validate_retention(retention, upd.shard_group_seconds.unwrap_or(0))?;
            let sgd = match upd.shard_group_seconds {
                Some(s) => normalised_shard_group(s, retention),
                None => b.effective_shard_group_seconds(),
            };
            if retention > 0 && sgd > retention {
                return Err(Error::unprocessable(
                    "shard-group duration must also be updated to be smaller than new retention duration",
                ));
            }
            b.retention_seconds = retention;
            b.shard_group_seconds = sgd;
        }
        b.updated_at = now.to_string();
        self.buckets[i] = b.clone();
        Ok(b)
    }

    /// Removes a user bucket (pure).
    pub fn delete_bucket(&mut self, id: u64) -> Result<()> {
        let i = self
            .buckets
            .iter()
            .position(|b| b.id == id)
            .ok_or_else(|| Error::not_found("bucket not found"))?;
        if self.buckets[i].is_system() {
            return Err(Error::invalid("system buckets cannot be deleted"));
        }
        self.buckets.remove(i);
        self.remove_dbrps(|m| m.bucket_id == id);
        Ok(())
    }

    /// Adds an org and its two system buckets (pure).
    pub fn create_org(&mut self, req: NewOrg, now: &str) -> Result<Org> {
        if req.name.trim().is_empty() {
            return Err(Error::invalid("org name is empty"));
        }
        if self.orgs.iter().any(|o| o.name == req.name) {
            return Err(Error::conflict(format!(
                "organization with name {} already exists",
                req.name
            )));
        }
        // The org's `_monitoring` and `_tasks` buckets.
        self.check_bucket_room(2)?;
        let org = Org {
            id: fresh_id(self),
            name: req.name,
            description: req.description,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            owners: req.owner.into_iter().collect(),
        };
        self.orgs.push(org.clone());
        for mut b in system_buckets(org.id, now) {
            b.id = fresh_id(self);
            self.buckets.push(b);
        }
        Ok(org)
    }

    /// Applies an org update (pure).
    pub fn update_org(&mut self, upd: OrgUpdate, now: &str) -> Result<Org> {
        let i = self
            .orgs
            .iter()
            .position(|o| o.id == upd.id)
            .ok_or_else(|| Error::not_found("organization not found"))?;
        let mut org = self.orgs[i].clone();
        if let Some(name) = upd.name.filter(|n| *n != org.name) {
            if name.trim().is_empty() {
                return Err(Error::invalid("org name is empty"));
            }
            if self.orgs.iter().any(|o| o.name == name) {
                return Err(Error::conflict(format!(
                    "organization with name {name} already exists"
                )));
            }
            org.name = name;
        }
        if let Some(d) = upd.description {
            org.description = d;
        }
        org.updated_at = now.to_string();
        self.orgs[i] = org.clone();
        Ok(org)
    }

    /// Removes an org and every bucket it owns, system buckets included (pure).
    pub fn delete_org(&mut self, id: u64) -> Result<()> {
        let i = self
            .orgs
            .iter()
            .position(|o| o.id == id)
            .ok_or_else(|| Error::not_found("organization not found"))?;
        self.orgs.remove(i);
        self.buckets.retain(|b| b.org_id != id);
        self.remove_dbrps(|m| m.org_id == id);
        self.legacy_authorizations.retain(|a| a.auth.org_id != id);
        Ok(())
    }
}

/// The catalog: a published snapshot plus the file it persists to.
#[derive(Debug)]
pub struct Catalog {
    current: ArcSwap<CatalogSnapshot>,
    dir: PathBuf,
}

/// RFC3339 "now" with nanoseconds, as InfluxDB prints `createdAt`.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A random non-zero 64-bit ID.
pub fn new_id() -> u64 {
    loop {
        let v: u64 = rand::random();
        // InfluxDB IDs are printed as 16 hex digits; keep the top bit clear so they also fit
        // signed 64-bit consumers.
        let v = v & 0x7fff_ffff_ffff_ffff;
        if v != 0 {
            return v;
        }
    }
}

/// A new random token: 64 random bytes, URL-safe base64 (86 characters), like InfluxDB's.
pub fn new_token() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(86);
    let bytes: [u8; 64] = std::array::from_fn(|_| rand::random());
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}

/// Hashes a password (Argon2id, random salt) into a PHC string. CPU-heavy: call it off the
/// executor (`spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::internal(format!("hashing password: {e}")))
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc)
        .map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

impl Catalog {
    /// Loads the catalog from `dir` (an empty catalog if the file does not exist). Called on
    /// the main thread before the executors start.
    pub fn load(dir: &Path) -> Result<Catalog> {
        let path = dir.join(CATALOG_FILE);
        let data = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<CatalogData>(&bytes).map_err(|e| {
                Error::internal(format!("catalog {} is not valid: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => CatalogData {
                version: 1,
                ..Default::default()
            },
            Err(e) => return Err(Error::internal(format!("reading {}: {e}", path.display()))),
        };
        Ok(Catalog {
            current: ArcSwap::from_pointee(CatalogSnapshot::new(data)),
            dir: dir.to_path_buf(),
        })
    }

    /// The current snapshot (lock-free).
    pub fn snapshot(&self) -> Arc<CatalogSnapshot> {
        self.current.load_full()
    }

    /// Persists `data` durably and publishes it. Must run on shard 0's executor.
    pub async fn commit(&self, data: CatalogData) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&data)
            .map_err(|e| Error::internal(format!("encoding catalog: {e}")))?;
        let tmp = self.dir.join(format!("{CATALOG_FILE}.tmp"));
        let dst = self.dir.join(CATALOG_FILE);
        let io = |what: &str, e: glommio::GlommioError<()>| {
            Error::internal(format!("{what} {}: {e}", tmp.display()))
        };
        let _ = glommio::io::remove(&tmp).await;
        let f = glommio::io::OpenOptions::new()
            .write(true)
            .create_new(true)
            .buffered_open(&tmp)
            .await
            .map_err(|e| io("creating", e))?;
        let n = bytes.len();
        let wrote = f.write_at(bytes, 0).await.map_err(|e| io("writing", e))?;
        if wrote != n {
            return Err(Error::internal(format!("short write to {}", tmp.display())));
        }
        f.fdatasync().await.map_err(|e| io("syncing", e))?;
        f.close().await.map_err(|e| io("closing", e))?;
        glommio::io::rename(&tmp, &dst)
            .await
            .map_err(|e| io("renaming", e))?;
        let d = glommio::io::Directory::open(&self.dir)
            .await
            .map_err(|e| io("opening directory of", e))?;
        d.sync().await.map_err(|e| io("syncing directory of", e))?;
        let _ = d.close().await;
        self.current.store(Arc::new(CatalogSnapshot::new(data)));
        Ok(())
    }

    /// Executes a mutation (shard 0 only).
    pub async fn apply(&self, op: CatalogOp) -> Result<CatalogReply> {
        match op {
            CatalogOp::Onboard(req) => self
                .onboard(req)
                .await
                .map(|r| CatalogReply::Onboarded(Box::new(r))),
            op => {
                let snap = self.snapshot();
                if !snap.is_onboarded() {
                    return Err(Error::new(
                        crate::error::ErrorKind::Unauthorized,
                        "the instance is not set up",
                    ));
                }
                let mut data = snap.data().clone();
                let now = now_rfc3339();
                let reply = match op {
                    CatalogOp::Onboard(_) => {
                        return Err(Error::internal("onboarding handled above"))
                    }
                    CatalogOp::CreateBucket(req) => {
                        CatalogReply::Bucket(Box::new(data.create_bucket(req, &now)?))
                    }
                    CatalogOp::UpdateBucket(upd) => {
                        CatalogReply::Bucket(Box::new(data.update_bucket(upd, &now)?))
                    }
                    CatalogOp::DeleteBucket(id) => {
                        data.delete_bucket(id)?;
                        CatalogReply::Deleted
                    }
                    CatalogOp::CreateOrg(req) => {
                        CatalogReply::Org(Box::new(data.create_org(req, &now)?))
                    }
                    CatalogOp::UpdateOrg(upd) => {
                        CatalogReply::Org(Box::new(data.update_org(upd, &now)?))
                    }
                    CatalogOp::DeleteOrg(id) => {
                        data.delete_org(id)?;
                        CatalogReply::Deleted
                    }
                    CatalogOp::CreateDbrp(req) => {
                        CatalogReply::Dbrp(Box::new(data.create_dbrp(req)?))
                    }
                    CatalogOp::UpdateDbrp(upd) => {
                        CatalogReply::Dbrp(Box::new(data.update_dbrp(upd)?))
                    }
                    CatalogOp::DeleteDbrp(org, id) => {
                        data.delete_dbrp(org, id)?;
                        CatalogReply::Deleted
                    }
                    CatalogOp::CreateLegacyAuth(req) => {
                        CatalogReply::LegacyAuth(Box::new(data.create_legacy_auth(req, &now)?))
                    }
                    CatalogOp::UpdateLegacyAuth(upd) => {
                        CatalogReply::LegacyAuth(Box::new(data.update_legacy_auth(upd, &now)?))
                    }
                    CatalogOp::DeleteLegacyAuth(id) => {
                        data.delete_legacy_auth(id)?;
                        CatalogReply::Deleted
                    }
                    CatalogOp::SetLegacyPassword(id, phc) => {
                        data.set_legacy_password(id, phc, &now)?;
                        CatalogReply::Deleted
                    }
                };
                self.commit(data).await?;
                Ok(reply)
            }
        }
    }

    async fn onboard(&self, req: OnboardingRequest) -> Result<OnboardingResult> {
        let snap = self.snapshot();
        if snap.is_onboarded() {
            return Err(Error::conflict("onboarding has already been completed"));
        }
        if req.username.trim().is_empty() {
            return Err(Error::invalid("username is required"));
        }
        if req.org.trim().is_empty() {
            return Err(Error::invalid("org name is required"));
        }
        if req.bucket.trim().is_empty() {
            return Err(Error::invalid("bucket name is required"));
        }
        if let Some(p) = &req.password {
            if p.len() < 8 {
                return Err(Error::new(
                    crate::error::ErrorKind::InvalidInput,
                    "passwords must be at least 8 characters long",
                ));
            }
        }
        let retention = match (req.retention_period_seconds, req.retention_period_hrs) {
            (Some(s), _) => s,
            (None, Some(ns)) => ns / 1_000_000_000,
            (None, None) => 0,
        };
        if retention < 0 {
            return Err(Error::invalid("retention period must be positive"));
        }
        if retention != 0 && retention < 3600 {
            return Err(Error::invalid(
                "retention policy duration must be at least 1h0m0s",
            ));
        }
        let password_hash = match req.password.clone() {
            Some(p) => {
                glommio::executor()
                    .spawn_blocking(move || hash_password(&p))
                    .await?
            }
            None => String::new(),
        };
        let now = now_rfc3339();
        let user = User {
            id: new_id(),
            name: req.username.clone(),
            password_hash,
            status: "active".into(),
            created_at: now.clone(),
        };
        let org = Org {
            id: new_id(),
            name: req.org.clone(),
            description: String::new(),
            created_at: now.clone(),
            updated_at: now.clone(),
            owners: vec![user.id],
        };
        let bucket = Bucket {
            id: new_id(),
            org_id: org.id,
            name: req.bucket.clone(),
            description: String::new(),
            retention_seconds: retention,
            shard_group_seconds: shard_group_duration(retention),
            rp: String::new(),
            kind: "user".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let [monitoring, tasks] = system_buckets(org.id, &now);
        let permissions = RESOURCE_TYPES
            .iter()
            .flat_map(|t| {
                ["read", "write"].into_iter().map(move |a| Permission {
                    action: a.into(),
                    resource: Resource {
                        kind: (*t).into(),
                        id: None,
                        org_id: None,
                    },
                })
            })
            .collect();
        let token = match req.token.as_deref() {
            Some(t) if !t.is_empty() => t.to_string(),
            _ => new_token(),
        };
        let auth = Authorization {
            id: new_id(),
            token,
            status: "active".into(),
            description: format!("{}'s Token", req.username),
            org_id: org.id,
            user_id: user.id,
            permissions,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut data = snap.data().clone();
        data.version = 1;
        data.users.push(user.clone());
        data.orgs.push(org.clone());
        data.buckets.push(bucket.clone());
        data.buckets.push(monitoring);
        data.buckets.push(tasks);
        data.authorizations.push(auth.clone());
        self.commit(data).await?;
        Ok(OnboardingResult {
            user,
            org,
            bucket,
            auth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const NOW: &str = "2024-01-01T00:00:00Z";

    fn data_with_org() -> (CatalogData, u64) {
        let mut d = CatalogData::default();
        let org = d
            .create_org(
                NewOrg {
                    name: "acme".into(),
                    description: String::new(),
                    owner: Some(7),
                },
                NOW,
            )
            .unwrap();
        (d, org.id)
    }

    fn new_bucket(org: u64, name: &str, retention: i64, sgd: i64) -> NewBucket {
        NewBucket {
            org_id: org,
            name: name.into(),
            description: String::new(),
            retention_seconds: retention,
            shard_group_seconds: sgd,
            rp: String::new(),
        }
    }

    #[test]
    fn org_creation_adds_system_buckets() {
        let (d, org) = data_with_org();
        let mut names: Vec<_> = d.buckets.iter().filter(|b| b.org_id == org).collect();
        names.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(names.len(), 2);
        assert_eq!(names[0].name, "_monitoring");
        assert_eq!(names[1].name, "_tasks");
        assert!(names.iter().all(|b| b.is_system()));
        assert_eq!(d.orgs[0].owners, vec![7]);
    }

    #[test]
    fn bucket_names_and_retention_are_validated() {
        let (mut d, org) = data_with_org();
        let kind = |r: Result<Bucket>| r.unwrap_err().kind();
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "_x", 0, 0), NOW)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "a\"b", 0, 0), NOW)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "", 0, 0), NOW)),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "a", 60, 0), NOW)),
            ErrorKind::Unprocessable
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "a", -1, 0), NOW)),
            ErrorKind::Unprocessable
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org, "a", 7200, 86400), NOW)),
            ErrorKind::Unprocessable
        );
        assert_eq!(
            kind(d.create_bucket(new_bucket(org + 1, "a", 0, 0), NOW)),
            ErrorKind::NotFound
        );
        let b = d.create_bucket(new_bucket(org, "a", 3600, 0), NOW).unwrap();
        assert_eq!(b.shard_group_seconds, 3600);
        let e = d
            .create_bucket(new_bucket(org, "a", 0, 0), NOW)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(e.message(), "bucket with name a already exists");
        // An explicit shard-group duration under an hour is raised to an hour.
        let c = d.create_bucket(new_bucket(org, "c", 0, 60), NOW).unwrap();
        assert_eq!(c.shard_group_seconds, 3600);
    }

    #[test]
    fn recreated_bucket_gets_a_new_id() {
        let (mut d, org) = data_with_org();
        let a = d.create_bucket(new_bucket(org, "a", 0, 0), NOW).unwrap();
        d.delete_bucket(a.id).unwrap();
        assert_eq!(
            d.delete_bucket(a.id).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        let b = d.create_bucket(new_bucket(org, "a", 0, 0), NOW).unwrap();
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn bucket_count_is_capped() {
        let (mut d, org) = data_with_org();
        let template = d.buckets[0].clone();
        while d.buckets.len() < MAX_BUCKETS {
            let mut b = template.clone();
            b.id = d.buckets.len() as u64 + 1_000_000;
            d.buckets.push(b);
        }
        let e = d
            .create_bucket(new_bucket(org, "one-more", 0, 0), NOW)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unprocessable);
        assert!(e.message().contains("too many buckets"), "{}", e.message());
        d.buckets.pop();
        let e = d
            .create_org(
                NewOrg {
                    name: "needs-two".into(),
                    description: String::new(),
                    owner: None,
                },
                NOW,
            )
            .unwrap_err();
        assert!(e.message().contains("too many buckets"), "{}", e.message());
        assert!(d.create_bucket(new_bucket(org, "fits", 0, 0), NOW).is_ok());
    }

    #[test]
    fn system_buckets_cannot_be_renamed_or_deleted() {
        let (mut d, _) = data_with_org();
        let sys = d.buckets[0].clone();
        assert_eq!(
            d.delete_bucket(sys.id).unwrap_err().message(),
            "system buckets cannot be deleted"
        );
        let e = d
            .update_bucket(
                BucketUpdate {
                    id: sys.id,
                    name: Some("x".into()),
                    ..Default::default()
                },
                NOW,
            )
            .unwrap_err();
        assert_eq!(e.message(), "system buckets cannot be renamed");
        // Same name: not a rename.
        assert!(d
            .update_bucket(
                BucketUpdate {
                    id: sys.id,
                    name: Some(sys.name.clone()),
                    description: Some("d".into()),
                    ..Default::default()
                },
                NOW,
            )
            .is_ok());
    }

    #[test]
    fn bucket_update_keeps_the_shard_group_and_checks_it() {
        let (mut d, org) = data_with_org();
        let b = d
            .create_bucket(new_bucket(org, "a", 30 * 86400, 0), NOW)
            .unwrap();
        assert_eq!(b.shard_group_seconds, 86400);
        let upd = |r: Option<i64>, s: Option<i64>| BucketUpdate {
            id: b.id,
            retention_seconds: r,
            shard_group_seconds: s,
            ..Default::default()
        };
        let e = d.update_bucket(upd(Some(7200), None), NOW).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unprocessable);
        let u = d.update_bucket(upd(Some(7200), Some(3600)), NOW).unwrap();
        assert_eq!((u.retention_seconds, u.shard_group_seconds), (7200, 3600));
        let u = d.update_bucket(upd(Some(0), None), NOW).unwrap();
        assert_eq!((u.retention_seconds, u.shard_group_seconds), (0, 3600));
        let other = d.create_bucket(new_bucket(org, "b", 0, 0), NOW).unwrap();
        let e = d
            .update_bucket(
                BucketUpdate {
                    id: other.id,
                    name: Some("a".into()),
                    ..Default::default()
                },
                NOW,
            )
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::Conflict, "bucket name is not unique")
        );
    }

    #[test]
    fn deleting_an_org_deletes_its_buckets() {
        let (mut d, org) = data_with_org();
        let other = d
            .create_org(
                NewOrg {
                    name: "other".into(),
                    description: String::new(),
                    owner: None,
                },
                NOW,
            )
            .unwrap();
        d.create_bucket(new_bucket(org, "a", 0, 0), NOW).unwrap();
        d.delete_org(org).unwrap();
        assert!(d.buckets.iter().all(|b| b.org_id == other.id));
        assert_eq!(d.buckets.len(), 2);
        assert_eq!(d.delete_org(org).unwrap_err().kind(), ErrorKind::NotFound);
        let e = d
            .create_org(
                NewOrg {
                    name: "other".into(),
                    description: String::new(),
                    owner: None,
                },
                NOW,
            )
            .unwrap_err();
        assert_eq!(e.message(), "organization with name other already exists");
    }

    #[test]
    fn allows_org_checks_type_id_and_org() {
        let auth = |id: Option<u64>, org_id: Option<u64>| Authorization {
            id: 1,
            token: "t".into(),
            status: "active".into(),
            description: String::new(),
            org_id: 1,
            user_id: 1,
            permissions: vec![Permission {
                action: "read".into(),
                resource: Resource {
                    kind: "orgs".into(),
                    id,
                    org_id,
                },
            }],
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert!(auth(None, None).allows_org("read", 5));
        assert!(!auth(None, None).allows_org("write", 5));
        assert!(auth(Some(5), None).allows_org("read", 5));
        assert!(!auth(Some(6), None).allows_org("read", 5));
        assert!(!auth(None, Some(6)).allows_org("read", 5));
    }

    #[test]
    fn old_catalog_files_load_with_defaults() {
        let json = r#"{"id":1,"org_id":2,"name":"b","retention_seconds":0,"kind":"user",
            "created_at":"","updated_at":""}"#;
        let b: Bucket = serde_json::from_str(json).unwrap();
        assert_eq!(b.shard_group_seconds, 0);
        assert_eq!(b.effective_shard_group_seconds(), 7 * 86400);
    }
}
