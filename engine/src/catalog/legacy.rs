//! Legacy (v1) authorizations: a username (2.7 calls it the `token`), an optional password and
//! permissions, used by v1 clients through Basic auth or `u`/`p` on `/write` and `/query`.
//!
//! Invariants:
//! - Usernames are unique among legacy authorizations (422 `conflict` `token already exists`);
//!   they live apart from v2 tokens, as in 2.7, so a v2 token is never a v1 username.
//! - The password is stored only as an Argon2id PHC string, hashed by the caller off the
//!   executor; it is never returned. An authorization without a password never verifies.
//! - Every authorization names an existing org and user when created and has at least one
//!   permission; deleting its org deletes it.
//! - Sizes are bounded: username and description ≤ 1 KiB / 16 KiB, ≤ 256 permissions, at most
//!   [`MAX_LEGACY_AUTHS`] authorizations.

use serde::{Deserialize, Serialize};

use super::{fresh_id, Authorization, CatalogData, Permission, RESOURCE_TYPES};
use crate::error::{Error, Result};

/// Most legacy authorizations the catalog holds.
pub const MAX_LEGACY_AUTHS: usize = 100_000;
const MAX_USERNAME: usize = 1024;
const MAX_DESCRIPTION: usize = 16 * 1024;
const MAX_PERMISSIONS: usize = 256;
/// Shortest password accepted (2.7's `MinPasswordLen`).
pub const MIN_PASSWORD_LEN: usize = 8;

/// A legacy authorization: the v2 fields (`token` is the v1 username) plus a password hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LegacyAuthorization {
    /// ID, username, status, org, user, permissions, times.
    #[serde(flatten)]
    pub auth: Authorization,
    /// Argon2id PHC string; empty: no password set.
    #[serde(default)]
    pub password_hash: String,
}

/// A legacy authorization to create (`POST /private/legacy/authorizations`, decoded).
#[derive(Debug, Clone)]
pub struct NewLegacyAuth {
    /// Org.
    pub org_id: u64,
    /// User it belongs to.
    pub user_id: u64,
    /// The v1 username.
    pub token: String,
    /// `active` or `inactive`.
    pub status: String,
    /// Description.
    pub description: String,
    /// Permissions (at least one).
    pub permissions: Vec<Permission>,
}

/// Changes to a legacy authorization (`PATCH …/{id}`).
#[derive(Debug, Clone, Default)]
pub struct LegacyAuthUpdate {
    /// The authorization.
    pub id: u64,
    /// New status.
    pub status: Option<String>,
    /// New description.
    pub description: Option<String>,
}

fn check_status(s: &str) -> Result<()> {
    if s == "active" || s == "inactive" {
        Ok(())
    } else {
        Err(Error::invalid(format!("invalid status: {s}")))
    }
}

fn not_found() -> Error {
    Error::not_found("authorization not found")
}

impl CatalogData {
    fn legacy_index(&self, id: u64) -> Result<usize> {
        self.legacy_authorizations
            .iter()
            .position(|a| a.auth.id == id)
            .ok_or_else(not_found)
    }

    /// Adds a legacy authorization (pure).
    pub fn create_legacy_auth(
        &mut self,
        req: NewLegacyAuth,
        now: &str,
    ) -> Result<LegacyAuthorization> {
        if req.permissions.is_empty() {
            return Err(Error::invalid("authorization must include permissions"));
        }
        if req.permissions.len() > MAX_PERMISSIONS {
            return Err(Error::invalid(format!(
                "an authorization may have at most {MAX_PERMISSIONS} permissions"
            )));
        }
        for p in &req.permissions {
            if p.action != "read" && p.action != "write" {
                return Err(Error::invalid(format!("unknown action {:?}", p.action)));
            }
            if !RESOURCE_TYPES.contains(&p.resource.kind.as_str()) {
                return Err(Error::invalid(format!(
                    "unknown resource type {:?}",
                    p.resource.kind
                )));
            }
        }
        if req.token.is_empty() {
            return Err(Error::invalid(
                "token required for v1 user authorization type",
            ));
        }
        if req.token.len() > MAX_USERNAME || req.description.len() > MAX_DESCRIPTION {
            return Err(Error::invalid("token or description too long"));
        }
        check_status(&req.status)?;
        if !self.orgs.iter().any(|o| o.id == req.org_id)
            || !self.users.iter().any(|u| u.id == req.user_id)
        {
            return Err(Error::invalid("unable to create token"));
        }
        if self
            .legacy_authorizations
            .iter()
            .any(|a| a.auth.token == req.token)
        {
            return Err(Error::conflict("token already exists"));
        }
        if self.legacy_authorizations.len() >= MAX_LEGACY_AUTHS {
            return Err(Error::unprocessable(format!(
                "too many legacy authorizations: at most {MAX_LEGACY_AUTHS} may exist at once"
            )));
        }
        let a = LegacyAuthorization {
            auth: Authorization {
                id: fresh_id(self),
                token: req.token,
                status: req.status,
                description: req.description,
                org_id: req.org_id,
                user_id: req.user_id,
                permissions: req.permissions,
                created_at: now.to_string(),
                updated_at: now.to_string(),
            },
            password_hash: String::new(),
        };
        self.legacy_authorizations.push(a.clone());
        Ok(a)
    }

