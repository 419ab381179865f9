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
//! - IDs are random non-zero 64-bit values printed as 16 hex digits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{BucketId, OrgId, UserId};

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

    /// User by ID.
    pub fn user_by_id(&self, id: UserId) -> Option<&User> {
        self.data.users.iter().find(|u| u.id == id.0)
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

/// A catalog mutation (executed on shard 0).
#[derive(Debug, Clone)]
pub enum CatalogOp {
    /// Initial setup.
    Onboard(OnboardingRequest),
}

/// The answer to a [`CatalogOp`].
#[derive(Debug, Clone)]
pub enum CatalogReply {
    /// Onboarding result.
    Onboarded(Box<OnboardingResult>),
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
        };
        let mk_bucket = |name: &str, retention: i64, kind: &str| Bucket {
            id: new_id(),
            org_id: org.id,
            name: name.into(),
            description: String::new(),
            retention_seconds: retention,
            kind: kind.into(),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let bucket = mk_bucket(&req.bucket, retention, "user");
        let monitoring = mk_bucket("_monitoring", 7 * 86400, "system");
        let tasks = mk_bucket("_tasks", 3 * 86400, "system");
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
