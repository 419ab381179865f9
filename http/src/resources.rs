//! JSON shapes of platform resources (users, orgs, buckets, authorizations) as the v2 contract
//! (`oss.yml`: `UserResponse`, `Organization`, `Bucket`, `Authorization`) defines them, with
//! the links InfluxDB 2.7 adds. Optional strings (`description`, `rp`) are left out when empty,
//! as 2.7's `omitempty` does for buckets.

use ringflux_engine::catalog::{Authorization, Bucket, CatalogSnapshot, Org, User};
use ringflux_engine::model::{AuthId, BucketId, OrgId, UserId};
use serde_json::{json, Value};

use crate::error::ApiError;

/// `UserResponse`.
pub fn user_json(u: &User) -> Value {
    let id = UserId(u.id).to_string();
    json!({
        "id": id,
        "name": u.name,
        "status": u.status,
        "links": { "self": format!("/api/v2/users/{id}") },
    })
}

/// `Organization`.
pub fn org_json(o: &Org) -> Value {
    let id = OrgId(o.id).to_string();
    json!({
        "id": id,
        "name": o.name,
        "description": o.description,
        "createdAt": o.created_at,
        "updatedAt": o.updated_at,
        "links": {
            "self": format!("/api/v2/orgs/{id}"),
            "logs": format!("/api/v2/orgs/{id}/logs"),
            "members": format!("/api/v2/orgs/{id}/members"),
            "owners": format!("/api/v2/orgs/{id}/owners"),
            "labels": format!("/api/v2/orgs/{id}/labels"),
            "secrets": format!("/api/v2/orgs/{id}/secrets"),
            "buckets": format!("/api/v2/buckets?org={}", o.name),
            "tasks": format!("/api/v2/tasks?org={}", o.name),
            "dashboards": format!("/api/v2/dashboards?org={}", o.name),
        },
    })
}

pub use ringflux_engine::catalog::shard_group_duration;

/// Largest JSON body accepted by the resource endpoints (buckets, orgs).
pub const MAX_RESOURCE_BODY: usize = 256 * 1024;

/// Decodes a JSON request body; a bad one is 400 `invalid` as 2.7's `DecodeJSON`.
pub fn decode_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("failed to decode request body: {e}")))
}

/// `Bucket`. The retention rule is always present (2.7 normalises the shard-group duration at
/// creation, so even an infinite retention has a rule with `everySeconds: 0`).
pub fn bucket_json(b: &Bucket) -> Value {
    let id = BucketId(b.id).to_string();
    let org_id = OrgId(b.org_id).to_string();
    let rules = vec![json!({
        "type": "expire",
        "everySeconds": b.retention_seconds,
        "shardGroupDurationSeconds": b.effective_shard_group_seconds(),
    })];
    let mut v = json!({
        "id": id,
        "orgID": org_id,
        "type": b.kind,
        "name": b.name,
        "retentionRules": rules,
        "createdAt": b.created_at,
        "updatedAt": b.updated_at,
        "labels": [],
        "links": {
            "self": format!("/api/v2/buckets/{id}"),
            "org": format!("/api/v2/orgs/{org_id}"),
            "members": format!("/api/v2/buckets/{id}/members"),
            "owners": format!("/api/v2/buckets/{id}/owners"),
            "labels": format!("/api/v2/buckets/{id}/labels"),
            "write": format!("/api/v2/write?org={org_id}&bucket={id}"),
        },
    });
    if let Some(o) = v.as_object_mut() {
        if !b.description.is_empty() {
            o.insert("description".into(), Value::from(b.description.clone()));
        }
        if !b.rp.is_empty() {
            o.insert("rp".into(), Value::from(b.rp.clone()));
        }
    }
    v
}

/// `Authorization`.
pub fn auth_json(a: &Authorization, snap: &CatalogSnapshot) -> Value {
    let id = AuthId(a.id).to_string();
    let org = snap.org_by_id(OrgId(a.org_id));
    let user = snap.user_by_id(UserId(a.user_id));
    let permissions: Vec<Value> = a
        .permissions
        .iter()
        .map(|p| {
            let mut r = serde_json::Map::new();
            r.insert("type".into(), Value::from(p.resource.kind.clone()));
            if let Some(id) = p.resource.id {
                r.insert("id".into(), Value::from(BucketId(id).to_string()));
            }
            if let Some(o) = p.resource.org_id {
                r.insert("orgID".into(), Value::from(OrgId(o).to_string()));
                if let Some(org) = snap.org_by_id(OrgId(o)) {
                    r.insert("org".into(), Value::from(org.name.clone()));
                }
            }
            json!({ "action": p.action, "resource": r })
        })
        .collect();
    json!({
        "id": id,
        "token": a.token,
        "status": a.status,
        "description": a.description,
        "orgID": OrgId(a.org_id).to_string(),
        "org": org.map(|o| o.name.clone()).unwrap_or_default(),
        "userID": UserId(a.user_id).to_string(),
        "user": user.map(|u| u.name.clone()).unwrap_or_default(),
        "permissions": permissions,
        "createdAt": a.created_at,
        "updatedAt": a.updated_at,
        "links": {
            "self": format!("/api/v2/authorizations/{id}"),
            "user": format!("/api/v2/users/{}", UserId(a.user_id)),
        },
    })
}