    /// Updates status/description (pure).
    pub fn update_legacy_auth(
        &mut self,
        upd: LegacyAuthUpdate,
        now: &str,
    ) -> Result<LegacyAuthorization> {
        let i = self.legacy_index(upd.id)?;
        if let Some(s) = &upd.status {
            check_status(s)?;
        }
        if upd
            .description
            .as_ref()
            .is_some_and(|d| d.len() > MAX_DESCRIPTION)
        {
            return Err(Error::invalid("description too long"));
        }
        let a = &mut self.legacy_authorizations[i];
        if let Some(s) = upd.status {
            a.auth.status = s;
        }
        if let Some(d) = upd.description {
            a.auth.description = d;
        }
        a.auth.updated_at = now.to_string();
        Ok(a.clone())
    }

    /// Removes a legacy authorization (pure).
    pub fn delete_legacy_auth(&mut self, id: u64) -> Result<()> {
        let i = self.legacy_index(id)?;
        self.legacy_authorizations.remove(i);
        Ok(())
    }

    /// Stores a new password hash (pure; the caller hashed it).
    pub fn set_legacy_password(&mut self, id: u64, phc: String, now: &str) -> Result<()> {
        let i = self.legacy_index(id)?;
        let a = &mut self.legacy_authorizations[i];
        a.password_hash = phc;
        a.auth.updated_at = now.to_string();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{NewOrg, Resource, User};
    use super::*;
    use crate::error::ErrorKind;

    const NOW: &str = "2024-01-01T00:00:00Z";

    fn setup() -> (CatalogData, NewLegacyAuth) {
        let mut d = CatalogData::default();
        d.users.push(User {
            id: 7,
            name: "me".into(),
            password_hash: String::new(),
            status: "active".into(),
            created_at: NOW.into(),
        });
        let org = d
            .create_org(
                NewOrg {
                    name: "acme".into(),
                    description: String::new(),
                    owner: Some(7),
                },
                NOW,
            )
            .unwrap()
            .id;
        let req = NewLegacyAuth {
            org_id: org,
            user_id: 7,
            token: "v1user".into(),
            status: "active".into(),
            description: String::new(),
            permissions: vec![Permission {
                action: "write".into(),
                resource: Resource {
                    kind: "buckets".into(),
                    id: None,
                    org_id: Some(org),
                },
            }],
        };
        (d, req)
    }

    #[test]
    fn create_validates_and_usernames_are_unique() {
        let (mut d, req) = setup();
        let mut bad = req.clone();
        bad.permissions.clear();
        assert_eq!(
            d.create_legacy_auth(bad, NOW).unwrap_err().message(),
            "authorization must include permissions"
        );
        let mut bad = req.clone();
        bad.token.clear();
        assert_eq!(
            d.create_legacy_auth(bad, NOW).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let mut bad = req.clone();
        bad.status = "maybe".into();
        assert!(d.create_legacy_auth(bad, NOW).is_err());
        let mut bad = req.clone();
        bad.org_id += 1;
        assert_eq!(
            d.create_legacy_auth(bad, NOW).unwrap_err().message(),
            "unable to create token"
        );
        let a = d.create_legacy_auth(req.clone(), NOW).unwrap();
        assert!(a.password_hash.is_empty());
        let e = d.create_legacy_auth(req, NOW).unwrap_err();
        assert_eq!(
            (e.kind(), e.message()),
            (ErrorKind::Conflict, "token already exists")
        );
    }

    #[test]
    fn update_password_delete_and_org_cascade() {
        let (mut d, req) = setup();
        let org = req.org_id;
        let a = d.create_legacy_auth(req.clone(), NOW).unwrap();
        let id = a.auth.id;
        let u = d
            .update_legacy_auth(
                LegacyAuthUpdate {
                    id,
                    status: Some("inactive".into()),
                    description: Some("d".into()),
                },
                NOW,
            )
            .unwrap();
        assert_eq!(
            (u.auth.status.as_str(), u.auth.description.as_str()),
            ("inactive", "d")
        );
        d.set_legacy_password(id, "phc".into(), NOW).unwrap();
        assert_eq!(d.legacy_authorizations[0].password_hash, "phc");
        assert_eq!(
            d.set_legacy_password(id + 1, "x".into(), NOW)
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
        d.delete_legacy_auth(id).unwrap();
        assert_eq!(
            d.delete_legacy_auth(id).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        d.create_legacy_auth(
            NewLegacyAuth {
                token: "again".into(),
                ..req
            },
            NOW,
        )
        .unwrap();
        d.delete_org(org).unwrap();
        assert!(d.legacy_authorizations.is_empty());
    }

    #[test]
    fn persisted_form_round_trips_with_the_hash() {
        let (mut d, req) = setup();
        let a = d.create_legacy_auth(req, NOW).unwrap();
        d.set_legacy_password(a.auth.id, "phc".into(), NOW).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        let back: CatalogData = serde_json::from_str(&json).unwrap();
        assert_eq!(back.legacy_authorizations[0].password_hash, "phc");
        assert_eq!(back.legacy_authorizations[0].auth.token, "v1user");
        // Catalogs written before DBRPs and legacy authorizations existed still load.
        let old: CatalogData = serde_json::from_str(
            r#"{"version":1,"users":[],"orgs":[],"buckets":[],"authorizations":[]}"#,
        )
        .unwrap();
        assert!(old.dbrps.is_empty() && old.legacy_authorizations.is_empty());
    }
}
